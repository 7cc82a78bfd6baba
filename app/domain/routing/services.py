"""Acting on a routing plan: allocate (move the order's stock to the winner, set the carrier), split,
or park — in the caller's one transaction, with the decision recorded once.

Two routers on one order: each first inserts the decision row for the order's next round; the unique
(order, round) key lets only one of them in (the other waits on PostgreSQL for the first to commit,
then sees the key taken), and only the one that recorded acts.
"""

from dataclasses import asdict
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select

from app.db import db, insert_unless_taken, utcnow
from app.domain.errors import Conflict, ValidationError
from app.domain.orders import services as orders
from app.domain.orders.models import Order
from app.domain.orders.states import OrderStatus
from app.domain.reference.models import Carrier, Warehouse
from app.domain.routing import engine, facts
from app.domain.routing.engine import Plan, Strategy
from app.domain.routing.models import RateCard, RoutingDecision, RoutingSetting
from app.text import N_, Text

ROUTABLE = {OrderStatus.PAID, OrderStatus.APPROVED}
UNPLACED = "unplaced"  #: the receiver's address is not a known division

REASON_LABELS = {
    engine.NO_STOCK: N_("库存不足"),
    engine.UNSERVED: N_("不配送该地区"),
    engine.NO_CAPACITY: N_("今日产能已满"),
    engine.NO_CARRIER: N_("没有快递可达"),
    engine.LOST: N_("未胜出"),
    engine.WON: N_("胜出"),
    UNPLACED: N_("收货地址无法识别"),
}
OUTCOME_LABELS = {
    "pending": N_("分仓中"),
    "routed": N_("已分仓"),
    "split": N_("已拆单"),
    "parked": N_("待人工分仓"),
    "manual": N_("人工指定"),
}
STRATEGY_LABELS = {
    "nearest": N_("就近"),
    "cheapest": N_("运费最低"),
    "fastest": N_("时效最快"),
    "balanced": N_("综合平衡"),
    "manual": N_("人工指定"),
}

#: Every label the decision's display needs, in one place for the templates.
LABELS = {"reasons": REASON_LABELS, "outcomes": OUTCOME_LABELS, "strategies": STRATEGY_LABELS}


def current_setting() -> RoutingSetting:
    """The settings row, or (before anyone saved one) the defaults, unsaved: reading writes nothing."""
    setting = db.session.scalar(select(RoutingSetting).order_by(RoutingSetting.id))
    return setting or RoutingSetting(strategy="cheapest", weights=dict(engine.DEFAULT_WEIGHTS), channel_carriers={})


def save_setting(strategy: str, weights: dict, actor: str) -> RoutingSetting:
    if strategy not in engine.STRATEGIES:
        raise ValidationError({"strategy": N_("未知的分仓策略")})
    if any(not isinstance(value, int | float) or value < 0 for value in weights.values()):
        raise ValidationError({"weights": N_("权重须为不小于 0 的数")})
    setting = current_setting()
    setting.strategy, setting.weights, setting.updated_by = strategy, dict(weights), actor
    db.session.add(setting)
    db.session.flush()
    return setting


def strategy_for(order: Order | None, name: str | None = None) -> Strategy:
    """The strategy in force (or ``name``), with the channel's carrier rule for this order."""
    setting = current_setting()
    carriers = ()
    if order is not None:
        carriers = tuple(setting.channel_carriers.get(order.channel.platform, ()))
    return Strategy(name or setting.strategy, {**engine.DEFAULT_WEIGHTS, **(setting.weights or {})}, carriers)


def is_set_up() -> bool:
    """Routing works once rate cards exist; before that (a new installation) orders keep the warehouse
    their stock was reserved in at creation, rather than every paid order being parked for want of prices."""
    return db.session.scalar(select(RateCard.id).limit(1)) is not None


def plan_for(order: Order, strategy: Strategy) -> Plan | None:
    """The plan the engine makes for ``order`` now; None when its address cannot be placed."""
    destination = facts.destination_of(order)
    if destination is None:
        return None
    items = facts.items_of(order)
    sites = facts.sites_for(order, [item.sku_id for item in items], utcnow())
    return engine.plan(items, sites, facts.rate_table(), destination, strategy)


def route_order(order: Order, actor: str, strategy_name: str | None = None, again: bool = False) -> RoutingDecision | None:
    """Route a paid order: allocate, split or park it. None (and nothing changed) when the order is not
    waiting for routing or another router has decided it; ``again`` (a re-route) decides it anew."""
    # A channel with its own warehouse (a store, the mini-program) sells from that stock: not routed.
    waiting = order.status in ROUTABLE or (again and order.status == OrderStatus.EXCEPTION)
    if not waiting or order.shipped_at is not None or order.channel.default_warehouse_id or not is_set_up():
        return None
    strategy = strategy_for(order, strategy_name)
    decision = _claim(order, actor, strategy.name, again)
    if decision is None:
        return None
    plan = plan_for(order, strategy)
    if plan is None:
        return _park(order, decision, [UNPLACED], {})
    decision.plan = plan_data(plan)
    if not plan.routed:
        reasons = sorted({c.verdict for c in plan.candidates if c.verdict not in (engine.WON, engine.LOST)})
        return _park(order, decision, reasons or [engine.NO_STOCK], decision.plan)
    _allocate(order, plan.parcels, actor, Text(N_("自动分仓（%(strategy)s）"), strategy=STRATEGY_LABELS[plan.strategy]))
    decision.outcome = "routed" if len(plan.parcels) == 1 else "split"
    _settle_earlier(order, decision)
    if order.status == OrderStatus.EXCEPTION:  # a parked order that can ship now goes back to work
        orders.resolve_exception(order, Text(N_("重新分仓成功")), actor)
    orders.add_event(order, "route", actor, order.status, order.status, _summary(plan), details=decision.plan)
    db.session.flush()
    return decision


