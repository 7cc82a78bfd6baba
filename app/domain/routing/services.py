"""Acting on a routing plan: allocate (move the order's stock to the winner, set the carrier), split,
or park — in the caller's one transaction, with the decision recorded once.

Two routers on one order: each first inserts the decision row for the order's next round; the unique
(order, round) key lets only one of them in (the other waits on PostgreSQL for the first to commit,
then sees the key taken), and only the one that recorded acts.
"""

from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select

from app.db import db, insert_unless_taken, utcnow
from app.domain.catalog.models import Sku
from app.domain.errors import Conflict, ValidationError
from app.domain.orders import services as orders
from app.domain.orders.models import Order
from app.domain.orders.states import OrderStatus
from app.domain.reference.models import Carrier, Channel, Platform, Warehouse
from app.domain.reference.places import locate
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
    engine.CARRIER_RULE: N_("渠道指定的快递不可达"),
    engine.RESERVED: N_("仓库为其他渠道专用"),
    engine.RESTRICTED: N_("商品限购：不向该地区销售"),
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

#: When a channel's orders are routed by themselves: at creation (the stock they reserved moves before
#: payment), at payment (the default), once approved (after review), or only when a person asks.
CREATED, PAID, APPROVED, MANUAL = "created", "paid", "approved", "manual"
ROUTE_MOMENTS = (PAID, CREATED, APPROVED, MANUAL)
MOMENT_LABELS = {
    PAID: N_("付款后（默认）"),
    CREATED: N_("下单时"),
    APPROVED: N_("审核通过后"),
    MANUAL: N_("手动分仓"),
}
#: The order states in which the automatic routing of each moment takes an order.
DUE = {CREATED: ROUTABLE | {OrderStatus.PENDING_PAYMENT}, PAID: ROUTABLE, APPROVED: {OrderStatus.APPROVED},
       MANUAL: set()}

#: Every label the decision's display needs, in one place for the templates.
LABELS = {"reasons": REASON_LABELS, "outcomes": OUTCOME_LABELS, "strategies": STRATEGY_LABELS}


def current_setting() -> RoutingSetting:
    """The settings row, or (before anyone saved one) the defaults, unsaved: reading writes nothing."""
    setting = db.session.scalar(select(RoutingSetting).order_by(RoutingSetting.id))
    return setting or RoutingSetting(strategy="cheapest", weights=dict(engine.DEFAULT_WEIGHTS), channel_carriers={},
                                     reserved_warehouses={}, restricted_regions={}, route_moments={})


def save_setting(strategy: str, weights: dict, actor: str) -> RoutingSetting:
    check_strategy(strategy, weights)
    setting = current_setting()
    setting.strategy, setting.weights, setting.updated_by = strategy, dict(weights), actor
    db.session.add(setting)
    db.session.flush()
    return setting


def save_rules(channel_carriers: dict, reserved_warehouses: dict, restricted_regions: dict,
               actor: str) -> RoutingSetting:
    """The channel and region rules: each checked against what exists, provinces normalised to their
    official names; nothing is saved when one is wrong."""
    rules = check_rules(channel_carriers, reserved_warehouses, restricted_regions)
    setting = current_setting()
    setting.channel_carriers = rules["channel_carriers"]
    setting.reserved_warehouses = rules["reserved_warehouses"]
    setting.restricted_regions = rules["restricted_regions"]
    setting.updated_by = actor
    db.session.add(setting)
    db.session.flush()
    return setting


def save_moments(moments: dict[str, str], actor: str) -> RoutingSetting:
    """When each channel platform's orders are routed; a platform left out (or at payment) uses the
    default. ValidationError naming ``route_moments`` for an unknown platform or moment, nothing saved."""
    platforms = {platform.value for platform in Platform}
    unknown = next((name for name in moments if name not in platforms), None)
    if unknown is not None:
        raise ValidationError({"route_moments": Text(N_("未知的渠道平台：%(name)s"), name=unknown)})
    if any(moment not in ROUTE_MOMENTS for moment in moments.values()):
        raise ValidationError({"route_moments": N_("未知的分仓时机")})
    setting = current_setting()
    setting.route_moments = {platform: moment for platform, moment in sorted(moments.items()) if moment != PAID}
    setting.updated_by = actor
    db.session.add(setting)
    db.session.flush()
    return setting


def route_moment(platform: str) -> str:
    return (current_setting().route_moments or {}).get(platform, PAID)


def route_when_due(order: Order, actor: str) -> RoutingDecision | None:
    """The automatic routing: the order is routed only in the states its channel's moment takes it in
    (None, nothing changed, otherwise — a manual channel's orders wait for a person)."""
    if order.status not in DUE[route_moment(order.channel.platform)]:
        return None
    return route_order(order, actor)


