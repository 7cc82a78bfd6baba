"""Requesting invoices and moving them through their lifecycle (states.py), each move with its timeline
entry. Services flush; the view, job or command commits once. Actors are strings (``user:caiwu``,
``customer:138…``, ``system``), as for orders.

A request becomes one invoice, or several when its lines exceed what the platform takes on one. It
waits (``waiting``) until its orders complete (or, for the channels configured so, are paid), then goes
for approval if its total needs it, else to the platform: the issue job is queued after the commit.
"""

import secrets
from datetime import datetime

from sqlalchemy import select

from app.db import db, utcnow
from app.domain.errors import Conflict, NotFound, ValidationError
from app.domain.invoicing import lines as invoice_lines
from app.domain.invoicing import tax
from app.domain.invoicing.models import Invoice, InvoiceEvent, InvoiceLine, invoice_orders, message_data
from app.domain.invoicing.rules import InvoicingRules, thresholds
from app.domain.invoicing.states import ACTIVE, InvoiceAction, InvoiceStatus, next_status
from app.domain.invoicing.titles import Title, clean
from app.domain.orders.models import Order
from app.domain.orders.states import FINAL
from app.jobs import enqueue_after_commit
from app.text import N_, Text

SOURCES = ("order", "portal", "staff", "api")
ISSUE_JOB = "workers.einvoice.issue_invoice"
MAX_MERGED_ORDERS = 50


class InvoiceExists(Conflict):
    """An active invoice already covers the order (the API's 409 ``invoice_exists``)."""

    code = "invoice_exists"


def request_invoice(orders: list[Order], title: Title, actor: str, source: str, rules: InvoicingRules,
                    remark: str = "") -> list[Invoice]:
    """Request one invoice for ``orders`` (several: 合并开票, all of one buyer and one channel).

    Raises ValidationError for a bad title or nothing left to invoice (naming the amount that still
    can be), Conflict when an active invoice already covers one of the orders."""
    title = clean(title)
    invoices = [_new_invoice(orders, chunk, title, actor, source, remark) for chunk in plan(orders, rules)]
    for invoice in invoices:
        add_event(invoice, "request", actor, None, invoice.status,
                  details={"orders": [order.order_no for order in invoice.orders], "source": source,
                           "parts": len(invoices)})
        advance(invoice, rules)
    db.session.flush()
    return invoices


def plan(orders: list[Order], rules: InvoicingRules) -> list[list[tax.TaxedLine]]:
    """The invoices a request for ``orders`` would make, each as its taxed lines (more lines than the
    platform takes: several), with the same refusals as the request itself; nothing is written."""
    _check_orders(orders)
    invoice_lines.check_invoiceable(orders)
    taxed = [line for order in orders for line in invoice_lines.order_lines(order, rules)]
    if not taxed:
        raise ValidationError({"orders": N_("订单中没有可开票的商品")})
    return tax.split(taxed, rules.max_lines)


def mergeable_orders(buyer_phone: str, limit: int = MAX_MERGED_ORDERS) -> list[Order]:
    """The buyer's completed orders that no invoice covers yet and that still have something to invoice,
    newest first: what finance can merge into one invoice (合并开票)."""
    covered = (select(invoice_orders.c.order_id).join(Invoice, Invoice.id == invoice_orders.c.invoice_id)
               .where(Invoice.status.in_(ACTIVE), Invoice.reverses_id.is_(None)))
    orders = db.session.scalars(
        select(Order).where(Order.buyer_phone == buyer_phone, Order.completed_at.is_not(None),
                            Order.paid_fen > Order.refunded_fen, Order.id.not_in(covered))
        .order_by(Order.completed_at.desc(), Order.id.desc()).limit(limit))
    return [order for order in orders if invoice_lines.invoiceable_fen(order) > 0]


def request_from_order_details(order: Order, rules: InvoicingRules) -> list[Invoice]:
    """The automatic request of an order that was created with invoice details."""
    title = Title(order.invoice_title_type, order.invoice_title, order.invoice_tax_id, order.invoice_email)
    return request_invoice([order], title, "system", "order", rules)


def advance(invoice: Invoice, rules: InvoicingRules) -> Invoice:
    """Move a waiting invoice on once its orders allow it: cancelled if they were closed or refunded in
    full, to approval if its total needs it, else to the platform. Does nothing while they are not ready."""
    if invoice.status != InvoiceStatus.WAITING:
        return invoice
    if all(order.status in FINAL and order.paid_fen <= order.refunded_fen for order in invoice.orders):
        return transition(invoice, InvoiceAction.CANCEL, "system", N_("订单已关闭或全额退款"))
    if not all(_ready(order, rules) for order in invoice.orders):
        return invoice
    invoice.approvals_needed = thresholds(rules).levels_needed(invoice.total_fen)
    if invoice.approvals_needed:
        return transition(invoice, InvoiceAction.SUBMIT_FOR_APPROVAL, "system")
    return release(invoice, InvoiceAction.RELEASE, "system")


def advance_invoices_of(order: Order, rules: InvoicingRules) -> list[Invoice]:
    """Move the waiting invoices of ``order`` on at once (a caller that has just completed or paid it),
    rather than at the next sweep."""
    return [advance(invoice, rules) for invoice in invoices_of(order) if invoice.status == InvoiceStatus.WAITING]


def release(invoice: Invoice, action: InvoiceAction, actor: str, note: str = "") -> Invoice:
    """To the platform: the move, and the issue job once the caller commits."""
    transition(invoice, action, actor, note)
    invoice.next_check_at = None
    enqueue_after_commit(ISSUE_JOB, invoice.id, queue="einvoice", job_timeout=120)
    return invoice


