"""What the every-minute sweep finds to do (workers/einvoice.py runs it): orders created with invoice
details that have no invoice yet, waiting invoices whose orders are now ready, issued invoices that a
later refund left too large (→ red-letter reversal).

Orders never call invoicing (it sits above them); this sweep is how their changes reach it, so an
invoice follows its order within a minute, and a missed minute is caught up by the next one.
"""

import logging

from sqlalchemy import exists, select

from app.db import db
from app.domain.errors import DomainError
from app.domain.invoicing import reversal, services
from app.domain.invoicing.models import Invoice, invoice_orders
from app.domain.invoicing.rules import InvoicingRules
from app.domain.invoicing.states import InvoiceStatus
from app.domain.orders.models import Order
from app.domain.orders.states import OrderStatus

logger = logging.getLogger(__name__)
BATCH = 200


def request_from_order_details(rules: InvoicingRules) -> list[int]:
    """Invoices for paid orders that came with invoice details and have none yet; returns the new ids.
    An order that cannot be invoiced (a SKU without tax data …) is logged and skipped, not retried into
    a loop of rollbacks: each one runs in its own savepoint."""
    has_invoice = exists().where(invoice_orders.c.order_id == Order.id)
    orders = db.session.scalars(
        select(Order).where(Order.invoice_title_type.is_not(None), Order.paid_fen > Order.refunded_fen,
                            Order.status != OrderStatus.CLOSED, ~has_invoice)
        .order_by(Order.id).limit(BATCH))
    created = []
    for order in orders:
        savepoint = db.session.begin_nested()
        try:
            created.extend(invoice.id for invoice in services.request_from_order_details(order, rules))
        except DomainError as error:
            savepoint.rollback()
            logger.warning("Order %s: no automatic invoice: %s %s", order.order_no, error.message, error.details)
            continue
        savepoint.commit()
    return created


def advance_waiting(rules: InvoicingRules) -> list[int]:
    """Waiting invoices moved on (to approval, the platform, or cancelled); returns their ids."""
    waiting = db.session.scalars(select(Invoice).where(Invoice.status == InvoiceStatus.WAITING)
                                 .order_by(Invoice.id).limit(BATCH * 5))
    return [invoice.id for invoice in waiting if services.advance(invoice, rules).status != InvoiceStatus.WAITING]


def reverse_refunded(rules: InvoicingRules) -> list[int]:
    """Issued blue invoices that a later refund made too large get their red-letter reversal; returns
    the red invoices' ids."""
    candidates = db.session.scalars(
        select(Invoice).join(invoice_orders, invoice_orders.c.invoice_id == Invoice.id)
        .join(Order, Order.id == invoice_orders.c.order_id)
        .where(Invoice.status.in_((InvoiceStatus.ISSUED, InvoiceStatus.REVERSED)), Invoice.reverses_id.is_(None),
               Order.refunded_fen > 0,
               Order.updated_at >= Invoice.issued_at)
        .distinct().order_by(Invoice.id).limit(BATCH))
    return [reversal.reverse_refund(blue, rules).id for blue in candidates if reversal.refunded_after_issue(blue)]
