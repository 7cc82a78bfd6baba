"""The waybill pool (电子面单): numbers loaded per carrier in advance and handed out one per order.

Taking a number is a guarded UPDATE (``order_id IS NULL`` in its WHERE clause), so two workers never
hand the same number to two orders; it runs inside the caller's savepoint, so a shipment that fails
gives its number back with the rollback.
"""

import re

from sqlalchemy import func, select, update

from app.db import db, utcnow
from app.domain.errors import Conflict, ValidationError
from app.domain.reference.models import Carrier
from app.domain.workbench.models import PoolWaybill
from app.text import N_, Text

MAX_WAYBILL_LENGTH = 40
MAX_NUMBERS_PER_LOAD = 2000
_SEPARATORS = re.compile(r"[\s,，;；]+")


def parse_numbers(text: str) -> list[str]:
    """Waybill numbers typed or scanned one after another: split on blanks, commas and semicolons."""
    return [number for number in _SEPARATORS.split(text or "") if number]


def add_numbers(carrier: Carrier, text: str, actor: str) -> tuple[int, int]:
    """Load numbers into ``carrier``'s pool; returns (added, already in the pool)."""
    numbers = list(dict.fromkeys(parse_numbers(text)))
    if not numbers:
        raise ValidationError({"numbers": N_("请填写面单号")})
    if len(numbers) > MAX_NUMBERS_PER_LOAD:
        raise ValidationError({"numbers": Text(N_("一次最多导入 %(limit)s 个面单号"), limit=MAX_NUMBERS_PER_LOAD)})
    too_long = [number for number in numbers if len(number) > MAX_WAYBILL_LENGTH]
    if too_long:
        raise ValidationError({"numbers": Text(N_("面单号 %(number)s 超过 %(limit)s 位"), number=too_long[0],
                                               limit=MAX_WAYBILL_LENGTH)})
    known = set(db.session.scalars(select(PoolWaybill.waybill_no).where(PoolWaybill.waybill_no.in_(numbers))))
    fresh = [number for number in numbers if number not in known]
    db.session.add_all(PoolWaybill(carrier_id=carrier.id, waybill_no=number, added_by=actor) for number in fresh)
    db.session.flush()
    return len(fresh), len(known)


def take(carrier: Carrier, order_id: int, attempts: int = 5) -> str:
    """The number of ``carrier``'s pool kept for the order (its label was printed), else the next free
    one, now used by the order; Conflict when none is left."""
    kept = db.session.scalar(select(PoolWaybill.waybill_no).where(
        PoolWaybill.carrier_id == carrier.id, PoolWaybill.order_id == order_id).order_by(PoolWaybill.id).limit(1))
    if kept:
        return kept
    for _attempt in range(attempts):
        candidate = db.session.scalar(select(PoolWaybill.id).where(
            PoolWaybill.carrier_id == carrier.id, PoolWaybill.order_id.is_(None)).order_by(PoolWaybill.id).limit(1))
        if candidate is None:
            break
        taken = db.session.execute(
            update(PoolWaybill).where(PoolWaybill.id == candidate, PoolWaybill.order_id.is_(None))
            .values(order_id=order_id, used_at=utcnow()).returning(PoolWaybill.waybill_no)).scalar()
        if taken:
            return taken
    raise Conflict(N_("%(carrier)s 的面单号已用完，请先补充"), carrier=carrier.name)


def free_counts() -> dict[int, int]:
    """Unused numbers per carrier id."""
    return dict(db.session.execute(select(PoolWaybill.carrier_id, func.count(PoolWaybill.id))
                                   .where(PoolWaybill.order_id.is_(None)).group_by(PoolWaybill.carrier_id)).all())
