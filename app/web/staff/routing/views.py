"""/staff/routing: the strategy in force and a simulation of another; /staff/routing/parked: orders no
warehouse could ship, each with its reasons and a manual-assign form; re-route and assign on one order."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth import role_required
from app.auth.roles import Area
from app.domain.errors import Conflict, ValidationError
from app.domain.orders import services as orders
from app.domain.reference import queries as reference
from app.domain.reference.models import Carrier, Warehouse
from app.domain.routing import engine, queries, services
from app.domain.workbench import reroute
from app.extensions import db
from app.web.errors import error_message, field_messages
from app.web.staff import bp
from app.web.staff.forms import warehouse_choices
from app.web.staff.pages import form_status, paginate, save_form, saved
from app.web.staff.routing.forms import AssignForm, RulesForm, StrategyForm, moments_form, strategy_choices


@bp.route("/routing", methods=["GET", "POST"])
@role_required(Area.SETTINGS)
def routing_strategy():
    setting = services.current_setting()
    form = StrategyForm(obj=None, data={"strategy": setting.strategy, **services.strategy_for(None).weights})
    response = save_form(form, lambda: services.save_setting(form.strategy.data, form.weights(), _actor()),
                         lambda _setting: saved(_("分仓策略已保存"), url_for("staff.routing_strategy")))
    if response:
        return response
    rules_form = RulesForm(formdata=None)
    rules_form.fill(services.rules_in_force())
    return _strategy_page(form, rules_form, form_status(form))


@bp.post("/routing/moments")
@role_required(Area.SETTINGS)
def routing_moments():
    """何时分仓, per channel platform."""
    form = moments_form({}, request.form)
    response = save_form(form, lambda: services.save_moments(form.moments(), _actor()),
                         lambda _setting: saved(_("分仓时机已保存"), url_for("staff.routing_strategy")))
    if response:
        return response
    setting = services.current_setting()
    strategy_form = StrategyForm(formdata=None, data={"strategy": setting.strategy,
                                                      **services.strategy_for(None).weights})
    rules_form = RulesForm(formdata=None)
    rules_form.fill(services.rules_in_force())
    return _strategy_page(strategy_form, rules_form, form_status(form), form)


@bp.post("/routing/rules")
@role_required(Area.SETTINGS)
def routing_rules():
    rules_form = RulesForm()
    response = save_form(rules_form, lambda: services.save_rules(**rules_form.rules(), actor=_actor()),
                         lambda _setting: saved(_("分仓规则已保存"), url_for("staff.routing_strategy")))
    if response:
        return response
    setting = services.current_setting()
    form = StrategyForm(formdata=None, data={"strategy": setting.strategy, **services.strategy_for(None).weights})
    return _strategy_page(form, rules_form, form_status(rules_form))


def _strategy_page(form: StrategyForm, rules_form: RulesForm, status: int, moments=None):
    candidate = request.args.get("simulate", "")
    simulation = None
    if candidate in engine.STRATEGIES:
        simulation = queries.simulate(candidate, queries.open_orders())
    moments = moments or moments_form(services.current_setting().route_moments or {})
    return render_template("staff/routing/strategy.html", form=form, rules_form=rules_form, moments_form=moments,
                           setting=services.current_setting(), simulation=simulation, candidate=candidate,
                           choices=strategy_choices(), labels=services.STRATEGY_LABELS,
                           warehouses=warehouse_choices()), status


@bp.post("/routing/offline")
@role_required(Area.SETTINGS)
def take_warehouse_offline():
    """停用仓库并重新分仓: the warehouse leaves routing; its open orders are routed again as a batch job."""
    warehouse = db.get_or_404(Warehouse, request.form.get("warehouse_id", type=int))
    try:
        batch = reroute.take_offline(warehouse, _actor())
    except ValidationError as error:
        db.session.rollback()
        flash(field_messages(error)["warehouse_id"], "error")
        return redirect(url_for("staff.routing_strategy"), 303)
    db.session.commit()
    return redirect(url_for("staff.show_batch", batch_id=batch.id), 303)


@bp.get("/routing/parked")
@role_required(Area.ORDERS)
def parked_orders():
    return render_template("staff/routing/parked.html", pagination=paginate(services.parked_decisions()),
                           reason_labels=services.REASON_LABELS, manual=services.awaiting_manual_routing())


@bp.post("/orders/<order_no>/reroute")
@role_required(Area.ORDERS)
def reroute_order(order_no: str):
    order = orders.get_order(order_no, for_update=True)
    decision = services.route_order(order, _actor(), again=True)
    if decision is None:
        flash(_("这张订单现在不能分仓"), "error")
        return redirect(url_for("staff.show_order", order_no=order_no), 303)
    db.session.commit()
    message = _("已暂不分仓，原因已记录") if decision.outcome == "parked" else _("已重新分仓")
    return saved(message, url_for("staff.show_order", order_no=order_no))


@bp.route("/orders/<order_no>/assign", methods=["GET", "POST"])
@role_required(Area.ORDERS)
def assign_order(order_no: str):
    order = orders.get_order(order_no, for_update=request.method == "POST")
    form = AssignForm(reference.carriers(active_only=True))

    def assign():
        warehouse = db.session.get(Warehouse, form.warehouse_id.data)
        carrier = db.session.get(Carrier, form.carrier_id.data)
        if warehouse is None or carrier is None:
            abort(400)
        return services.manual_assign(order, warehouse, carrier, form.reason.data, _actor())

    def refused(_form, error: Conflict):
        form.reason.errors = [*form.reason.errors, error_message(error)]

    response = save_form(form, assign, lambda _decision: saved(_("已人工指定仓库"), url_for("staff.show_order",
                                                                                           order_no=order_no)),
                         refused=refused)
    return response or (render_template("staff/routing/assign.html", form=form, order=order), form_status(form))


def _actor() -> str:
    return f"user:{current_user.username}"
