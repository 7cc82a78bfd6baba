"""Red-letter reversal (红冲): a red invoice of its own, with the blue one's lines negated, linked to it.

It follows the 数电 flow (platform-apis.md §7.1): the worker files the red confirmation form
(红字确认单) for the blue number, waits for it to be confirmed (or not needed), then has the red
invoice issued on it. Once the red invoice is issued the blue one is ``reversed``; the customer is told.

A refund after issue: the order's lines are computed again net of the refund and compared with what
the blue invoice (with any earlier red ones) still says, line by line. Where every line only went down,
the red invoice carries exactly those differences (the refunded lines, negative) and the blue one stays
valid for the rest. Where some line would go up (a refund smaller than the goods it named shifts the
discount shares), a partial red cannot express it: the whole invoice is reversed and a new blue one
requested for what remains. Finance can also reverse an invoice by hand with a reason (开票有误 …).
"""

from sqlalchemy import select

from app.db import db
from app.domain.errors import ValidationError
from app.domain.invoicing import lines as invoice_lines
from app.domain.invoicing import notify
from app.domain.invoicing.models import Invoice, InvoiceLine
from app.domain.invoicing.rules import InvoicingRules
from app.domain.invoicing.services import add_event, new_request_no, request_invoice, title_of, transition
from app.domain.invoicing.states import InvoiceAction, InvoiceStatus
from app.jobs import enqueue_after_commit
from app.text import N_, Text

ISSUE_JOB = "workers.einvoice.issue_invoice"
#: Nuonuo's redReason codes (Baiwang orders them differently: map them in its adapter).
RED_REASONS = {"1": N_("销货退回"), "2": N_("开票有误"), "3": N_("服务中止"), "4": N_("销售折让")}
REFUND_REASON = "1"


def reverse(blue: Invoice, reason: str, actor: str, note: str = "", lines: list[InvoiceLine] | None = None) -> Invoice:
    """Open the reversal of ``blue``: its red invoice (requested, no approval: it only takes back),
    with ``lines`` (default: everything the blue invoice still says, negated)."""
    if reason not in RED_REASONS:
        raise ValidationError({"reason": N_("请选择红冲原因")})
    if blue.is_red:
        raise ValidationError({"invoice": N_("红字发票不能再红冲")})
    lines = _whole(blue) if lines is None else lines
    transition(blue, InvoiceAction.RED_REQUESTED, actor, note or RED_REASONS[reason], {"reason": reason})
    red = Invoice(
        request_no=new_request_no(), status=InvoiceStatus.REQUESTED, kind=blue.kind, channel_id=blue.channel_id,
        buyer_phone=blue.buyer_phone, title_type=blue.title_type, title=blue.title, tax_id=blue.tax_id,
        email=blue.email, buyer_address=blue.buyer_address, buyer_tel=blue.buyer_tel, buyer_bank=blue.buyer_bank,
        buyer_account=blue.buyer_account, remark=N_("对应正数发票号码 %(number)s") % {"number": blue.number},
        excluding_fen=sum(line.excluding_fen for line in lines), tax_fen=sum(line.tax_fen for line in lines),
        total_fen=sum(line.amount_fen for line in lines), requested_by=actor,
        source="staff" if actor.startswith("user:") else "order", reverses_id=blue.id, reverses=blue,
        red_reason=reason, orders=list(blue.orders), lines=lines,
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
    transition(blue, InvoiceAction.RED_ISSUED, "platform", Text(N_("红字发票 %(number)s"), number=red.number),
               {"red_invoice": red.id})
    notify.invoice_reversed(blue, red)
    whole = not any(amount for _qty, amount, _excl, _tax in _current(blue).values())
    if red.red_reason != REFUND_REASON or not whole or not any(
            invoice_lines.invoiceable_fen(order) > 0 for order in blue.orders):
        return None
    [replacement, *_] = request_invoice(list(blue.orders), title_of(blue), "system", "order", rules,
                                        remark=N_("退款后重开，原发票号码 %(number)s") % {"number": blue.number})
    return replacement


def refunded_after_issue(blue: Invoice) -> bool:
    """Whether a refund left ``blue`` invoicing more than its orders' buyers now pay."""
    return any(invoice_lines.invoiceable_fen(order) < 0 for order in blue.orders)


def reverse_refund(blue: Invoice, rules: InvoicingRules, actor: str = "system") -> Invoice:
    """The red invoice a refund after issue calls for: the refunded lines where that can be said, else all."""
    lines = refund_difference(blue, rules)
    if lines is None:
        return reverse(blue, REFUND_REASON, actor)
    return reverse(blue, REFUND_REASON, actor, N_("部分红冲：退款的商品"), lines)


def refund_difference(blue: Invoice, rules: InvoicingRules) -> list[InvoiceLine] | None:
    """The red lines (negative) that bring ``blue`` down to what its orders now should invoice, or None
    when some line would have to go up (only a whole reversal and a new invoice can say that)."""
    current = _current(blue)
    should = {}
    for order in blue.orders:
        family = sum(amount for (order_id, _line), (_qty, amount, _excl, _tax) in current.items() if order_id == order.id)
        others = invoice_lines.invoiced_fen(order) - family
        try:
            taxed = invoice_lines.order_lines(order, rules, order.paid_fen - order.refunded_fen - others)
        except ValidationError:
            return None
        should |= {(line.line.order_id, line.line.order_line_id): line for line in taxed}
    if set(should) - set(current):
        return None
    red = []
    for line in blue.lines:
        key = (line.order_id, line.order_line_id)
        quantity, amount, excluding, tax_fen = current[key]
        target = should.get(key)
        diff = (target.line.quantity - quantity, target.line.amount_fen - amount, target.excluding_fen - excluding,
                target.tax_fen - tax_fen) if target else (-quantity, -amount, -excluding, -tax_fen)
        if diff[0] > 0 or diff[1] > 0:
            return None
        if diff[1] < 0:
            red.append(_red_line(line, *diff))
    return red


def _current(blue: Invoice) -> dict[tuple, tuple[int, int, int, int]]:
    """What ``blue`` still says per (order, order line): its lines plus its issued red invoices' lines."""
    reds = db.session.scalars(select(Invoice).where(Invoice.reverses_id == blue.id,
                                                    Invoice.status.in_(invoice_lines.ON_THE_BOOKS)))
    current = {}
    for line in [*blue.lines, *(line for red in reds for line in red.lines)]:
        key = (line.order_id, line.order_line_id)
        quantity, amount, excluding, tax_fen = current.get(key, (0, 0, 0, 0))
        current[key] = (quantity + line.quantity, amount + line.amount_fen, excluding + line.excluding_fen,
                        tax_fen + line.tax_fen)
    return current


def _whole(blue: Invoice) -> list[InvoiceLine]:
    """Everything ``blue`` still says, negated."""
    current = _current(blue)
    return [_red_line(line, *(-value for value in current[(line.order_id, line.order_line_id)]))
            for line in blue.lines if current[(line.order_id, line.order_line_id)][1]]


def _red_line(line: InvoiceLine, quantity: int, amount: int, excluding: int, tax_fen: int) -> InvoiceLine:
    """A red line for the blue ``line`` (same position, goods, code and rate: the platform matches them)."""
    return InvoiceLine(position=line.position, order_id=line.order_id, order_line_id=line.order_line_id,
                       name=line.name, tax_code=line.tax_code, rate_bp=line.rate_bp, quantity=quantity,
                       unit=line.unit, spec=line.spec, amount_fen=amount, excluding_fen=excluding, tax_fen=tax_fen)
