"""Red-letter reversal (红冲): a red invoice of its own, with the blue one's lines negated, linked to it.

It follows the 数电 flow (platform-apis.md §7.1): the worker files the red confirmation form
(红字确认单) for the blue number, waits for it to be confirmed (or not needed), then has the red
invoice issued on it. Once the red invoice is issued the blue one is ``reversed``; the customer is told.

A refund after issue reverses the whole blue invoice and, when something is still paid, requests a new
blue one for what remains (its lines recomputed net of the refund): one rule for whole and partial
refunds that the tax bureau accepts however the refund was split over the lines. Finance can also
reverse an invoice by hand with a reason (开票有误 …).
"""

from app.domain.invoicing import lines as invoice_lines
from app.domain.invoicing import notify, tax
from app.domain.invoicing.models import Invoice, InvoiceLine
from app.domain.invoicing.rules import InvoicingRules
from app.domain.invoicing.services import add_event, new_request_no, request_invoice, transition
from app.domain.invoicing.states import InvoiceAction, InvoiceStatus
from app.domain.invoicing.titles import Title
from app.errors import ValidationError
from app.extensions import db
from app.jobs import enqueue_after_commit
from app.text import N_

ISSUE_JOB = "workers.einvoice.issue_invoice"
#: Nuonuo's redReason codes (Baiwang orders them differently: map them in its adapter).
RED_REASONS = {"1": N_("销货退回"), "2": N_("开票有误"), "3": N_("服务中止"), "4": N_("销售折让")}
REFUND_REASON = "1"


def reverse(blue: Invoice, reason: str, actor: str, note: str = "") -> Invoice:
    """Open the reversal of ``blue``: its red invoice (requested, no approval: it only takes back)."""
    if reason not in RED_REASONS:
        raise ValidationError({"reason": N_("请选择红冲原因")})
    if blue.is_red:
        raise ValidationError({"invoice": N_("红字发票不能再红冲")})
    transition(blue, InvoiceAction.RED_REQUESTED, actor, note or RED_REASONS[reason], {"reason": reason})
    red = Invoice(
        request_no=new_request_no(), status=InvoiceStatus.REQUESTED, kind=blue.kind, channel_id=blue.channel_id,
        buyer_phone=blue.buyer_phone, title_type=blue.title_type, title=blue.title, tax_id=blue.tax_id,
        email=blue.email, remark=N_("对应正数发票号码 %(number)s") % {"number": blue.number},
        excluding_fen=-blue.excluding_fen, tax_fen=-blue.tax_fen, total_fen=-blue.total_fen, requested_by=actor,
        source="staff" if actor.startswith("user:") else "order", reverses_id=blue.id, reverses=blue,
        red_reason=reason, orders=list(blue.orders), lines=[_negated(line) for line in blue.lines],
    )
    db.session.add(red)
    db.session.flush()
    add_event(red, "request", actor, None, red.status, note or RED_REASONS[reason], {"reverses": blue.id})
    enqueue_after_commit(ISSUE_JOB, red.id, queue="einvoice", job_timeout=120)
    return red


def finish(red: Invoice, rules: InvoicingRules) -> Invoice | None:
    """The red invoice is issued: the blue one is reversed, the customer told, and, after a refund that
    left something paid, a new blue invoice requested for it. Returns that new invoice, if any."""
    blue = red.reverses
    transition(blue, InvoiceAction.RED_ISSUED, "platform", N_("红字发票 %(number)s") % {"number": red.number},
               {"red_invoice": red.id})
    notify.invoice_reversed(blue, red)
    if red.red_reason != REFUND_REASON or not any(invoice_lines.invoiceable_fen(order) > 0 for order in blue.orders):
        return None
    title = Title(blue.title_type, blue.title, blue.tax_id, blue.email, blue.kind)
    [replacement, *_] = request_invoice(list(blue.orders), title, "system", "order", rules,
                                        remark=N_("退款后重开，原发票号码 %(number)s") % {"number": blue.number})
    return replacement


def refunded_after_issue(blue: Invoice) -> bool:
    """Whether a refund left ``blue`` invoicing more than its orders' buyers now pay."""
    return any(invoice_lines.invoiceable_fen(order) < 0 for order in blue.orders)


def _negated(line: InvoiceLine) -> InvoiceLine:
    taxed = tax.negated([tax.TaxedLine(tax.Line(line.name, line.tax_code, line.rate_bp, line.quantity,
                                                line.amount_fen, line.unit, line.spec, line.order_line_id),
                                       line.excluding_fen, line.tax_fen)])[0]
    return InvoiceLine(position=line.position, order_id=line.order_id, order_line_id=line.order_line_id, name=line.name,
                       tax_code=line.tax_code, rate_bp=line.rate_bp, quantity=taxed.line.quantity,
                       unit=line.unit, spec=line.spec, amount_fen=taxed.line.amount_fen,
                       excluding_fen=taxed.excluding_fen, tax_fen=taxed.tax_fen)