def check_rules(channel_carriers: dict, reserved_warehouses: dict, restricted_regions: dict) -> dict:
    """The rules as stored, or a ValidationError naming the first unknown platform, carrier, warehouse,
    SKU or province of each field."""
    platforms = {platform.value for platform in Platform}
    carriers = set(db.session.scalars(select(Carrier.code)))
    warehouses = set(db.session.scalars(select(Warehouse.code)))
    skus = set(db.session.scalars(select(Sku.code).where(Sku.code.in_(list(restricted_regions)))))
    errors: dict = {}
    unknown = _first_unknown([*channel_carriers, *reserved_warehouses.values()], platforms)
    if unknown:
        errors["channel_carriers" if unknown in channel_carriers else "reserved_warehouses"] = Text(
            N_("未知的渠道平台：%(name)s"), name=unknown)
    unknown = _first_unknown([code for codes in channel_carriers.values() for code in codes], carriers)
    if unknown:
        errors["channel_carriers"] = Text(N_("未知的快递公司：%(name)s"), name=unknown)
    unknown = _first_unknown(list(reserved_warehouses), warehouses)
    if unknown:
        errors["reserved_warehouses"] = Text(N_("未知的仓库：%(name)s"), name=unknown)
    unknown = _first_unknown(list(restricted_regions), skus)
    if unknown:
        errors["restricted_regions"] = Text(N_("未知的商品编码：%(name)s"), name=unknown)
    regions = {}
    for code, names in restricted_regions.items():
        places = [(name, locate(name)) for name in names]
        unplaced = next((name for name, place in places if place is None), None)
        if unplaced is not None:
            errors["restricted_regions"] = Text(N_("无法识别的省份：%(name)s"), name=unplaced)
            break
        regions[code] = sorted({place.province for _name, place in places})
    if errors:
        raise ValidationError(errors)
    return {"channel_carriers": {platform: list(codes) for platform, codes in channel_carriers.items() if codes},
            "reserved_warehouses": dict(reserved_warehouses), "restricted_regions": regions}


def _first_unknown(names: list[str], known: set[str]) -> str | None:
    return next((name for name in names if name not in known), None)


def check_strategy(strategy: str, weights: dict) -> None:
    if strategy not in engine.STRATEGIES:
        raise ValidationError({"strategy": N_("未知的分仓策略")})
    if any(not isinstance(value, int | float) or value < 0 for value in weights.values()):
        raise ValidationError({"weights": N_("权重须为不小于 0 的数")})


def rules_in_force() -> dict:
    """The strategy, weights and rules in force, in the shape a back-test stores its candidate."""
    setting = current_setting()
    return {"strategy": setting.strategy, "weights": {**engine.DEFAULT_WEIGHTS, **(setting.weights or {})},
            "channel_carriers": setting.channel_carriers or {},
            "reserved_warehouses": setting.reserved_warehouses or {},
            "restricted_regions": setting.restricted_regions or {}}


def strategy_maker(rules: dict, name: str | None = None) -> Callable[[str], Strategy]:
    """``rules`` (see rules_in_force) as the engine's Strategy for an order of a given platform; SKU codes
    are looked up once, so a replay over many orders asks the database one time."""
    regions = rules.get("restricted_regions") or {}
    ids = dict(db.session.execute(select(Sku.code, Sku.id).where(Sku.code.in_(list(regions)))).all()) if regions else {}
    restricted = frozenset((ids[code], province) for code, provinces in regions.items() if code in ids
                           for province in provinces)
    weights = {**engine.DEFAULT_WEIGHTS, **(rules.get("weights") or {})}
    channel_carriers, reserved = rules.get("channel_carriers") or {}, rules.get("reserved_warehouses") or {}

    def for_platform(platform: str) -> Strategy:
        return Strategy(name or rules["strategy"], weights, tuple(channel_carriers.get(platform, ())), platform,
                        reserved, restricted)
    return for_platform


def strategy_for(order: Order | None, name: str | None = None) -> Strategy:
    """The strategy in force (or ``name``), with the channel and region rules for this order."""
    return strategy_maker(rules_in_force(), name)(order.channel.platform if order is not None else "")


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
    waiting = (order.status in ROUTABLE or (again and order.status == OrderStatus.EXCEPTION)
               or order.status in DUE[route_moment(order.channel.platform)])
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
        orders.resolve_exception(order, Text(N_("重新分仓成功")), actor, reroute=False)
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
        orders.resolve_exception(order, reason, actor, reroute=False)
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


def awaiting_manual_routing(limit: int = 200) -> list[Order]:
    """Paid orders of the channels set to route by hand that nobody has routed yet, oldest first."""
    platforms = [platform for platform, moment in (current_setting().route_moments or {}).items() if moment == MANUAL]
    if not platforms:
        return []
    decided = select(RoutingDecision.id).where(RoutingDecision.order_id == Order.id)
    return list(db.session.scalars(
        select(Order).join(Channel, Order.channel_id == Channel.id)
        .where(Channel.platform.in_(platforms), Channel.default_warehouse_id.is_(None),
               Order.status.in_(ROUTABLE), ~decided.exists())
        .order_by(Order.paid_at, Order.id).limit(limit)))


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
    """The main (first) parcel's warehouse takes the whole order, then each other parcel's SKUs move on;
    a plan that divides a SKU's units places every parcel's units at once."""
    warehouses = {w.code: w for w in db.session.scalars(
        select(Warehouse).where(Warehouse.code.in_([parcel.site for parcel in parcels])))}
    main = parcels[0]
    divided = len({sku_id for parcel in parcels for sku_id in parcel.sku_ids}) < sum(len(p.sku_ids) for p in parcels)
    if len(parcels) == 1:
        orders.move_to_warehouse(order, warehouses[main.site], reason, actor)
    elif divided:  # a SKU's units divided between parcels: the whole placement in one step
        orders.place_in_warehouses(order, [(warehouses[parcel.site], parcel.units) for parcel in parcels],
                                   reason, actor)
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
