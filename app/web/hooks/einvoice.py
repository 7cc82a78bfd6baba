"""The e-invoice platform's callback (``callBackUrl``): ``POST /hooks/einvoice/nuonuo``.

A callback is only a hint that a request has an answer: it names our request number (``orderNo``) or the
platform's serial number, and we then ask the platform ourselves, over the signed API, by queuing the
poll job. Nothing in the callback's body is taken as the result, so a forged or replayed callback can at
most cause one extra (harmless) look-up; the callback therefore needs no signature of its own.
"""

from flask import jsonify, request
from sqlalchemy import select

from app.domain.invoicing.models import Invoice
from app.domain.invoicing.states import InvoiceStatus
from app.extensions import db
from app.jobs import enqueue_now
from app.web.errors import error_body
from app.web.hooks import bp

POLL_JOB = "workers.einvoice.poll_invoice"
ISSUE_JOB = "workers.einvoice.issue_invoice"


@bp.post("/einvoice/nuonuo")
def receive_einvoice_callback():
    body = request.get_json(silent=True) or request.form
    request_no, serial_no = str(body.get("orderNo") or ""), str(body.get("serialNo") or "")
    if not request_no and not serial_no:
        return jsonify(error_body("bad_callback", "缺少 orderNo 或 serialNo")), 400
    query = select(Invoice).where(Invoice.request_no == request_no if request_no else Invoice.serial_no == serial_no)
    invoice = db.session.scalar(query)
    if invoice is None:
        return jsonify(error_body("not_found", "没有这个开票请求")), 404
    if invoice.status == InvoiceStatus.REQUESTED:
        job = POLL_JOB if invoice.serial_no else ISSUE_JOB
        enqueue_now(job, invoice.id, queue="einvoice", job_id=f"einvoice-callback-{invoice.id}", job_timeout=120)
    db.session.rollback()  # read-only
    return jsonify(code="E0000", describe="成功")
