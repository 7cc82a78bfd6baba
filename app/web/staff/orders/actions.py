"""The actions staff take on one order: POST /staff/orders/<order_no>/<action>.

Each action is described once (its form and the service it calls), so one view serves them all and
the order page shows exactly the buttons that view would accept: those the order's state allows
(states.allowed_actions) and the user's role may perform (roles.may_act).
"""

from collections.abc import Callable
from dataclasses import dataclass

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from app.auth import role_required
from app.auth.roles import Area, may_act
from app.domain.audit.models import AuditAction
from app.domain.logistics import queries as logistics_queries
from app.domain.logistics import shipments
from app.domain.logistics.models import SUBSCRIPTION_LABELS
from app.domain.orders import deadlines, payments, queries, refund_approvals, services
from app.domain.orders.models import Order
from app.domain.orders.states import ACTION_LABELS, STATUS_LABELS, Action, allowed_actions
from app.domain.routing import services as routing
from app.domain.workbench import merging
from app.domain.workbench.edits import MERGE_ORDERS
from app.extensions import db
from app.money import format_money
from app.text import N_
from app.web.errors import error_message
from app.web.htmx import is_partial, render_page_or_partial
from app.web.staff import bp
from app.web.staff.audit import trail
from app.web.staff.forms import show_domain_errors
from app.web.staff.orders import display
from app.web.staff.orders.auto_review import review_stops
from app.web.staff.orders.edit_forms import offered_edits
from app.web.staff.orders.forms import (
    ConfirmForm,
    OptionalReasonForm,
    ReasonForm,
    RefundForm,
    ShipOutForm,
    mark_paid_form_for,
    refund_form_for,
)
from app.web.staff.orders.printing import print_options
from app.web.staff.pages import form_status, save_form


@dataclass(frozen=True)
class OrderAction:
    action: Action
    make_form: Callable[[Order, object, str], FlaskForm]  # (order, formdata or None, prefix) -> form
    perform: Callable[[Order, FlaskForm, str], object]  # (order, form, actor): calls one order service
    needs_input: bool = True  # False: a plain button
    style: str = ""  # "primary" for the way forward, "danger" for the ways out
    #: Whether the button is offered for this order at all (beyond its state and the user's role).
    applies: Callable[[Order], bool] = lambda order: True
    button_label: str = ""  # when the button says more than the transition's name

    @property
    def name(self) -> str:
        return self.action.value

    @property
    def label(self) -> str:
        return self.button_label or ACTION_LABELS[self.action]

    def form_for(self, order: Order, formdata=None) -> FlaskForm:
        """The action's form, its fields prefixed with the action so that one page can hold them all."""
        return self.make_form(order, formdata, self.name)


def _form(form_class: type[FlaskForm]):
    return lambda order, formdata, prefix: form_class(formdata=formdata, prefix=prefix)


def _refund(order: Order, form: RefundForm, actor: str):
    lines, _rows = form.refund_lines()
    return refund_approvals.request_refund(order, form.amount.data, lines, form.restock.data, form.reason.data,
                                           actor, current_app.config["REFUND_APPROVAL_ABOVE_FEN"],
                                           damaged=form.damaged.data)


A = Action
#: In the order the buttons appear: the way forward first, then the detours and the ways out.
ORDER_ACTIONS = (
    OrderAction(A.PAY, mark_paid_form_for,
                lambda o, f, a: payments.mark_paid(o, f.paid_amount.data, f.method.data, f.payment_ref.data, a),
                style="primary", applies=lambda order: not order.channel.platform_owns_payment,
                button_label=N_("标记已付款")),
    OrderAction(A.APPROVE, _form(ConfirmForm), lambda o, f, a: services.approve(o, a), False, "primary"),
    OrderAction(A.PACK, _form(ConfirmForm), lambda o, f, a: services.pack(o, a), False, "primary"),
    OrderAction(A.SHIP_OUT, _form(ShipOutForm),
                lambda o, f, a: shipments.ship_order(o, f.carrier(), f.waybill_no.data, a), style="primary",
                # a split order ships its planned parcels one by one (the 按包裹出库 edit)
                applies=lambda order: not shipments.is_split(order)),
    OrderAction(A.HAND_OVER, _form(ConfirmForm), lambda o, f, a: services.hand_over(o, a), False, "primary"),
    OrderAction(A.SIGN, _form(ConfirmForm), lambda o, f, a: services.sign(o, a), False, "primary"),
    OrderAction(A.COMPLETE, _form(ConfirmForm), lambda o, f, a: services.complete(o, a), False, "primary"),
    OrderAction(A.CLOSE_AFTER_SALES, _form(OptionalReasonForm),
                lambda o, f, a: services.close_after_sales(o, f.reason.data or "", a), style="primary"),
    OrderAction(A.RESOLVE_EXCEPTION, _form(ReasonForm),
                lambda o, f, a: services.resolve_exception(o, f.reason.data, a), style="primary"),
    OrderAction(A.REJECT, _form(ReasonForm), lambda o, f, a: services.reject(o, f.reason.data, a)),
    OrderAction(A.REQUEST_AFTER_SALES, _form(ReasonForm),
                lambda o, f, a: services.request_after_sales(o, f.reason.data, a)),
    OrderAction(A.MARK_EXCEPTION, _form(ReasonForm), lambda o, f, a: services.mark_exception(o, f.reason.data, a)),
    OrderAction(A.REFUND, refund_form_for, _refund, style="danger"),
    OrderAction(A.CANCEL, _form(ReasonForm), lambda o, f, a: services.cancel(o, f.reason.data, a), style="danger"),
)
BY_NAME = {spec.name: spec for spec in ORDER_ACTIONS}


