"""Invoices of the token's channel's orders: request one, list an order's, download the PDF.

A request goes through the same service as the portal's and the staff's (``source`` api); an invoice of
another channel's order answers 404 like a missing one.
"""

from flask import current_app, jsonify, send_file, url_for
from sqlalchemy import select

from app.auth.api_tokens import Scope
from app.db import MAX_ROW_ID
from app.domain.errors import NotFound
from app.domain.invoicing import pdf, services
from app.domain.invoicing.models import Invoice
from app.domain.invoicing.rules import InvoicingRules
from app.extensions import db
from app.text import N_
from app.web.api import bodies, bp
from app.web.api.auth import actor, current_channel, requires
from app.web.api.idempotency import commit_and_respond, idempotent
from app.web.api.orders import _own_order as own_order
from app.web.api.responses import InvoiceList, InvoiceRecord
from app.web.api.schema import parse_body

PDF_MISSING = N_("发票不存在或 PDF 尚未生成")


@bp.post("/orders/<order_no>/invoices")
@requires(Scope.ORDERS)
@idempotent
def request_invoice(order_no: str):
    body = parse_body(bodies.InvoiceRequestInput)
    order = own_order(order_no, for_update=True)
    rules = InvoicingRules.from_config(current_app.config)
    [invoice, *_more] = services.request_invoice([order], body.as_title(), actor(), "api", rules)
    return commit_and_respond(record(invoice).body(), 201)


@bp.get("/orders/<order_no>/invoices")
@requires(Scope.ORDERS)
def list_invoices(order_no: str):
    invoices = services.invoices_of(own_order(order_no))
    return jsonify(InvoiceList(invoices=[record(invoice) for invoice in invoices]).body())


@bp.get("/invoices/<int:invoice_id>/pdf")
@requires(Scope.ORDERS)
def download_pdf(invoice_id: int):
    invoice = db.session.get(Invoice, invoice_id) if invoice_id <= MAX_ROW_ID else None
    if invoice is None or invoice.channel_id != current_channel().id or not invoice.pdf_path:
        raise NotFound(PDF_MISSING, details={"invoice_id": invoice_id})
    path = pdf.storage_dir(current_app.instance_path) / invoice.pdf_path
    if not path.is_file():
        raise NotFound(PDF_MISSING, details={"invoice_id": invoice_id})
    return send_file(path, mimetype="application/pdf", as_attachment=True, download_name=invoice.pdf_path)


def record(invoice: Invoice) -> InvoiceRecord:
    pdf_url = url_for("api.download_pdf", invoice_id=invoice.id) if invoice.pdf_path else None
    reversed_by = db.session.scalar(select(Invoice.id).where(Invoice.reverses_id == invoice.id)
                                    .order_by(Invoice.id.desc()).limit(1))
    return InvoiceRecord.of(invoice, pdf_url, reversed_by)
