"""Reconciliation (对账): per channel and day (the Shanghai day an order was paid), what was payable,
paid, refunded, invoiced blue and red, and every difference with the orders behind it.

Paid but never asked for an invoice is not a difference (most consumers want none), nor is an invoice
waiting for its order to complete (it is issued on completion by design); the differences are an
invoice due and still not issued after ``stale_days``, an order invoiced above what it paid net of
refunds, and a refund after issue whose red-letter invoice is not issued yet. An invoice merged
over several orders counts on each order for the share of its lines that came from it.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.db import db
from app.domain.invoicing.lines import ON_THE_BOOKS
from app.domain.invoicing.models import Invoice, ReconciliationDay
from app.domain.invoicing.services import invoices_of
from app.domain.invoicing.states import InvoiceStatus
from app.domain.orders.models import Order

SHANGHAI = ZoneInfo("Asia/Shanghai")
DIFFERENCES = ("not_issued", "above_paid", "not_reversed")
NOT_YET_ISSUED = {InvoiceStatus.WAITING, InvoiceStatus.PENDING_APPROVAL, InvoiceStatus.REQUESTED, InvoiceStatus.FAILED}


def reconcile(day: date, now: datetime, stale_days: int) -> list[ReconciliationDay]:
    """Compute (again) every channel's row for ``day``; rows are replaced, so re-running is harmless."""
    start = datetime.combine(day, time.min, SHANGHAI)
    orders = list(db.session.scalars(select(Order).where(Order.paid_at >= start,
                                                         Order.paid_at < start + timedelta(days=1))
                                     .order_by(Order.channel_id, Order.id)))
    rows = []
    for channel_id in sorted({order.channel_id for order in orders}):
        row = _row(day, channel_id)
        _fill(row, [order for order in orders if order.channel_id == channel_id], now, stale_days)
        rows.append(row)
    db.session.flush()
    return rows


def recent(days: int, today: date) -> list[ReconciliationDay]:
    return list(db.session.scalars(select(ReconciliationDay)
                                   .where(ReconciliationDay.day > today - timedelta(days=days))
                                   .order_by(ReconciliationDay.day.desc(), ReconciliationDay.channel_id)))


def shanghai_today(now: datetime) -> date:
    return now.astimezone(SHANGHAI).date()


def _row(day: date, channel_id: int) -> ReconciliationDay:
    row = db.session.scalar(select(ReconciliationDay).where(ReconciliationDay.day == day,
                                                           ReconciliationDay.channel_id == channel_id))
    if row is None:
        row = ReconciliationDay(day=day, channel_id=channel_id)
        db.session.add(row)
    return row


def _fill(row: ReconciliationDay, orders: list[Order], now: datetime, stale_days: int) -> None:
    differences = {name: [] for name in DIFFERENCES}
    row.orders = len(orders)
    row.payable_fen = sum(order.payable_fen for order in orders)
    row.paid_fen = sum(order.paid_fen for order in orders)
    row.refunded_fen = sum(order.refunded_fen for order in orders)
    row.blue_fen = row.red_fen = row.not_requested_fen = 0
    for order in orders:
        invoices = invoices_of(order)
        blue = sum(_share(invoice, order) for invoice in invoices if invoice.status in ON_THE_BOOKS and not invoice.is_red)
        red = sum(_share(invoice, order) for invoice in invoices if invoice.status in ON_THE_BOOKS and invoice.is_red)
        row.blue_fen += blue
        row.red_fen += red
        if not invoices:
            row.not_requested_fen += order.paid_fen - order.refunded_fen
        for name in _differences(order, invoices, blue + red, now, stale_days):
            differences[name].append(order.order_no)
    row.differences = differences
    row.computed_at = now


def _differences(order: Order, invoices: list[Invoice], invoiced: int, now: datetime, stale_days: int) -> list[str]:
    found = []
    due = [invoice for invoice in invoices if invoice.status in NOT_YET_ISSUED and not invoice.is_red
           and not _waiting_for_order(invoice)]
    if due and order.paid_at < now - timedelta(days=stale_days):
        found.append("not_issued")
    if invoiced > order.paid_fen - order.refunded_fen:
        found.append("not_reversed" if order.refunded_fen else "above_paid")
    return found


def _waiting_for_order(invoice: Invoice) -> bool:
    """Waiting, and rightly so: one of its orders has not completed yet."""
    return invoice.status == InvoiceStatus.WAITING and any(order.completed_at is None for order in invoice.orders)


def _share(invoice: Invoice, order: Order) -> int:
    """The part of ``invoice``'s total that came from ``order`` (all of it, unless merged)."""
    if len(invoice.orders) == 1:
        return invoice.total_fen
    return sum(line.amount_fen for line in invoice.lines if line.order_id == order.id)
