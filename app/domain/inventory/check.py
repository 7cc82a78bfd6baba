"""The stock consistency check: do the levels agree with the ledger and the reservations?

Four invariants, each one aggregate query, cheap enough to run after every test scenario and from the
cron: (1) every level equals the sum of its movements, (2) no bucket is negative, (3) reserved and
locked equal the sums of the reservations in those states, (4) every active reservation belongs to
an order that may still hold stock.

(1) is incremental: a consistent check seals each level's ledger totals in a checkpoint
(``StockCheckpoint``), and the next check adds only the movements after it instead of replaying a
year of ledger. ``full=True`` replays every movement, as the first check does.
"""

from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, insert, literal, or_, select

from app.db import db
from app.domain.inventory.models import (
    ACTIVE_RESERVATION_STATUSES,
    Reservation,
    ReservationStatus,
    StockCheckpoint,
    StockLevel,
    StockMovement,
)
from app.text import N_, Text

LEDGER_BUCKETS = ("on_hand", "reserved", "locked", "damaged")
#: A checkpoint seals only movements older than this: one written by a transaction still open (its id
#: taken, its row not yet visible) must not fall behind the checkpoint unseen.
CHECKPOINT_LAG = timedelta(minutes=10)


def check_stock(orders_holding_stock: set[str], full: bool = False) -> list[str]:
    """Every difference found, as a readable line; empty when the books are right.

    ``orders_holding_stock`` are the order status codes in which an order may hold reservations
    (passed in by the caller: inventory sits below orders and does not know their states).
    ``full``: compare the levels with every movement rather than with the checkpoint and the newer ones.
    """
    return [*_ledger_differences(full), *_negative_buckets(), *_reservation_differences(),
            *_orphan_reservations(orders_holding_stock)]


def advance_checkpoints(now: datetime) -> int:
    """After a consistent check: seal every level's ledger totals through the newest movement older
    than CHECKPOINT_LAG; returns the movement id sealed through. The caller commits."""
    through = db.session.scalar(select(func.max(StockMovement.id))
                                .where(StockMovement.at < now - CHECKPOINT_LAG)) or 0
    sums = _sums_after_checkpoints(full=False, through=through)
    old = StockCheckpoint
    rows = (select(StockLevel.warehouse_id, StockLevel.sku_id,
                   *(func.coalesce(getattr(old, b), 0) + func.coalesce(sums.c[b], 0) for b in LEDGER_BUCKETS),
                   literal(through), literal(now, StockCheckpoint.verified_at.type))
            .outerjoin(old, and_(old.warehouse_id == StockLevel.warehouse_id, old.sku_id == StockLevel.sku_id))
            .outerjoin(sums, and_(sums.c.warehouse_id == StockLevel.warehouse_id, sums.c.sku_id == StockLevel.sku_id)))
    sealed = [dict(zip(("warehouse_id", "sku_id", *LEDGER_BUCKETS, "through_movement_id", "verified_at"), row,
                       strict=True)) for row in db.session.execute(rows)]
    db.session.execute(delete(StockCheckpoint))
    if sealed:
        db.session.execute(insert(StockCheckpoint), sealed)
    return through


def _sums_after_checkpoints(full: bool, through: int | None = None):
    """Per warehouse × SKU, the sums of the movements newer than its checkpoint (all of them with
    ``full``), up to movement ``through`` when given."""
    query = select(StockMovement.warehouse_id, StockMovement.sku_id,
                   *(func.sum(getattr(StockMovement, f"{b}_delta")).label(b) for b in LEDGER_BUCKETS))
    if not full:
        # The newest checkpoint bounds the scan through the primary key; each level's own one decides.
        oldest = db.session.scalar(select(func.min(StockCheckpoint.through_movement_id))) or 0
        query = (query.outerjoin(StockCheckpoint, and_(StockCheckpoint.warehouse_id == StockMovement.warehouse_id,
                                                       StockCheckpoint.sku_id == StockMovement.sku_id))
                 .where(StockMovement.id > oldest,
                        StockMovement.id > func.coalesce(StockCheckpoint.through_movement_id, 0)))
    if through is not None:
        query = query.where(StockMovement.id <= through)
    return query.group_by(StockMovement.warehouse_id, StockMovement.sku_id).subquery()