def manual_assign(order: Order, warehouse: Warehouse, carrier: Carrier, reason: str, actor: str) -> RoutingDecision:
    """A person routes a parked (or any not yet shipped) order: the whole order to one warehouse."""
    if order.shipped_at is not None:
        raise Conflict(N_("订单已出库，不能更换仓库"))
    decision = _claim(order, actor, "manual", again=True)
    if decision is None:
        raise Conflict(N_("订单正在被分仓，请刷新后重试"))
    orders.move_to_warehouse(order, warehouse, reason, actor)
    order.carrier_id = carrier.id
    decision.outcome = "manual"
    decision.plan = {"strategy": "manual", "parcels": [{"site": warehouse.code, "carrier": carrier.code}],
                     "candidates": []}
    _settle_earlier(order, decision)
    if order.status == OrderStatus.EXCEPTION:
        orders.resolve_exception(order, reason, actor)
    orders.add_event(order, "route", actor, order.status, order.status, reason, details=decision.plan)
    db.session.flush()
    return decision


def plan_data(plan: Plan) -> dict:
    """The plan as JSON for the decision row, the order's timeline and the API."""
    return {
        "strategy": plan.strategy,
        "cost_fen": plan.cost_fen,
        "eta_hours": plan.eta_hours,
        "parcels": [asdict(parcel) for parcel in plan.parcels],
        "candidates": [{"site": c.site, "verdict": c.verdict, **(asdict(c.option) if c.option else {})}
                       for c in plan.candidates],
    }


def parked_decisions() -> Select:
    """The parked-orders queue: parked decisions not yet settled by a later routing, oldest first."""
    return (select(RoutingDecision).where(RoutingDecision.outcome == "parked", RoutingDecision.settled.is_(False))
            .order_by(RoutingDecision.decided_at, RoutingDecision.id))


def latest_decision(order: Order) -> RoutingDecision | None:
    return db.session.scalar(select(RoutingDecision).where(RoutingDecision.order_id == order.id)
                             .order_by(RoutingDecision.round.desc()))


def estimate(order: Order, warehouse_code: str) -> tuple[int, datetime] | None:
    """The routed plan's (freight fen, expected delivery) for the parcel from ``warehouse_code``, if any."""
    decision = latest_decision(order)
    if decision is None:
        return None
    for parcel in decision.plan.get("parcels", ()):
        if parcel["site"] == warehouse_code and "cost_fen" in parcel:
            return parcel["cost_fen"], decision.decided_at + timedelta(hours=parcel["eta_hours"])
    return None


def _claim(order: Order, actor: str, strategy: str, again: bool) -> RoutingDecision | None:
    """Record the decision's row first: the first routing is round 1, a re-route the next round. Of two
    routers claiming the same round only one gets the row (None for the other)."""
    rounds = db.session.scalar(select(func.coalesce(func.max(RoutingDecision.round), 0))
                               .where(RoutingDecision.order_id == order.id))
    if rounds and not again:
        return None
    decision = RoutingDecision(order_id=order.id, round=rounds + 1, actor=actor, strategy=strategy,
                               outcome="pending", reasons=[], plan={}, decided_at=utcnow())
    return decision if insert_unless_taken(decision) else None


def _allocate(order: Order, parcels, actor: str, reason: str) -> None:
    """The main (first) parcel's warehouse takes the whole order, then each other parcel's SKUs move on."""
    warehouses = {w.code: w for w in db.session.scalars(
        select(Warehouse).where(Warehouse.code.in_([parcel.site for parcel in parcels])))}
    main = parcels[0]
    if len(parcels) == 1:
        orders.move_to_warehouse(order, warehouses[main.site], reason, actor)
    else:
        orders.move_to_warehouse(order, warehouses[main.site], reason, actor, set(main.sku_ids))
        order.warehouse_id = warehouses[main.site].id
        for parcel in parcels[1:]:
            orders.move_to_warehouse(order, warehouses[parcel.site], reason, actor, set(parcel.sku_ids))
    order.carrier_id = db.session.scalar(select(Carrier.id).where(Carrier.code == main.carrier))


def _park(order: Order, decision: RoutingDecision, reasons: list[str], plan: dict) -> RoutingDecision:
    """Nobody can ship it: the order waits as an exception with the reasons; its stock stays as it was."""
    decision.outcome, decision.reasons, decision.plan = "parked", reasons, plan
    words = "、".join(str(REASON_LABELS[reason]) for reason in reasons)
    orders.mark_exception(order, str(Text(N_("无法自动分仓：%(reasons)s"), reasons=words)), decision.actor)
    db.session.flush()
    return decision


def _settle_earlier(order: Order, decision: RoutingDecision) -> None:
    db.session.execute(RoutingDecision.__table__.update()
                       .where(RoutingDecision.order_id == order.id, RoutingDecision.id != decision.id)
                       .values(settled=True))
    decision.settled = True


def _summary(plan: Plan) -> str:
    sites = "、".join(f"{parcel.site}/{parcel.carrier}" for parcel in plan.parcels)
    return str(Text(N_("分仓：%(sites)s，预计运费 %(cost)s 元，约 %(hours)s 小时送达"), sites=sites,
                    cost=f"{plan.cost_fen / 100:.2f}", hours=plan.eta_hours))
