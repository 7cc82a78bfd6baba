"""The invoice's side of the conversation with the e-invoice platform: what is sent, and recording each
answer. The worker (workers/einvoice.py) calls the platform between these steps, outside any open
transaction: claim (commit) → call → record the outcome (commit).

Why no request ever yields two blue invoices: the platform issues at most one invoice per request
number (``orderNo``), and an attempt after one that may have reached it (a timeout, a killed worker:
``submit_attempts`` > 0 with no serial number) first asks the platform for that number instead of
sending it again.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from app.db import db
from app.domain.invoicing import tax
from app.domain.invoicing.models import Invoice
from app.domain.invoicing.platforms.base import IssueLine, IssueRequest, IssueResult, PlatformError, RedForm
from app.domain.invoicing.services import add_event, transition
from app.domain.invoicing.states import InvoiceAction, InvoiceStatus
from app.jobs import enqueue_after_commit
from app.money import fen_to_yuan
from app.text import N_, Text

PDF_JOB = "workers.einvoice.render_pdf"
RED_DONE_JOB = "workers.einvoice.finish_reversal"
#: How a red confirmation form stands, as the timeline says it.
RED_FORM_STATES = {"confirmed": N_("已确认（或无需确认）"), "waiting": N_("待对方确认"), "void": N_("已作废")}
#: After an answer "still issuing", or no answer, look again after these delays (then every minute).
CHECK_DELAYS = (timedelta(seconds=2), timedelta(seconds=5), timedelta(seconds=15), timedelta(seconds=30))
#: A red confirmation form waiting for the buyer is looked at again after this long.
RED_FORM_RECHECK = timedelta(minutes=5)


@dataclass(frozen=True)
class Seller:
    name: str
    tax_id: str
    address: str
    bank: str
    clerk: str

    @classmethod
    def from_config(cls, config) -> "Seller":
        return cls(config["SELLER_NAME"], config["SELLER_TAX_ID"], config["SELLER_ADDRESS"], config["SELLER_BANK"],
                   config["INVOICE_CLERK"])


def issue_request(invoice: Invoice, seller: Seller, red_bill_no: str = "") -> IssueRequest:
    """What the platform is sent for ``invoice`` (a red one names the blue number and its form)."""
    blue = invoice.reverses
    return IssueRequest(
        request_no=invoice.request_no, kind=invoice.kind, buyer_name=invoice.title, buyer_tax_id=invoice.tax_id,
        buyer_email=invoice.email, buyer_phone=invoice.buyer_phone, seller_tax_id=seller.tax_id, clerk=seller.clerk,
        remark=invoice.remark, lines=[_issue_line(line, blue) for line in invoice.lines],
        red_of_number=blue.number if blue else "", red_reason=invoice.red_reason, red_bill_no=red_bill_no,
        buyer_address=invoice.buyer_address, buyer_tel=invoice.buyer_tel, buyer_bank=invoice.buyer_bank,
        buyer_account=invoice.buyer_account,
    )


def claim(invoice: Invoice, now: datetime) -> bool:
    """Before a submission: count the attempt and stamp it, so that a worker killed during the call leaves
    a trace. False when there is nothing to submit (not requested, or the platform has it already)."""
    if invoice.status != InvoiceStatus.REQUESTED or invoice.serial_no:
        return False
    invoice.submit_attempts += 1
    invoice.submitted_at = now
    invoice.next_check_at = now + CHECK_DELAYS[-1]  # if this attempt dies, the sweep tries again then
    add_event(invoice, "submit", "system", note=Text(N_("第 %(n)s 次提交开票平台"), n=invoice.submit_attempts),
              details={"request_no": invoice.request_no})
    db.session.flush()
    return True


def may_have_arrived(invoice: Invoice) -> bool:
    """An earlier attempt may have reached the platform: look before sending again."""
    return invoice.submit_attempts > 1


def record_accepted(invoice: Invoice, serial_no: str, now: datetime) -> None:
    invoice.serial_no = serial_no
    invoice.next_check_at = now + CHECK_DELAYS[0]
    add_event(invoice, "accepted", "platform", note=Text(N_("平台受理，流水号 %(serial)s"), serial=serial_no),
              details={"serial_no": serial_no})
    db.session.flush()


def record_result(invoice: Invoice, result: IssueResult, now: datetime, checks: int = 0) -> str:
    """Record what the platform says about the request; returns the state it said."""
    if result.serial_no and not invoice.serial_no:
        record_accepted(invoice, result.serial_no, now)
    if result.state == "issuing":
        invoice.next_check_at = now + CHECK_DELAYS[min(checks, len(CHECK_DELAYS) - 1)]
    elif result.state == "issued":
        _record_issued(invoice, result, now)
    else:
        record_failure(invoice, PlatformError(result.fail_code, result.fail_message))
    db.session.flush()
    return result.state


def record_failure(invoice: Invoice, error: PlatformError) -> None:
    """The platform refused: ``failed`` with its own code and message, for finance to see and reissue."""
    invoice.failure_code, invoice.failure_message = error.code[:32], error.message[:300]
    invoice.next_check_at = None
    transition(invoice, InvoiceAction.FAIL, "platform", platform_says(error),
               {"code": error.code, "message": error.message})


def record_no_answer(invoice: Invoice, error: PlatformError, now: datetime) -> None:
    """No (usable) answer: the request may or may not have arrived; the next attempt looks it up first."""
    invoice.next_check_at = now + CHECK_DELAYS[-1]
    add_event(invoice, "no_answer", "platform", note=platform_says(error), details={"code": error.code})
    db.session.flush()


def red_form_filed(invoice: Invoice) -> bool:
    """Whether the platform has the red confirmation form of this request already (filed under our request
    number): the next look asks how it stands rather than filing it again."""
    return _last_red_form_state(invoice) is not None


def record_red_form(invoice: Invoice, form: RedForm, now: datetime) -> str:
    """The red confirmation form's answer, on the timeline when it changed. Only a confirmed form (or one
    that needs no confirmation) is kept; one waiting for the buyer (who has up to 72 hours) is looked at
    again every few minutes; a void one (denied, lapsed, revoked) fails the red invoice for finance."""
    if _last_red_form_state(invoice) != form.state:
        add_event(invoice, "red_form", "platform",
                  note=Text(N_("红字确认单 %(bill)s：%(state)s"), bill=form.bill_no,
                            state=Text(RED_FORM_STATES[form.state])),
                  details={"bill_no": form.bill_no, "state": form.state, "platform_state": form.platform_state})
    if form.state == "confirmed":
        invoice.red_form_no = form.bill_no
        invoice.next_check_at = None
    elif form.state == "void":
        record_failure(invoice, PlatformError("red_form_void", Text(N_("红字确认单已作废"))))
    else:
        invoice.next_check_at = now + RED_FORM_RECHECK
    db.session.flush()
    return form.state


def platform_says(error: PlatformError) -> Text:
    """The platform's own code and message (its words, in its language), for the timeline."""
    message = error.message if isinstance(error.message, Text) else str(error.message)[:280]
    return Text(N_("平台答复 %(code)s：%(message)s"), code=error.code, message=message)


