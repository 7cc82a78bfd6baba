"""Timeout rules as data: entering a state sets the order's next deadline (swept by timeouts.py).

Deadlines live in the database, not in Redis or in a delayed job, so a restart or a lost queue never
loses one: the every-minute sweep finds whatever is due.
"""

from datetime import datetime, timedelta

from app.domain.orders.models import Order
from app.domain.orders.states import OrderStatus
from app.text import N_

CLOSE_UNPAID = "close_unpaid"
ASK_PLATFORM = "ask_platform"  # a platform order past our unpaid timeout: the platform decides (timeouts.py)
REMIND_PAYMENT = "remind_payment"  # 催付: PAYMENT_REMINDER_LEAD before close_unpaid
APPROVAL_OVERDUE = "approval_overdue"
PACKING_OVERDUE = "packing_overdue"
TRANSIT_FOLLOW_UP = "transit_followup"
AUTO_COMPLETE = "auto_complete"
ARCHIVE = "archive"

#: Rules that only raise a flag for staff (the rest change the order).
WARNINGS = {APPROVAL_OVERDUE, PACKING_OVERDUE, TRANSIT_FOLLOW_UP}

RULE_LABELS = {
    CLOSE_UNPAID: N_("超时未付款"),
    ASK_PLATFORM: N_("向平台核实付款状态"),
    REMIND_PAYMENT: N_("关闭前 15 分钟催付"),
    APPROVAL_OVERDUE: N_("审核后 2 小时未处理"),
    PACKING_OVERDUE: N_("打包超过 1 小时"),
    TRANSIT_FOLLOW_UP: N_("运输超过 7 天未签收，需跟进"),
    AUTO_COMPLETE: N_("签收后无售后，到期自动完成"),
    ARCHIVE: N_("完成满 180 天归档"),
}

PAYMENT_REMINDER_LEAD = timedelta(minutes=15)

RULES: dict[OrderStatus, tuple[timedelta, str]] = {
    OrderStatus.APPROVED: (timedelta(hours=2), APPROVAL_OVERDUE),
    OrderStatus.PACKING: (timedelta(hours=1), PACKING_OVERDUE),
    OrderStatus.IN_TRANSIT: (timedelta(days=7), TRANSIT_FOLLOW_UP),
    OrderStatus.COMPLETED: (timedelta(days=180), ARCHIVE),
}


def schedule(order: Order, now: datetime) -> None:
    """Set the deadline that applies in the order's (new) state, and clear any old warning flag."""
    order.sla_flag = None
    if order.status == OrderStatus.PENDING_PAYMENT:
        order.deadline_at, order.deadline_rule = payment_deadline(order, now)
    elif order.status == OrderStatus.SIGNED:
        # Signed and no after-sales request within the channel's days (default 7): completed.
        order.deadline_at, order.deadline_rule = now + timedelta(days=order.channel.auto_complete_days), AUTO_COMPLETE
    elif order.status in RULES:
        delay, rule = RULES[OrderStatus(order.status)]
        order.deadline_at, order.deadline_rule = now + delay, rule
    else:
        order.deadline_at, order.deadline_rule = None, None


def payment_deadline(order: Order, now: datetime) -> tuple[datetime | None, str]:
    """An unpaid order's next deadline: the reminder while its moment is still ahead, else the close.
    (An order with a short unpaid timeout, or re-scheduled late, is simply closed when due.)"""
    due = order.payment_due_at
    if due is not None and due - PAYMENT_REMINDER_LEAD > now:
        return due - PAYMENT_REMINDER_LEAD, REMIND_PAYMENT
    return due, CLOSE_UNPAID
