"""Purchase reminders: one per SKU × warehouse while its stock position is under the reorder point."""

from sqlalchemy import select

from app.db import db, utcnow
from app.domain.inventory.ledger import LevelAfter
from app.domain.inventory.models import PurchaseReminder


def evaluate(level: LevelAfter | None) -> None:
    """Raise a reminder when the position fell under the reorder point; mark it recovered when it rose.

    Called after every stock change with the level's new values, so it costs a query only where a
    reorder point is set.
    """
    if level is None or level.reorder_point <= 0:
        return
    reminder = _unrecovered_reminder(level.warehouse_id, level.sku_id)
    if level.under_reorder_point and reminder is None:
        db.session.add(PurchaseReminder(
            warehouse_id=level.warehouse_id, sku_id=level.sku_id, position_at_raise=level.position,
            reorder_point=level.reorder_point,
            suggested_quantity=max(0, 2 * level.reorder_point - level.position),
        ))
    elif not level.under_reorder_point and reminder is not None:
        reminder.recovered_at = utcnow()


def dismiss(reminder: PurchaseReminder, actor: str) -> None:
    """Hide the reminder from the to-do list; it still blocks a new one until stock recovers."""
    if reminder.dismissed_at is None:
        reminder.dismissed_at, reminder.dismissed_by = utcnow(), actor
    db.session.flush()


def _unrecovered_reminder(warehouse_id: int, sku_id: int) -> PurchaseReminder | None:
    return db.session.scalar(select(PurchaseReminder).where(
        PurchaseReminder.warehouse_id == warehouse_id, PurchaseReminder.sku_id == sku_id,
        PurchaseReminder.recovered_at.is_(None)))
