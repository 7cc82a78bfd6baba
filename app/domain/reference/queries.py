"""Reading warehouses, channels and carriers for lists and choices: always in the same order."""

from sqlalchemy import select

from app.db import db
from app.domain.reference.models import Carrier, Channel, Warehouse


def warehouses() -> list[Warehouse]:
    """Every warehouse, the one that ships first first."""
    return list(db.session.scalars(select(Warehouse).order_by(Warehouse.priority, Warehouse.code)))


def channels(active_only: bool = False, platforms: set[str] | None = None) -> list[Channel]:
    """Channels by code; ``platforms``: only those on these platforms."""
    query = select(Channel).order_by(Channel.code)
    if active_only:
        query = query.where(Channel.active.is_(True))
    if platforms is not None:
        query = query.where(Channel.platform.in_(platforms))
    return list(db.session.scalars(query))


def carriers(active_only: bool = False) -> list[Carrier]:
    query = select(Carrier).order_by(Carrier.code)
    if active_only:
        query = query.where(Carrier.active.is_(True))
    return list(db.session.scalars(query))
