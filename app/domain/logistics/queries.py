"""Reads for the pages: an order's parcels with their events, and the staff logistics lists."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload, selectinload

from app.db import db
from app.domain.logistics.models import Shipment, ShipmentLine, Subscription
from app.domain.logistics.states import FINAL, PROBLEMS
from app.domain.orders.models import Order, OrderLine

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: The staff list's tabs.
VIEWS = ("silent", "exceptions", "signed_today", "unsubscribed")


def parcels_of(order_id: int) -> list[Shipment]:
    """The order's parcels, first shipped first, with carrier, lines and events (newest first)."""
    return list(db.session.scalars(
        select(Shipment).where(Shipment.order_id == order_id).order_by(Shipment.id)
        .options(joinedload(Shipment.carrier), selectinload(Shipment.events),
                 selectinload(Shipment.lines).joinedload(ShipmentLine.order_line).joinedload(OrderLine.sku))))


def parcel_list(view: str, now: datetime, silent_hours: int) -> Select:
    """Parcels for one tab of the staff logistics page, the ones waiting longest first."""
    query = select(Shipment).join(Order, Shipment.order_id == Order.id).options(
        joinedload(Shipment.carrier), joinedload(Shipment.order))
    return query.where(_condition(view, now, silent_hours)).order_by(
        func.coalesce(Shipment.last_event_at, Shipment.shipped_at), Shipment.id)


def counts(now: datetime, silent_hours: int) -> dict[str, int]:
    return {view: db.session.scalar(select(func.count()).select_from(Shipment)
                                    .where(_condition(view, now, silent_hours))) for view in VIEWS}


def _condition(view: str, now: datetime, silent_hours: int):
    if view == "exceptions":
        return Shipment.status.in_(PROBLEMS)
    if view == "signed_today":
        return Shipment.signed_at >= start_of_day(now)
    if view == "unsubscribed":
        return Shipment.subscription.in_((Subscription.FAILED, Subscription.NONE)) & Shipment.status.not_in(FINAL)
    last_heard = func.coalesce(Shipment.last_event_at, Shipment.shipped_at)
    return Shipment.status.not_in(FINAL) & (last_heard <= now - timedelta(hours=silent_hours))


def start_of_day(now: datetime) -> datetime:
    """Midnight of ``now``'s day in Shanghai, as the UTC instant the database compares with."""
    local = now.astimezone(SHANGHAI)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)