def _ledger_differences(full: bool) -> list[str]:
    sums = _sums_after_checkpoints(full)
    sealed = [func.coalesce(getattr(StockCheckpoint, b), 0) for b in LEDGER_BUCKETS]
    rows = db.session.execute(
        select(StockLevel.warehouse_id, StockLevel.sku_id,
               *(getattr(StockLevel, b) for b in LEDGER_BUCKETS),
               *((0 if full else sealed[index]) + func.coalesce(sums.c[b], 0)
                 for index, b in enumerate(LEDGER_BUCKETS)))
        .outerjoin(StockCheckpoint, and_(StockCheckpoint.warehouse_id == StockLevel.warehouse_id,
                                         StockCheckpoint.sku_id == StockLevel.sku_id))
        .outerjoin(sums, and_(sums.c.warehouse_id == StockLevel.warehouse_id, sums.c.sku_id == StockLevel.sku_id))
    )
    differences = []
    for row in rows:
        levels, ledger = row[2:6], row[6:10]
        for bucket, level, summed in zip(LEDGER_BUCKETS, levels, ledger, strict=True):
            if level != summed:
                differences.append(Text(N_("仓库 %(warehouse)s 商品 %(sku)s: %(bucket)s = %(level)s，流水合计 = %(summed)s"),
                                        warehouse=row[0], sku=row[1], bucket=bucket, level=level, summed=summed))
    differences += _movements_without_level(sums)
    return differences


def _movements_without_level(sums) -> list[str]:
    rows = db.session.execute(
        select(sums.c.warehouse_id, sums.c.sku_id).outerjoin(
            StockLevel, and_(StockLevel.warehouse_id == sums.c.warehouse_id, StockLevel.sku_id == sums.c.sku_id))
        .where(StockLevel.id.is_(None)))
    return [Text(N_("仓库 %(warehouse)s 商品 %(sku)s: 有流水但没有库存记录"), warehouse=w, sku=s) for w, s in rows]


def _negative_buckets() -> list[str]:
    buckets = (*LEDGER_BUCKETS, "safety")
    columns = [getattr(StockLevel, b) for b in buckets]
    rows = db.session.execute(select(StockLevel.warehouse_id, StockLevel.sku_id, *columns)
                              .where(or_(*(column < 0 for column in columns))))
    return [Text(N_("仓库 %(warehouse)s 商品 %(sku)s: 有负数库存 %(levels)s"), warehouse=row[0], sku=row[1],
                 levels=dict(zip(buckets, row[2:], strict=True))) for row in rows]


def _reservation_differences() -> list[str]:
    differences = []
    for status, bucket in ((ReservationStatus.RESERVED, "reserved"), (ReservationStatus.LOCKED, "locked")):
        held = (select(Reservation.warehouse_id, Reservation.sku_id, func.sum(Reservation.quantity).label("quantity"))
                .where(Reservation.status == status)
                .group_by(Reservation.warehouse_id, Reservation.sku_id).subquery())
        level_value = getattr(StockLevel, bucket)
        rows = db.session.execute(
            select(StockLevel.warehouse_id, StockLevel.sku_id, level_value, func.coalesce(held.c.quantity, 0))
            .outerjoin(held, and_(held.c.warehouse_id == StockLevel.warehouse_id, held.c.sku_id == StockLevel.sku_id))
            .where(level_value != func.coalesce(held.c.quantity, 0)))
        differences += [Text(N_("仓库 %(warehouse)s 商品 %(sku)s: %(bucket)s = %(level)s，预占记录合计 = %(summed)s"),
                             warehouse=w, sku=s, bucket=bucket, level=level, summed=summed)
                        for w, s, level, summed in rows]
    return differences


def _orphan_reservations(orders_holding_stock: set[str]) -> list[str]:
    # The orders table by name: inventory sits below orders in the domain layers and imports none of it.
    orders = db.metadata.tables["orders"]
    rows = db.session.execute(
        select(Reservation.id, Reservation.order_id, orders.c.status)
        .join(orders, orders.c.id == Reservation.order_id)
        .where(Reservation.status.in_(ACTIVE_RESERVATION_STATUSES), orders.c.status.not_in(orders_holding_stock)))
    return [Text(N_("预占 %(reservation)s: 订单 %(order)s 状态 %(status)s 不应再占用库存"),
                 reservation=rid, order=order_id, status=status) for rid, order_id, status in rows]
