"""合并订单: the merge page of an order (the orders that can share its parcel, a preview of the merged
parcel, the merge) and undoing a merge (拆回) from the order page."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import StringField
from wtforms.validators import Length, Optional

from app.auth import role_required
from app.auth.roles import Area
from app.db import db
from app.domain.orders import services
from app.domain.orders.models import Order
from app.domain.workbench import merging
from app.domain.workbench.edits import MERGE_ORDERS
from app.web.errors import error_message, field_messages, translate
from app.web.staff import bp
from app.web.staff.orders.views import order_right_required
from app.web.staff.pages import form_status, save_form, saved


class MergeForm(FlaskForm):
    """The orders chosen to join (``order_no`` checkboxes, read from the request as a list)."""

    def chosen(self, lead: Order) -> list[Order]:
        numbers = [number for number in request.values.getlist("order_no") if number != lead.order_no]
        if not numbers:
            return []
        return list(db.session.scalars(select(Order).where(Order.order_no.in_(numbers[:merging.MAX_MERGED]))
                                       .order_by(Order.created_at)))


class UnmergeForm(FlaskForm):
    reason = StringField(_l("原因"), validators=[Optional(), Length(max=200)])


@bp.route("/orders/<order_no>/merge", methods=["GET", "POST"])
@role_required(Area.ORDERS)
@order_right_required(MERGE_ORDERS)
def merge_orders(order_no: str):
    """GET: the candidates, and with ``order_no`` chosen the preview; POST: merge them into this order."""
    lead = services.get_order(order_no, for_update=request.method == "POST")
    form = MergeForm()
    errors: list[str] = []
    response = save_form(
        form, lambda: merging.merge(lead, form.chosen(lead), current_user.actor),
        lambda result: saved(_("已合并 %(count)s 个订单到 %(order_no)s，将作为一个包裹发货",
                               count=len(result.members), order_no=lead.order_no),
                             url_for("staff.show_order", order_no=lead.order_no)),
        show_errors=lambda form, error: errors.extend([*field_messages(error).values()] or [error_message(error)]),
        refused=lambda form, error: errors.append(error_message(error)))
    if response:
        return response
    chosen = form.chosen(lead)
    preview = merging.preview(lead, chosen) if chosen else None
    return render_template("staff/orders/merge.html", lead=lead, form=form, errors=errors,
                           candidates=merging.candidates(lead), chosen={order.order_no for order in chosen},
                           preview=preview, refused={number: translate(reason) for number, reason
                                                     in (preview.refused.items() if preview else ())}
                           ), form_status(form)


@bp.post("/orders/<order_no>/unmerge")
@role_required(Area.ORDERS)
@order_right_required(MERGE_ORDERS)
def unmerge_orders(order_no: str):
    order = services.get_order(order_no, for_update=True)
    form = UnmergeForm()
    response = save_form(
        form, lambda: merging.unmerge(order, form.reason.data or "", current_user.actor),
        lambda lead: saved(_("已拆回合并，订单各自发货"), url_for("staff.show_order", order_no=lead.order_no)),
        show_errors=lambda form, error: flash(next(iter(field_messages(error).values()), error_message(error)),
                                              "error"))
    return response or redirect(url_for("staff.show_order", order_no=order.order_no), 303)
