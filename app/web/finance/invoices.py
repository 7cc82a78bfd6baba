"""The invoice queue, one invoice's page, and what finance does to invoices: approve (one or many),
reject with a reason, reissue after a failure, reverse with a reason. Each action is one service call
and one commit; the invoice panel comes back as a fragment for htmx, or a redirect otherwise."""

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth import role_required
from app.auth.roles import Area
from app.domain.errors import Conflict, DomainError, PermissionDenied, ValidationError
from app.domain.invoicing import approvals, queries, reversal, services
from app.domain.invoicing.states import EVENT_LABELS, STATUS_LABELS, InvoiceStatus
from app.extensions import db
from app.web.errors import error_message, status_of
from app.web.finance import bp
from app.web.finance.forms import BulkApproveForm, InvoiceFilterForm, RejectForm, ReverseForm
from app.web.forms import apply_domain_errors
from app.web.htmx import is_partial, redirect_page, render_page_or_partial


@bp.get("/")
@bp.get("/invoices")
@role_required(Area.FINANCE)
def list_invoices():
    form = InvoiceFilterForm(request.args)
    filters = form.filters()
    pagination = db.paginate(queries.search_invoices(filters), page=request.args.get("page", 1, type=int),
                             per_page=current_app.config["STAFF_PAGE_SIZE"], error_out=False)
    args = {key: value for key, value in request.args.items() if value and key != "page"}
    return render_page_or_partial(
        "finance/list.html", "finance/_results.html", form=form, pagination=pagination, args=args,
        counts=queries.status_counts(filters), status_labels=STATUS_LABELS,
        tab_args={key: value for key, value in args.items() if key != "status"},
        may_approve=lambda invoice: approvals.may_approve(invoice, current_user.actor, current_user.role),
        bulk_form=BulkApproveForm(),
    )


@bp.post("/invoices/approve")
@role_required(Area.FINANCE)
def approve_invoices():
    """Bulk approval: each selected invoice the user may approve gets their approval; the others are
    named in the message, not half-done."""
    form = BulkApproveForm()
    approved, skipped = approvals.approve_many(form.invoice_ids.data or [], current_user.actor, current_user.role)
    db.session.commit()
    flash(_("已审批 %(count)s 张发票", count=len(approved)), "success")
    if skipped:
        flash(_("%(count)s 张发票不能由您审批（本人申请、已审批过或需财务主管）", count=len(skipped)), "warning")
    return redirect_page(url_for("finance.list_invoices", **request.args))


@bp.get("/invoices/<int:invoice_id>")
@role_required(Area.FINANCE)
def show_invoice(invoice_id: int):
    invoice = services.get_invoice(invoice_id)
    return _panel(invoice)


@bp.post("/invoices/<int:invoice_id>/approve")
@role_required(Area.FINANCE)
def approve_invoice(invoice_id: int):
    invoice = services.get_invoice(invoice_id, for_update=True)
    approvals.approve(invoice, current_user.actor, current_user.role)
    db.session.commit()
    flash(_("已审批"), "success")
    return _after_action(invoice)


@bp.post("/invoices/<int:invoice_id>/reject")
@role_required(Area.FINANCE)
def reject_invoice(invoice_id: int):
    invoice = services.get_invoice(invoice_id, for_update=True)
    form = RejectForm()
    if not form.validate():
        return _panel(invoice, reject_form=form, status=422)
    try:
        approvals.reject(invoice, current_user.actor, current_user.role, form.reason.data)
    except ValidationError as error:
        db.session.rollback()
        apply_domain_errors(form, error)
        return _panel(services.get_invoice(invoice_id), reject_form=form, status=422)
    db.session.commit()
    flash(_("已驳回，申请人会收到原因"), "success")
    return _after_action(invoice)


@bp.post("/invoices/<int:invoice_id>/reissue")
@role_required(Area.FINANCE)
def reissue_invoice(invoice_id: int):
    invoice = services.get_invoice(invoice_id, for_update=True)
    services.reissue(invoice, current_user.actor)
    db.session.commit()
    flash(_("已重新提交开票"), "success")
    return _after_action(invoice)


@bp.post("/invoices/<int:invoice_id>/reverse")
@role_required(Area.FINANCE)
def reverse_invoice(invoice_id: int):
    invoice = services.get_invoice(invoice_id, for_update=True)
    form = ReverseForm()
    if not form.validate():
        return _panel(invoice, reverse_form=form, status=422)
    reversal.reverse(invoice, form.reason.data, current_user.actor, form.note.data.strip())
    db.session.commit()
    flash(_("已提交红冲"), "success")
    return _after_action(invoice)


def _panel(invoice, status: int = 200, reject_form=None, reverse_form=None):
    actor, role = current_user.actor, current_user.role
    return render_page_or_partial(
        "finance/detail.html", "finance/_panel_update.html", status=status, invoice=invoice,
        status_labels=STATUS_LABELS, event_labels=EVENT_LABELS,
        may_approve=approvals.may_approve(invoice, actor, role),
        may_reissue=invoice.status == InvoiceStatus.FAILED,
        may_reverse=invoice.status == InvoiceStatus.ISSUED and not invoice.is_red,
        reject_form=reject_form or RejectForm(), reverse_form=reverse_form or ReverseForm(),
        red_invoices=[each for each in services.invoices_of(invoice.orders[0]) if each.reverses_id == invoice.id]
        if invoice.orders else [],
    )


def _after_action(invoice):
    if is_partial():
        return _panel(services.get_invoice(invoice.id))
    return redirect(url_for("finance.show_invoice", invoice_id=invoice.id), 303)


@bp.errorhandler(Conflict)
@bp.errorhandler(PermissionDenied)
def refuse(error: DomainError):
    """A refused action (not allowed, wrong state) on a finance page: the page again, saying why."""
    db.session.rollback()
    flash(error_message(error), "error")
    invoice_id = request.view_args.get("invoice_id") if request.view_args else None
    if invoice_id is None:
        return redirect_page(url_for("finance.list_invoices"))
    return _panel(services.get_invoice(invoice_id), status=status_of(error))
