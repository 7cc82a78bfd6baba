"""What waits, counted for the 工作台: each count is one cheap aggregate query, asked for by name so a
role's dashboard only runs the ones it shows."""

from collections.abc import Callable

from sqlalchemy import func, select

from app.db import db
from app.domain.channels.models import ChannelError
from app.domain.inventory.queries import open_reminder_count
from app.domain.invoicing.models import Invoice
from app.domain.invoicing.states import InvoiceStatus
from app.domain.orders.models import Order
from app.domain.orders.states import OrderStatus

#: Orders still moving: an SLA warning on a closed or finished order no longer waits for anyone.
OPEN_STATUSES = (OrderStatus.PAID, OrderStatus.APPROVED, OrderStatus.PACKING, OrderStatus.SHIPPED_OUT,
                 OrderStatus.IN_TRANSIT, OrderStatus.EXCEPTION)


def _orders(*conditions) -> int:
    return db.session.scalar(select(func.count(Order.id)).where(*conditions))


def _invoices(status: InvoiceStatus) -> int:
    return db.session.scalar(select(func.count(Invoice.id)).where(Invoice.status == status))


COUNTS: dict[str, Callable[[], int]] = {
    "pending_review": lambda: _orders(Order.status == OrderStatus.PAID),
    "to_pack": lambda: _orders(Order.status == OrderStatus.APPROVED),
    "overdue": lambda: _orders(Order.sla_flag.is_not(None), Order.status.in_(OPEN_STATUSES)),
    "exceptions": lambda: _orders(Order.status == OrderStatus.EXCEPTION),
    "short_stock": open_reminder_count,
    "sync_errors": lambda: db.session.scalar(select(func.count(ChannelError.id))
                                             .where(ChannelError.resolved_at.is_(None))),
    "to_invoice": lambda: _invoices(InvoiceStatus.REQUESTED),
    "to_approve": lambda: _invoices(InvoiceStatus.PENDING_APPROVAL),
}


def counts(names: list[str]) -> dict[str, int]:
    return {name: COUNTS[name]() for name in names}
