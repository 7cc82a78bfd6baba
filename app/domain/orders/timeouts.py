"""The every-minute sweep over due deadlines (rules in deadlines.py)."""

import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from app.db import db
from app.domain.orders import deadlines, notify, services
from app.domain.orders.models import Order
from app.jobs import enqueue_after_commit

logger = logging.getLogger(__name__)
BATCH_SIZE = 200
#: A platform order is never closed unpaid by our clock (the platform owns its payment, and a buyer may
#: pay there after our timeout): when it is due we fetch the order from the platform, which applies
#: whatever the platform says (closed, paid, still waiting), and ask again this much later.
PLATFORM_RECHECK = timedelta(minutes=30)
#: The channel sync's detail fetch, by dotted name (the orders domain knows no adapters).
PLATFORM_REFRESH_JOB = "workers.channel_sync.fetch_pushed_order"


def sweep_due(now: datetime, batch_size: int = BATCH_SIZE) -> dict[str, int]:
    """Apply every rule due by ``now`` to at most ``batch_size`` orders; returns how many per rule.

    Due rows are locked with SKIP LOCKED, so two sweeps (or a sweep and a person acting on an order)
    never work on the same order at once; each order runs in its own savepoint so that one that fails
    is logged and retried next minute without holding back the others.
    """
    due = db.session.scalars(
        select(Order).where(Order.deadline_at <= now).order_by(Order.deadline_at)
        .limit(batch_size).with_for_update(skip_locked=True)
    ).all()
    applied: dict[str, int] = {}
    for order in due:
        rule = order.deadline_rule
        savepoint = db.session.begin_nested()
        try:
            rule = _apply(order, rule, now) or rule
        except Exception:
            savepoint.rollback()
            logger.exception("Timeout rule %s failed for order %s", rule, order.order_no)
            continue
        savepoint.commit()
        applied[rule] = applied.get(rule, 0) + 1
    return applied


def _apply(order: Order, rule: str, now: datetime) -> str | None:
    """Apply ``rule``; returns the rule applied instead when that differs (a reminder come too late)."""
    if rule == deadlines.REMIND_PAYMENT:
        return _remind_payment(order, now)
    if rule in (deadlines.CLOSE_UNPAID, deadlines.ASK_PLATFORM):
        return _close_unpaid(order, now)
    if rule == deadlines.AUTO_COMPLETE:
        services.complete(order, "system")
    elif rule == deadlines.ARCHIVE:
        order.archived_at, order.deadline_at, order.deadline_rule = now, None, None
        services.add_event(order, rule, "system", order.status, order.status, deadlines.RULE_LABELS[rule])
    elif rule in deadlines.WARNINGS:
        order.sla_flag, order.deadline_at, order.deadline_rule = rule, None, None
        services.add_event(order, rule, "system", order.status, order.status, deadlines.RULE_LABELS[rule])
    else:
        raise ValueError(f"unknown deadline rule {rule!r}")
    db.session.flush()
    return None


def _remind_payment(order: Order, now: datetime) -> str:
    """Queue the reminder and wait for the close; a sweep that comes after the close time just closes."""
    if order.payment_due_at is None or order.payment_due_at <= now:
        return _close_unpaid(order, now)
    notify.remind_payment(order)
    order.deadline_at, order.deadline_rule = order.payment_due_at, deadlines.CLOSE_UNPAID
    db.session.flush()
    return deadlines.REMIND_PAYMENT


def _close_unpaid(order: Order, now: datetime) -> str:
    """Close our own channels' unpaid orders; ask the platform about one of its own (PLATFORM_RECHECK)."""
    if not (order.channel.platform_owns_payment and order.external_id):
        services.close_unpaid(order)
        db.session.flush()
        return deadlines.CLOSE_UNPAID
    enqueue_after_commit(PLATFORM_REFRESH_JOB, order.channel_id, order.external_id, queue="channels")
    order.deadline_at, order.deadline_rule = now + PLATFORM_RECHECK, deadlines.ASK_PLATFORM
    db.session.flush()
    return deadlines.ASK_PLATFORM