@bp.post("/orders/<order_no>/<action>")
@role_required(Area.ORDERS)
def act_on_order(order_no: str, action: str):
    spec = BY_NAME.get(action) or abort(404)
    if not may_act(current_user.role, spec.action):
        abort(403)
    order = services.get_order(order_no, for_update=True)
    if spec.action not in allowed_actions(order.status):
        return _refused(order, _("订单当前状态为「%(status)s」，不能%(action)s",
                                 status=_(order.status_name), action=_(spec.label)))
    form = spec.form_for(order, request.form)
    response = save_form(form, lambda: spec.perform(order, form, current_user.actor),
                         lambda result: _done(spec, order, result), show_errors=_show_errors,
                         # InvalidTransition, OutOfStock, a parcel in transit, …: why, next to the order as it is now
                         refused=lambda form, error: flash(error_message(error), "error"))
    return response or panel_response(order, form_status(form), {spec.name: form})


def _done(spec: OrderAction, order: Order, result=None):
    if isinstance(result, refund_approvals.RefundRequest):
        flash(_("退款 %(amount)s 已提交财务审批", amount=format_money(result.amount_fen)), "success")
    else:
        flash(_("已完成「%(action)s」，订单现在是「%(status)s」", action=spec.label, status=order.status_name),
              "success")
    if is_partial():
        return panel_response(order, 200)
    return redirect(url_for("staff.show_order", order_no=order.order_no), 303)


def _show_errors(form: FlaskForm, error) -> None:
    show_domain_errors(form, error, form.refund_lines()[1] if isinstance(form, RefundForm) else [])


#: A long history shows its newest entries and the next older ones a click at a time: only those are read
#: and rendered.
TIMELINE_SHOWN = 50
#: "Show more" reads the newest ``shown`` + 50 entries of each source: past this, the link to all of them.
MAX_TIMELINE_SKIP = 5_000


def panel_context(order: Order, forms: dict[str, FlaskForm] | None = None) -> dict:
    """What the order panel shows: the order, its timeline, and a form for each action on offer."""
    forms = forms or {}
    if request.args.get("timeline") == "all":
        shown, hidden = queries.timeline(order), 0
    else:
        shown, hidden = queries.newest_timeline(order, TIMELINE_SHOWN)
    allowed = set(allowed_actions(order.status))
    offered = [spec for spec in ORDER_ACTIONS
               if spec.action in allowed and may_act(current_user.role, spec.action) and spec.applies(order)]
    return {
        "order": order,
        "actions": [(spec, forms.get(spec.name) or spec.form_for(order)) for spec in offered],
        "edits": offered_edits(order, forms),
        "refund_request": refund_approvals.pending_request(order),
        **timeline_context(order, shown, hidden, len(shown)),
        "parcels": logistics_queries.parcels_of(order.id),
        "planned_parcels": shipments.planned_parcels(order) if shipments.is_split(order) else [],
        "decision": routing.latest_decision(order),
        "routing_labels": routing.LABELS,
        "subscription_labels": SUBSCRIPTION_LABELS,
        "status_labels": STATUS_LABELS,
        "rule_labels": deadlines.RULE_LABELS,
        "display": display,
        "review_stops": review_stops([order.id]),
        "merge": merge_context(order),
        **print_options(current_user.role),
    }


def timeline_context(order: Order, entries: list, hidden: int, shown: int) -> dict:
    """What the timeline and its "show more" line need: the entries, how many older ones there are and
    how many entries the page shows once these are in (where the next "show more" continues)."""
    return {"order": order, "timeline": entries, "timeline_hidden": hidden, "timeline_shown": shown,
            "timeline_step": TIMELINE_SHOWN, "display": display, "status_labels": STATUS_LABELS}


@bp.get("/orders/<order_no>/timeline")
@role_required(Area.ORDERS)
def order_timeline(order_no: str):
    """The next ``TIMELINE_SHOWN`` older entries of the order's timeline, for htmx to put on top of the
    list shown (``shown``: how many entries it has), with the "show more" line for the rest."""
    order = services.get_order(order_no)
    if not is_partial():
        return redirect(url_for("staff.show_order", order_no=order.order_no, timeline="all"))
    trail.record(AuditAction.VIEW_PERSONAL_DATA, f"order:{order.order_no}")  # as the order page: its history
    db.session.commit()
    shown = request.args.get("shown", type=int) or 0
    entries, hidden = queries.newest_timeline(order, TIMELINE_SHOWN, max(0, min(shown, MAX_TIMELINE_SKIP)))
    context = timeline_context(order, entries, hidden, shown + len(entries))
    return render_template("staff/orders/_timeline_more.html", oob=True, **context) + \
        render_template("staff/orders/_timeline_entries.html", **context)


def merge_context(order: Order) -> dict:
    """The order's merge as the panel shows it: the lead it ships with (a member), the orders merged into
    it (a lead), how many more could join, and whether this user may merge or undo."""
    may_merge = may_act(current_user.role, MERGE_ORDERS)
    open_to_merge = may_merge and order.merged_into_id is None and order.status in merging.MERGEABLE
    return {"lead": merging.lead_of(order) if order.merged_into_id else None,
            "members": services.merged_members(order),
            "candidates": len(merging.candidates(order)) if open_to_merge else 0,
            "may_merge": may_merge, "undoable": order.status in merging.MERGEABLE}


def _refused(order: Order, message: str):
    """409: the order's state (or stock) does not allow it; show why, next to the order as it is now."""
    flash(message, "error")
    return panel_response(order, 409)


def panel_response(order: Order, status: int, forms: dict[str, FlaskForm] | None = None):
    return render_page_or_partial("staff/orders/detail.html", "staff/orders/_panel_update.html", status,
                                  **panel_context(order, forms))
