"""The order page's invoice section: the order's invoices (status, number, amounts; a link to the finance
page for finance roles) and customer service's 申请开票, through the same service as the portal's.

The section loads on its own (``hx-get`` from the panel), so the order panel stays one include away.
"""

from flask import current_app, flash
from flask_babel import gettext as _
from flask_login import current_user

from app.auth import role_required
from app.auth.roles import REQUEST_INVOICE, Area, may_act, may_open
from app.domain.errors import Conflict, ValidationError
from app.domain.invoicing import lines as invoice_lines
from app.domain.invoicing import services as invoicing
from app.domain.invoicing.rules import InvoicingRules
from app.domain.invoicing.states import ACTIVE
from app.domain.orders import services
from app.extensions import db
from app.web.errors import error_message
from app.web.htmx import render_page_or_partial
from app.web.staff import bp
from app.web.staff.forms import show_domain_errors
from app.web.staff.orders.invoice_forms import StaffInvoiceForm
from app.web.staff.orders.views import order_right_required

UNPROCESSABLE = 422


@bp.get("/orders/<order_no>/invoices")
@role_required(Area.ORDERS)
def order_invoices(order_no: str):
    return _section(services.get_order(order_no))


@bp.post("/orders/<order_no>/invoices")
@role_required(Area.ORDERS)
@order_right_required(REQUEST_INVOICE)
def request_order_invoice(order_no: str):
    order = services.get_order(order_no, for_update=True)
    form = StaffInvoiceForm()
    if not form.validate_on_submit():
        return _section(order, form, UNPROCESSABLE)
    try:
        rules = InvoicingRules.from_config(current_app.config)
        invoicing.request_invoice([order], form.entered(), f"user:{current_user.username}", "staff", rules)
    except ValidationError as error:
        db.session.rollback()
        show_domain_errors(form, error)
        return _section(services.get_order(order_no), form, UNPROCESSABLE)
    except Conflict as error:
        db.session.rollback()
        form.form_errors.append(error_message(error))
        return _section(services.get_order(order_no), form, 409)
    db.session.commit()
    flash(_("已提交开票申请"), "success")
    return _section(order)


def _section(order, form: StaffInvoiceForm | None = None, status: int = 200):
    invoices = invoicing.invoices_of(order)
    covered = any(invoice.status in ACTIVE and not invoice.is_red for invoice in invoices)
    left = invoice_lines.invoiceable_fen(order) if order.paid_fen else 0
    may_request = may_act(current_user.role, REQUEST_INVOICE) and not covered and left > 0
    return render_page_or_partial(
        "staff/orders/invoices_page.html", "staff/orders/_invoices_section.html", status, order=order,
        invoices=invoices, invoiceable_fen=left, may_request=may_request,
        invoice_form=form or StaffInvoiceForm.for_order(order),
        finance_links=may_open(current_user.role, Area.FINANCE))
