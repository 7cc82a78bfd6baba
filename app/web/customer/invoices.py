"""申请开票 and the invoice PDF, on the order page the customer opened with a signed link.

The link proves one of the order's phones; that phone's saved titles (抬头管理) are offered, the
request is made in its name (``customer:<phone>``), and the PDF is served only for an invoice of that
order, only while the link is valid.
"""

from flask import abort, current_app, flash, redirect, send_file, url_for
from flask_babel import gettext as _

from app.domain.errors import Conflict, ValidationError
from app.domain.invoicing import lines as invoice_lines
from app.domain.invoicing import pdf, profiles, services
from app.domain.invoicing.rules import InvoicingRules
from app.domain.invoicing.states import ACTIVE, InvoiceStatus
from app.domain.orders import portal_queries
from app.extensions import db, limiter
from app.web.customer import bp, links
from app.web.customer.invoice_forms import InvoiceRequestForm
from app.web.customer.limits import setting
from app.web.errors import error_message
from app.web.forms import apply_domain_errors
from app.web.htmx import is_partial, render_page_or_partial

UNPROCESSABLE = 422
#: While an invoice is in one of these, the page looks again every little while (it moves by itself).
MOVING = {InvoiceStatus.WAITING, InvoiceStatus.PENDING_APPROVAL, InvoiceStatus.REQUESTED, InvoiceStatus.RED_PENDING}


def invoice_context(order, token: str, phone: str | None, form: InvoiceRequestForm | None = None) -> dict:
    """What the order page's invoice section shows: the order's invoices, and the request form when the
    order is paid, not covered by an active invoice and has something left to invoice."""
    invoices = [invoice for invoice in services.invoices_of(order) if not invoice.is_red]
    covered = any(invoice.status in ACTIVE for invoice in invoices)
    left = invoice_lines.invoiceable_fen(order) if order.paid_fen else 0
    saved = profiles.profiles_of(phone) if phone else []
    form = form or InvoiceRequestForm(formdata=None)
    form.profile.choices = [(str(each.id), each.title) for each in saved] + [("", _("填写新抬头"))]
    if not form.profile.data and saved and not form.errors:
        form.profile.data = str(saved[0].id)
    moving = any(invoice.status in MOVING for invoice in invoices)
    return {"invoices": invoices, "may_request": not covered and left > 0, "invoiceable_fen": left, "moving": moving,
            "saved_titles": saved, "invoice_form": form, "token": token}


@bp.post("/o/<token>/invoice")
@limiter.limit(setting("PORTAL_LOOKUP_LIMIT_PER_IP"))
def request_invoice(token: str):
    link = links.read(token)
    view = portal_queries.customer_order(link.order_id)
    if view is None:
        raise links.LinkInvalid
    phone = portal_queries.proved_phone(view.order, link.via)
    form = InvoiceRequestForm()
    if form.validate_on_submit():
        try:
            _request(view.order, phone, form)
        except (ValidationError, Conflict) as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("已提交开票申请，开具后会发送到你的邮箱"), "success")
            return _section(token, link, status=200) if is_partial() else redirect(
                url_for(".show_order", token=token), 303)
    return _section(token, link, form=form, status=UNPROCESSABLE)


@bp.get("/o/<token>/invoice")
def show_invoice_section(token: str):
    """The invoice section alone: the page polls it while an invoice is on its way."""
    link = links.read(token)
    if portal_queries.customer_order(link.order_id) is None:
        raise links.LinkInvalid
    return _section(token, link)


@bp.get("/o/<token>/invoices/<int:invoice_id>.pdf")
def download_invoice(token: str, invoice_id: int):
    link = links.read(token)
    invoice = db.session.get(services.Invoice, invoice_id)
    if invoice is None or link.order_id not in {order.id for order in invoice.orders} or not invoice.pdf_path:
        abort(404)
    path = pdf.storage_dir(current_app.instance_path) / invoice.pdf_path
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype="application/pdf", as_attachment=True, download_name=invoice.pdf_path)


def _request(order, phone: str | None, form: InvoiceRequestForm) -> None:
    chosen = next((each for each in profiles.profiles_of(phone or "") if str(each.id) == form.profile.data), None)
    title = form.over_saved(profiles.as_title(chosen)) if chosen else form.title_entered()
    rules = InvoicingRules.from_config(current_app.config)
    services.request_invoice([order], title, f"customer:{phone or order.buyer_phone}", "portal", rules)
    if phone and not chosen and form.save.data:
        profiles.save_profile(phone, title)


def _show_error(form: InvoiceRequestForm, error) -> None:
    if isinstance(error, ValidationError):
        apply_domain_errors(form, error)
    else:
        form.form_errors.append(error_message(error))


def _section(token: str, link, form: InvoiceRequestForm | None = None, status: int = 200):
    view = portal_queries.customer_order(link.order_id)
    phone = portal_queries.proved_phone(view.order, link.via)
    context = invoice_context(view.order, token, phone, form)
    return render_page_or_partial("customer/invoice_page.html", "customer/_invoice.html", status,
                                  view=view, **context)
