"""The refund approval queue (/finance/refunds): refunds above the approval amount or after shipping,
approved (the refund is made) or rejected with a reason, never by the person who asked."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth import role_required
from app.auth.roles import Area
from app.domain.errors import Conflict, PermissionDenied, ValidationError
from app.domain.orders import refund_approvals
from app.domain.orders.refund_approvals import STATUS_LABELS, RequestStatus
from app.extensions import db
from app.money import format_money
from app.web.errors import error_message, field_messages
from app.web.finance import bp
from app.web.finance.forms import RejectForm


@bp.get("/refunds")
@role_required(Area.FINANCE)
def list_refunds():
    status = request.args.get("status", RequestStatus.PENDING)
    if status not in STATUS_LABELS:
        status = RequestStatus.PENDING
    return render_template("finance/refunds.html", pagination=db.paginate(
        refund_approvals.requests(status), page=request.args.get("page", 1, type=int),
        per_page=current_app.config["STAFF_PAGE_SIZE"], error_out=False),
                           status=status, status_labels=STATUS_LABELS, reject_form=RejectForm(formdata=None),
                           pending=refund_approvals.pending_count())


@bp.post("/refunds/<int:request_id>/approve")
@role_required(Area.FINANCE)
def approve_refund(request_id: int):
    refund = refund_approvals.get_request(request_id, for_update=True)
    return _decide(lambda: refund_approvals.approve(refund, current_user.actor),
                   _("已批准退款，订单 %(order_no)s 已退款 %(amount)s", order_no=refund.order.order_no,
                     amount=format_money(refund.amount_fen)))


@bp.post("/refunds/<int:request_id>/reject")
@role_required(Area.FINANCE)
def reject_refund(request_id: int):
    refund = refund_approvals.get_request(request_id, for_update=True)
    form = RejectForm()
    if not form.validate_on_submit():
        flash(_("驳回需要填写原因"), "error")
        return redirect(url_for("finance.list_refunds"), 303)
    return _decide(lambda: refund_approvals.reject(refund, form.reason.data, current_user.actor),
                   _("已驳回订单 %(order_no)s 的退款申请", order_no=refund.order.order_no))


def _decide(decide, done_message: str):
    """Approve or reject; a refusal (own request, already decided, the order moved on) says why."""
    try:
        decide()
    except (Conflict, PermissionDenied, ValidationError) as error:
        db.session.rollback()
        messages = field_messages(error).values() if isinstance(error, ValidationError) else []
        flash("；".join([error_message(error), *messages]), "error")
        return redirect(url_for("finance.list_refunds"), 303)
    db.session.commit()
    flash(done_message, "success")
    return redirect(url_for("finance.list_refunds"), 303)
