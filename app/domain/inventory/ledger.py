"""The one primitive every stock change goes through: a guarded UPDATE plus its ledger row.

The guard is part of the UPDATE's WHERE clause, so the check and the change are one statement: on
PostgreSQL a concurrent writer waits for the row lock and the WHERE is re-evaluated on the new row
version (READ COMMITTED), on SQLite writers are serialised. Either way a decrement cannot pass zero,
however requests interleave; there is no read-then-write in Python.
"""

from dataclasses import dataclass

from sqlalchemy import ColumnElement, update
from sqlalchemy.dialects import postgresql, sqlite

from app.db import db
from app.domain.inventory import soldout
from app.domain.inventory.models import MovementKind, StockLevel, StockMovement, StockPosition

LEVELS = StockLevel.__table__
BUCKETS = ("on_hand", "reserved", "locked", "damaged")


@dataclass(frozen=True)
class Change:
    """Who changes stock, why, and for which order; the same for every movement of one operation."""

    actor: str
    reason: str = ""
    order_id: int | None = None
    reference: str = ""


@dataclass(frozen=True)
class LevelAfter(StockPosition):
    """A stock level's buckets right after a change (from UPDATE … RETURNING)."""

    warehouse_id: int
    sku_id: int
    on_hand: int
    reserved: int
    locked: int
    safety: int
    reorder_point: int


def sellable_at_least(quantity: int) -> ColumnElement[bool]:
    c = LEVELS.c
    return c.on_hand - c.reserved - c.locked - c.safety >= quantity


def ensure_level(warehouse_id: int, sku_id: int) -> None:
    """Create the (empty) stock level row if it does not exist; safe under concurrency."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(LEVELS).values(warehouse_id=warehouse_id, sku_id=sku_id, on_hand=0, reserved=0,
                                      locked=0, safety=0, damaged=0, reorder_point=0)
    db.session.execute(statement.on_conflict_do_nothing(index_elements=["warehouse_id", "sku_id"]))


def apply(warehouse_id: int, sku_id: int, kind: MovementKind, change: Change,
          guard: ColumnElement[bool] | None = None, **deltas: int) -> LevelAfter | None:
    """Add ``deltas`` to the level's buckets if ``guard`` holds, and append the movement.

    Returns the level after the change, or None (and writes nothing) when the guard did not hold or
    the level does not exist.
    """
    after = update_level(warehouse_id, sku_id, guard, **deltas)
    if after is not None:
        record(warehouse_id, sku_id, kind, change, **deltas)
    return after


def record(warehouse_id: int, sku_id: int, kind: MovementKind, change: Change, **deltas: int) -> None:
    """Append the movement for a change to the level's buckets (its ``update_level`` is the caller's).

    A reservation records first and updates the hot row last, inside a savepoint it rolls back when
    the guarded update is refused, so the row stays locked only from its UPDATE to the commit.
    """
    db.session.add(StockMovement(**movement_values(warehouse_id, sku_id, kind, change, **deltas)))


def movement_values(warehouse_id: int, sku_id: int, kind: MovementKind, change: Change, **deltas: int) -> dict:
    """The columns of one movement row (for ``record``, or for a batch inserted in one statement)."""
    _check_buckets(deltas)
    return {"warehouse_id": warehouse_id, "sku_id": sku_id, "kind": kind, "actor": change.actor,
            "reason": change.reason, "order_id": change.order_id, "reference": change.reference,
            **{f"{name}_delta": delta for name, delta in deltas.items()}}


def update_level(warehouse_id: int, sku_id: int, guard: ColumnElement[bool] | None = None,
                 **deltas: int) -> LevelAfter | None:
    """The guarded UPDATE alone: add ``deltas`` if ``guard`` holds; None when it did not (or no level)."""
    _check_buckets(deltas)
    c = LEVELS.c
    statement = (
        update(LEVELS)
        .where(c.warehouse_id == warehouse_id, c.sku_id == sku_id)
        .values({name: c[name] + delta for name, delta in deltas.items()})
        .returning(c.on_hand, c.reserved, c.locked, c.safety, c.reorder_point)
    )
    if guard is not None:
        statement = statement.where(guard)
    row = db.session.execute(statement).first()
    if row is None:
        return None
    _expire_cached_level(warehouse_id, sku_id)
    soldout.note_touched(db.session, warehouse_id, sku_id)
    if _frees_stock(deltas):
        soldout.note_freed(db.session, warehouse_id, sku_id)
    return LevelAfter(warehouse_id, sku_id, *row)


def _check_buckets(deltas: dict[str, int]) -> None:
    unknown = set(deltas) - set(BUCKETS)
    if unknown:
        raise ValueError(f"unknown stock buckets: {unknown}")


def _frees_stock(deltas: dict[str, int]) -> bool:
    """Could the change make more units sellable (and so end a sold-out)?"""
    return deltas.get("on_hand", 0) - deltas.get("reserved", 0) - deltas.get("locked", 0) > 0


def _expire_cached_level(warehouse_id: int, sku_id: int) -> None:
    """The UPDATE bypassed the ORM; make a StockLevel already loaded in this session reload."""
    for instance in db.session.identity_map.values():
        if isinstance(instance, StockLevel) and (instance.warehouse_id, instance.sku_id) == (warehouse_id, sku_id):
            db.session.expire(instance)