def _last_red_form_state(invoice: Invoice) -> str | None:
    states = [event.details.get("state") for event in invoice.events
              if event.action == "red_form" and event.details.get("bill_no") == invoice.request_no]
    return states[-1] if states else None


def due_for_check(now: datetime, limit: int = 500) -> list[int]:
    """Requested invoices whose next look at the platform is due (the sweep's work)."""
    return list(db.session.scalars(
        select(Invoice.id).where(Invoice.status == InvoiceStatus.REQUESTED, Invoice.next_check_at <= now)
        .order_by(Invoice.next_check_at).limit(limit)))


def _record_issued(invoice: Invoice, result: IssueResult, now: datetime) -> None:
    invoice.number = result.number
    invoice.issued_at = result.issued_at or now
    invoice.verify_content = result.verify_content[:500]
    invoice.next_check_at = None
    transition(invoice, InvoiceAction.ISSUED, "platform", Text(N_("发票号码 %(number)s"), number=result.number),
               {"number": result.number, "serial_no": invoice.serial_no})
    enqueue_after_commit(PDF_JOB, invoice.id, queue="einvoice", job_timeout=300)
    if invoice.is_red:
        enqueue_after_commit(RED_DONE_JOB, invoice.id, queue="einvoice", job_timeout=120)


def _issue_line(line, blue: Invoice | None) -> IssueLine:
    blue_line_no = None
    if blue is not None:
        blue_line_no = next((each.position for each in blue.lines if each.order_line_id == line.order_line_id
                             and each.name == line.name), None)
    return IssueLine(
        name=line.name, tax_code=line.tax_code, rate=tax.rate_text(line.rate_bp), quantity=line.quantity,
        unit_price=tax.unit_price_text(line.amount_fen, line.quantity), amount=fen_to_yuan(line.amount_fen),
        excluding=fen_to_yuan(line.excluding_fen), tax=fen_to_yuan(line.tax_fen), unit=line.unit, spec=line.spec,
        blue_line_no=blue_line_no,
    )
