"""E-invoice jobs (queue ``einvoice``): issue, poll, red-letter, the PDF, and the every-minute sweep.

The platform is never called inside an open transaction: a job claims its invoice and commits, calls
the platform, then records the answer in a new transaction that the job wrapper commits. Like
``send_message`` these jobs therefore commit more than once; app/domain/invoicing/issuing.py explains
why a retry or a killed worker still never yields two blue invoices for one request.
"""

import logging
from datetime import timedelta

from flask import current_app

from app.db import utcnow
from app.domain.invoicing import issuing, pdf, platforms, reconciliation, reversal, sweep
from app.domain.invoicing import notify as invoice_notify
from app.domain.invoicing.models import Invoice
from app.domain.invoicing.platforms import PlatformOff
from app.domain.invoicing.platforms.base import Rejected, Unavailable
from app.domain.invoicing.rules import InvoicingRules
from app.domain.invoicing.states import InvoiceStatus
from app.extensions import db
from app.jobs import enqueue_now, get_queue
from workers.runtime import job

logger = logging.getLogger(__name__)
#: "Request number already used" (Nuonuo's orderNo, Baiwang's serialNo): the request did arrive before.
DUPLICATE_REQUESTS = frozenset({"E2001", "70019"})
POLL_JOB = "workers.einvoice.poll_invoice"
ISSUE_JOB = "workers.einvoice.issue_invoice"
MAX_QUICK_POLLS = 6  # then the sweep looks every minute


def _rules() -> InvoicingRules:
    return InvoicingRules.from_config(current_app.config)


def _platform():
    return platforms.build(current_app.config)


@job
def issue_invoice(invoice_id: int) -> str:
    """Send one requested invoice to the platform (once), or find out that it already has it."""
    invoice = db.session.get(Invoice, invoice_id)
    if invoice is None:
        return "missing"
    try:
        platform = _platform()
    except PlatformOff:
        return "platform off"
    if invoice.status == InvoiceStatus.REQUESTED and invoice.is_red and not invoice.red_form_no:
        return _open_red_form(invoice, platform)
    if not issuing.claim(invoice, utcnow()):
        return "nothing to do"
    request = issuing.issue_request(invoice, issuing.Seller.from_config(current_app.config), invoice.red_form_no)
    look_first = issuing.may_have_arrived(invoice)
    db.session.commit()  # the attempt is on record before the call
    try:
        found = platform.find(request.request_no) if look_first else None
        if found is not None:
            return _adopt(invoice_id, found)
        serial_no = platform.issue(request)
    except Rejected as error:
        if error.code in DUPLICATE_REQUESTS:
            return _look_up(invoice_id, platform)
        return _failed(invoice_id, error)
    except Unavailable as error:
        return _no_answer(invoice_id, error)
    result = _record(invoice_id, lambda invoice: issuing.record_accepted(invoice, serial_no, utcnow()) or "accepted")
    _poll_later(invoice_id, 0)
    return result


@job
def poll_invoice(invoice_id: int, checks: int = 0) -> str:
    """Ask the platform how a submitted request stands; again a little later while it is issuing."""
    invoice = db.session.get(Invoice, invoice_id)
    if invoice is None or invoice.status != InvoiceStatus.REQUESTED or not invoice.serial_no:
        return "nothing to do"
    serial_no = invoice.serial_no
    db.session.commit()  # no transaction stays open across the call
    try:
        result = _platform().query(serial_no)
    except (Unavailable, Rejected, PlatformOff) as error:
        logger.warning("Invoice %s: poll failed: %s", invoice_id, error)
        return "no answer"
    state = _record(invoice_id, lambda invoice: issuing.record_result(invoice, result, utcnow(), checks + 1))
    if state == "issuing" and checks + 1 < MAX_QUICK_POLLS:
        _poll_later(invoice_id, checks + 1)
    return state


@job
def render_pdf(invoice_id: int) -> str:
    """Render the issued invoice's PDF, then tell the customer (the e-mail carries the PDF)."""
    invoice = db.session.get(Invoice, invoice_id)
    if invoice is None or invoice.number is None:
        return "not issued"
    folder = pdf.storage_dir(current_app.instance_path)
    if invoice.pdf_path and (folder / invoice.pdf_path).is_file():
        return invoice.pdf_path  # done before: the customer was told then (with this PDF)
    invoice.pdf_path = pdf.write(invoice, issuing.Seller.from_config(current_app.config), folder,
                                 current_app.template_folder, current_app.static_folder)
    if not invoice.is_red:
        invoice_notify.invoice_issued(invoice, str(folder / invoice.pdf_path))
    return invoice.pdf_path


