"""Reading SKUs."""

from collections.abc import Iterable

from sqlalchemy import select

from app.db import db
from app.domain.catalog.models import Sku


def skus_by_code(codes: Iterable[str]) -> dict[str, Sku]:
    """The SKUs with these codes, by code (codes without a SKU are missing; blanks are ignored)."""
    codes = {code for code in codes if code}
    if not codes:
        return {}
    return {sku.code: sku for sku in db.session.scalars(select(Sku).where(Sku.code.in_(codes)))}