def reissue(invoice: Invoice, actor: str) -> Invoice:
    """Try a failed invoice again (finance, after fixing what the platform refused). A new request
    number: the platform remembers the failed one as failed."""
    next_status(invoice.status, InvoiceAction.REISSUE)  # refuse before changing anything
    previous = invoice.request_no
    invoice.request_no = new_request_no()
    invoice.serial_no, invoice.submitted_at, invoice.submit_attempts, invoice.red_form_no = None, None, 0, ""
    invoice.failure_code, invoice.failure_message = "", ""
    return release(invoice, InvoiceAction.REISSUE, actor, Text(N_("重新开票（原请求号 %(no)s）"), no=previous))


def transition(invoice: Invoice, action: InvoiceAction, actor: str, note: str = "",
               details: dict | None = None) -> Invoice:
    """Move ``invoice`` by ``action`` with its timeline entry; a repeat of a done action changes nothing."""
    target = next_status(invoice.status, action)
    if target is None:
        return invoice
    add_event(invoice, action, actor, invoice.status, target, note, details)
    invoice.status = target
    db.session.flush()
    return invoice


def add_event(invoice: Invoice, action: str, actor: str, from_status: str | None = None,
              to_status: str | None = None, note: str = "", details: dict | None = None) -> InvoiceEvent:
    """Append one timeline entry. ``note`` is a ``Text`` (kept as template and values, so each reader
    sees it in their language), a fixed ``N_`` label, or a person's own words."""
    note = message_data(note)
    event = InvoiceEvent(invoice=invoice, actor=actor, action=str(action), from_status=from_status,
                         to_status=to_status, note=note["template"], note_params=note["params"],
                         details=details or {})
    db.session.add(event)
    return event


def get_invoice(invoice_id: int, for_update: bool = False) -> Invoice:
    query = select(Invoice).where(Invoice.id == invoice_id)
    if for_update:
        query = query.with_for_update()
    invoice = db.session.scalar(query)
    if invoice is None:
        raise NotFound(N_("发票不存在"), details={"invoice_id": invoice_id})
    return invoice


def invoices_of(order: Order) -> list[Invoice]:
    return list(db.session.scalars(
        select(Invoice).join(invoice_orders, invoice_orders.c.invoice_id == Invoice.id)
        .where(invoice_orders.c.order_id == order.id).order_by(Invoice.id)))


def new_request_no(now: datetime | None = None) -> str:
    """INV + the UTC date and time + 8 random digits: the platform's orderNo (unique per seller)."""
    return f"INV{(now or utcnow()).strftime('%y%m%d%H%M%S')}{secrets.randbelow(10**8):08d}"


def _ready(order: Order, rules: InvoicingRules) -> bool:
    """Whether the order has reached the point its invoice waits for."""
    if order.channel.code in rules.on_payment_channels:
        return order.paid_at is not None
    return order.completed_at is not None


def _check_orders(orders: list[Order]) -> None:
    if not orders or len(orders) > MAX_MERGED_ORDERS:
        raise ValidationError({"orders": N_("请选择 1 到 50 个订单")})
    if len({order.channel_id for order in orders}) > 1 or len({order.buyer_phone for order in orders}) > 1:
        raise ValidationError({"orders": N_("只有同一渠道、同一买家的订单才能合并开票")})
    for order in orders:
        if any(invoice.status in ACTIVE and not invoice.is_red for invoice in invoices_of(order)):
            raise InvoiceExists(N_("订单 %(order_no)s 已有发票") % {"order_no": order.order_no},
                                details={"reason": "invoice_exists", "order_no": order.order_no})


def _new_invoice(orders: list[Order], chunk: list[tax.TaxedLine], title: Title, actor: str, source: str,
                 remark: str) -> Invoice:
    order_ids = {line.line.order_id for line in chunk}
    excluding, tax_fen, total = tax.totals(chunk)
    invoice = Invoice(
        request_no=new_request_no(), status=InvoiceStatus.WAITING, kind=title.kind, channel_id=orders[0].channel_id,
        buyer_phone=orders[0].buyer_phone, title_type=title.title_type, title=title.title, tax_id=title.tax_id,
        email=title.email, remark=remark[:200], **buyer_details(title), excluding_fen=excluding, tax_fen=tax_fen, total_fen=total,
        requested_by=actor, source=source,
        orders=[order for order in orders if order.id in order_ids],
        lines=[_invoice_line(position, line) for position, line in enumerate(chunk, start=1)],
    )
    db.session.add(invoice)
    return invoice


def buyer_details(title: Title) -> dict:
    """The 专票 buyer details as the invoice's columns."""
    return {"buyer_address": title.address, "buyer_tel": title.phone, "buyer_bank": title.bank,
            "buyer_account": title.account}


def title_of(invoice: Invoice) -> Title:
    """The title an invoice was issued to, for a new invoice to the same buyer."""
    return Title(invoice.title_type, invoice.title, invoice.tax_id, invoice.email, invoice.kind,
                 invoice.buyer_address, invoice.buyer_tel, invoice.buyer_bank, invoice.buyer_account)


def _invoice_line(position: int, taxed: tax.TaxedLine) -> InvoiceLine:
    line = taxed.line
    return InvoiceLine(position=position, order_id=line.order_id, order_line_id=line.order_line_id, name=line.name[:240],
                       tax_code=line.tax_code, rate_bp=line.rate_bp, quantity=line.quantity, unit=line.unit,
                       spec=line.spec, amount_fen=line.amount_fen, excluding_fen=taxed.excluding_fen,
                       tax_fen=taxed.tax_fen)