@job
def finish_reversal(red_invoice_id: int) -> str:
    red = db.session.get(Invoice, red_invoice_id)
    if red is None or red.status != InvoiceStatus.ISSUED or red.reverses.status != InvoiceStatus.RED_PENDING:
        return "nothing to do"
    replacement = reversal.finish(red, _rules())
    return f"reversed; new invoice {replacement.id}" if replacement else "reversed"


@job
def sweep_invoices() -> dict:
    """Every minute: automatic requests, waiting invoices whose orders are ready, refunds after issue,
    and requests whose look at the platform is due (lost jobs, no answer, still issuing)."""
    rules = _rules()
    created = sweep.request_from_order_details(rules)
    advanced = sweep.advance_waiting(rules)
    reversed_ = sweep.reverse_refunded(rules)
    due = issuing.due_for_check(utcnow())
    db.session.commit()  # the jobs below look for what was just decided
    for invoice_id in due:
        invoice = db.session.get(Invoice, invoice_id)
        job_path = POLL_JOB if invoice.serial_no else ISSUE_JOB
        enqueue_now(job_path, invoice_id, queue="einvoice", job_id=f"einvoice-due-{invoice_id}", job_timeout=120)
    return {"created": len(created), "advanced": len(advanced), "reversals": len(reversed_), "due": len(due)}


@job
def reconcile_invoices(days_back: int = 7) -> int:
    """Daily: the reconciliation rows of the last ``days_back`` days (invoices follow their orders by days,
    so recent days are computed again until they settle). Returns how many rows were written."""
    now = utcnow()
    today = reconciliation.shanghai_today(now)
    stale = current_app.config["INVOICE_RECONCILE_STALE_DAYS"]
    return sum(len(reconciliation.reconcile(today - timedelta(days=back), now, stale)) for back in range(days_back))


def _open_red_form(invoice: Invoice, platform) -> str:
    """File the red confirmation form, or ask how the filed one stands; the red invoice is issued once the
    form is confirmed (or needs no confirmation)."""
    request = issuing.issue_request(invoice, issuing.Seller.from_config(current_app.config))
    invoice_id, filed = invoice.id, issuing.red_form_filed(invoice)
    db.session.commit()
    try:
        form = platform.red_form(request.request_no) if filed else platform.open_red_form(request)
    except (Rejected, Unavailable) as error:
        return _no_answer(invoice_id, error)
    _record(invoice_id, lambda invoice: issuing.record_red_form(invoice, form, utcnow()))
    if form.state == "confirmed":
        db.session.commit()  # the form number is on record before the job that issues on it can start
        enqueue_now(ISSUE_JOB, invoice_id, queue="einvoice", job_timeout=120)
    return f"red form {form.state}"


def _look_up(invoice_id: int, platform) -> str:
    try:
        found = platform.find(db.session.get(Invoice, invoice_id).request_no)
    except Unavailable as error:
        return _no_answer(invoice_id, error)
    if found is None:
        return "not found"
    return _adopt(invoice_id, found)


def _adopt(invoice_id: int, found) -> str:
    """The platform has our request already (an earlier attempt got through): take its answer."""
    state = _record(invoice_id, lambda invoice: issuing.record_result(invoice, found, utcnow()))
    if state == "issuing":
        _poll_later(invoice_id, 0)
    return state


def _failed(invoice_id: int, error: Rejected) -> str:
    _record(invoice_id, lambda invoice: issuing.record_failure(invoice, error))
    return "failed"


def _no_answer(invoice_id: int, error) -> str:
    logger.warning("Invoice %s: no answer from the platform: %s", invoice_id, error)
    _record(invoice_id, lambda invoice: issuing.record_no_answer(invoice, error, utcnow()))
    return "no answer"


def _record(invoice_id: int, record):
    """Record an answer in a fresh transaction, on the invoice as it is now (the job wrapper commits)."""
    db.session.rollback()
    invoice = db.session.get(Invoice, invoice_id, populate_existing=True)
    return record(invoice)


def _poll_later(invoice_id: int, checks: int) -> None:
    """Commit what was recorded, then schedule the next look (RQ's scheduler runs it after the delay)."""
    db.session.commit()
    delay = issuing.CHECK_DELAYS[min(checks, len(issuing.CHECK_DELAYS) - 1)]
    get_queue("einvoice").enqueue_in(delay, POLL_JOB, invoice_id, checks, job_timeout=120,
                                     result_ttl=current_app.config["JOB_RESULT_TTL"],
                                     failure_ttl=current_app.config["JOB_FAILURE_TTL"])
