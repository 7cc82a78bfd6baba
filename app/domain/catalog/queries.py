"""Reading SKUs."""

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.db import db
from app.domain.catalog.models import Sku


def skus_by_code(codes: Iterable[str]) -> dict[str, Sku]:
    """The SKUs with these codes, by code (codes without a SKU are missing; blanks are ignored)."""
    codes = {code for code in codes if code}
    if not codes:
        return {}
    return {sku.code: sku for sku in db.session.scalars(select(Sku).where(Sku.code.in_(codes)))}


def skus_by_code_any_case(codes: Iterable[str], with_components: bool = False) -> dict[str, Sku]:
    """Like ``skus_by_code``, but ``sn-001`` finds ``SN-001``: keyed by the code as asked. An exact
    match wins; a code that matches several SKUs differing only in case (and none exactly) is missing.
    ``with_components``: every found bundle's components loaded too, in one more query for them all
    (none for SKUs whose components this session holds already) instead of one per SKU when read."""
    codes = {code for code in codes if code}
    if not codes:
        return {}
    query = select(Sku).where(func.upper(Sku.code).in_({code.upper() for code in codes}))
    if with_components:
        query = query.options(selectinload(Sku.components))
    candidates = db.session.scalars(query)
    by_upper: dict[str, list[Sku]] = {}
    for sku in candidates:
        by_upper.setdefault(sku.code.upper(), []).append(sku)
    found = {}
    for code in codes:
        matches = by_upper.get(code.upper(), [])
        exact = [sku for sku in matches if sku.code == code]
        if exact or len(matches) == 1:
            found[code] = (exact or matches)[0]
    return found
