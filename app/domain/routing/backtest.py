"""回测: replay a candidate rule set over the orders shipped in a period and compare with what shipped.

What the replay stands on (the result page says the same):
- today's rate cards for both sides — cards are edited in place, no history of them is kept — so the
  freight difference is the rule set's, not a price change's;
- today's warehouse profiles (carriers, provinces not served, handling hours, cut-off at the order's
  payment time, daily capacity);
- the replayed day's load: orders are replayed in the order they shipped, and each replayed parcel uses
  up one of its warehouse's daily capacity on the (Shanghai) day the order was paid, so a rule set that
  sends everything to one warehouse meets that warehouse's limit as it would have live;
- the stock each order found when it came in, rebuilt from the stock-movement ledger (today's level
  minus every later movement, less today's safety stock); each order is replayed on its own, so
  replayed orders do not use up each other's stock.
ETA is the engine's estimate on both sides (handling + cut-off + transit days), so like meets like.
"""

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from app.db import db, utcnow
from app.domain.catalog.models import Sku
from app.domain.errors import ValidationError
from app.domain.inventory.models import Reservation, ReservationStatus, StockLevel, StockMovement
from app.domain.orders.models import Order, OrderLine
from app.domain.orders.services import stock_demand
from app.domain.reference.models import Carrier, Channel, Warehouse
from app.domain.routing import engine, facts, services
from app.domain.routing.engine import Destination, Option, Plan
from app.domain.routing.models import Backtest, RoutingDecision
from app.domain.routing.rates import Item
from app.jobs import enqueue_after_commit
from app.text import N_, Text

JOB = "workers.routing.run_backtest"
MAX_ORDERS = 20000
MAX_DAYS = 92
CHECKPOINT_EVERY = 50  #: orders between progress commits (the page polls every second)
SHANGHAI = ZoneInfo("Asia/Shanghai")

QUEUED, RUNNING, FINISHED, FAILED = "queued", "running", "finished", "failed"
STATUS_LABELS = {QUEUED: N_("排队中"), RUNNING: N_("回测中"), FINISHED: N_("已完成"), FAILED: N_("中断")}


def start(period_from: date, period_to: date, rules: dict, actor: str) -> Backtest:
    """Record the back-test of ``rules`` (see services.rules_in_force) over the orders shipped from
    ``period_from`` to ``period_to`` (Shanghai days, both included) and queue its job."""
    if period_to < period_from:
        raise ValidationError({"period_to": N_("结束日期不能早于开始日期")})
    if (period_to - period_from).days >= MAX_DAYS:
        raise ValidationError({"period_to": Text(N_("回测时段最长 %(days)s 天"), days=MAX_DAYS)})
    services.check_strategy(rules["strategy"], rules["weights"])
    rules = {"strategy": rules["strategy"], "weights": dict(rules["weights"]),
             **services.check_rules(rules["channel_carriers"], rules["reserved_warehouses"],
                                    rules["restricted_regions"])}
    total = db.session.scalar(shipped_orders(period_from, period_to).with_only_columns(func.count()).order_by(None))
    if not total:
        raise ValidationError({"period_from": N_("该时段没有已发货的订单")})
    if total > MAX_ORDERS:
        raise ValidationError({"period_from": Text(N_("该时段有 %(count)s 个订单，一次最多回测 %(limit)s 个"),
                                                   count=total, limit=MAX_ORDERS)})
    backtest = Backtest(period_from=period_from, period_to=period_to, strategy=rules["strategy"], rules=rules,
                        status=QUEUED, total=total, done=0, rows=[], summary={}, created_by=actor)
    db.session.add(backtest)
    db.session.flush()
    enqueue_after_commit(JOB, backtest.id)
    return backtest


def shipped_orders(period_from: date, period_to: date) -> Select:
    """Orders shipped in the period from routed channels (a channel with its own warehouse is not routed)."""
    start_at = datetime.combine(period_from, time(0), SHANGHAI)
    end_at = datetime.combine(period_to + timedelta(days=1), time(0), SHANGHAI)
    return (select(Order).join(Channel).where(Order.shipped_at >= start_at, Order.shipped_at < end_at,
                                              Channel.default_warehouse_id.is_(None))
            .order_by(Order.shipped_at, Order.id))


def recent() -> list[Backtest]:
    return list(db.session.scalars(select(Backtest).order_by(Backtest.id.desc()).limit(20)))


def run(backtest: Backtest, checkpoint: Callable[[], None]) -> None:
    """Replay every order of the period; ``checkpoint`` commits the progress so far."""
    backtest.status = RUNNING
    checkpoint()
    orders = list(db.session.scalars(shipped_orders(backtest.period_from, backtest.period_to)
                                     .options(selectinload(Order.lines).selectinload(OrderLine.sku),
                                              selectinload(Order.channel))))
    replay = Replay.load(orders, backtest.rules)
    backtest.total, rows = len(orders), []
    for order in orders:
        rows.append(replay.row(order))
        backtest.done = len(rows)
        if len(rows) % CHECKPOINT_EVERY == 0:
            backtest.rows = list(rows)
            checkpoint()
    backtest.rows, backtest.summary = rows, summarise(rows)
    backtest.status, backtest.finished_at = FINISHED, utcnow()
    db.session.flush()


class StockHistory:
    """Sellable units per (warehouse id, sku id) as they stood at a past moment, from today's levels and
    the movements since."""

    def __init__(self, now: dict, movements: list[StockMovement]):
        self._now = now
        self._times: dict[tuple, list[datetime]] = defaultdict(list)
        self._after: dict[tuple, list[int]] = {}
        self._own: dict[int, list[tuple[datetime, tuple, int]]] = defaultdict(list)
        deltas: dict[tuple, list[int]] = defaultdict(list)
        for movement in sorted(movements, key=lambda m: (m.at, m.id)):
            key, delta = (movement.warehouse_id, movement.sku_id), _position_delta(movement)
            self._times[key].append(movement.at)
            deltas[key].append(delta)
            if movement.order_id is not None:
                self._own[movement.order_id].append((movement.at, key, delta))
        for key, values in deltas.items():
            suffix, total = [], 0
            for value in reversed(values):
                total += value
                suffix.append(total)
            self._after[key] = [*reversed(suffix), 0]

    @classmethod
    def load(cls, sku_ids: set[int], since: datetime) -> "StockHistory":
        levels = db.session.scalars(select(StockLevel).where(StockLevel.sku_id.in_(sku_ids)))
        now = {(level.warehouse_id, level.sku_id): (level.position, level.safety) for level in levels}
        movements = list(db.session.scalars(select(StockMovement).where(StockMovement.sku_id.in_(sku_ids),
                                                                        StockMovement.at >= since)))
        return cls(now, movements)

    def before(self, order_id: int, when: datetime, sku_ids: list[int]) -> dict[tuple[int, int], int]:
        """What the order could take when it came in at ``when``: every movement from then on undone,
        and the order's own ones too (its reservation may be stamped a moment before the order)."""
        own = defaultdict(int)
        for at, key, delta in self._own.get(order_id, ()):
            if at < when:
                own[key] += delta
        wanted = set(sku_ids)
        stock = {}
        for key, (position, safety) in self._now.items():
            if key[1] not in wanted:
                continue
            index = bisect_left(self._times.get(key, []), when)
            later = self._after[key][index] if key in self._after else 0
            stock[key] = max(0, position - later - own[key] - safety)
        return stock


def _position_delta(movement: StockMovement) -> int:
    return movement.on_hand_delta - movement.reserved_delta - movement.locked_delta


class Replay:
    """Everything a back-test reads, loaded once for all its orders."""

    def __init__(self, rules: dict, history: StockHistory, skus: dict[int, Sku], shipped: dict, carriers: dict):
        self.make_strategy = services.strategy_maker(rules)
        self.history = history
        self.skus = skus
        self.shipped = shipped  #: order id → {warehouse id: sku ids}
        self.carriers = carriers  #: (order id, warehouse id) → carrier code, and (order id, None) → the order's
        self.rates = facts.rate_table()
        self.warehouses = facts.active_warehouses()
        self.by_id = {warehouse.id: warehouse for warehouse in db.session.scalars(select(Warehouse))}
        self.all_carriers = facts.active_carriers()
        #: (warehouse code, Shanghai day) → orders the replay has given that warehouse on that day
        self.loads: dict[tuple[str, date], int] = defaultdict(int)

    @classmethod
    def load(cls, orders: list[Order], rules: dict) -> "Replay":
        ids = [order.id for order in orders]
        sku_ids = {line.sku_id for order in orders for line in order.lines}
        for order in orders:
            sku_ids.update(stock_demand(order))
        since = min((order.created_at for order in orders), default=utcnow())
        skus = {sku.id: sku for sku in db.session.scalars(select(Sku).where(Sku.id.in_(sku_ids)))}
        shipped: dict[int, dict[int, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
        for reservation in _chunked(ids, lambda chunk: select(Reservation).where(
                Reservation.order_id.in_(chunk), Reservation.status == ReservationStatus.SHIPPED)):
            shipped[reservation.order_id][reservation.warehouse_id][reservation.sku_id] = reservation.quantity
        codes = dict(db.session.execute(select(Carrier.id, Carrier.code)).all())
        warehouse_ids = dict(db.session.execute(select(Warehouse.code, Warehouse.id)).all())
        carriers = {(order.id, None): codes.get(order.carrier_id) for order in orders}
        # A split order's other parcels went with the carriers its decision gave them (rounds in order,
        # so the last decision wins); the order itself names one carrier only.
        for decision in _chunked(ids, lambda chunk: select(RoutingDecision).where(
                RoutingDecision.order_id.in_(chunk)).order_by(RoutingDecision.round)):
            for parcel in decision.plan.get("parcels", ()):
                carriers[(decision.order_id, warehouse_ids.get(parcel["site"]))] = parcel["carrier"]
        return cls(rules, StockHistory.load(sku_ids, since - timedelta(minutes=1)), skus, shipped, carriers)

    def row(self, order: Order) -> dict:
        """One order: what shipped, what the candidate would have done, and why not when it could not."""
        items = facts.items_of(order, self.skus, net=False)
        destination = facts.destination_of(order)
        base = {"order_no": order.order_no, "shipped_on": order.shipped_at.astimezone(SHANGHAI).date().isoformat()}
        if destination is None:
            return {**base, "actual": None, "replay": None, "reasons": [services.UNPLACED], "changed": True}
        when = order.paid_at or order.created_at
        stock = self.history.before(order.id, order.created_at, [item.sku_id for item in items])
        day = when.astimezone(SHANGHAI).date()
        sites = [facts.site_of(warehouse, stock, self.loads[(warehouse.code, day)], self.all_carriers, when)
                 for warehouse in self.warehouses]
        plan = engine.plan(items, sites, self.rates, destination, self.make_strategy(order.channel.platform))
        for parcel in plan.parcels:
            self.loads[(parcel.site, day)] += 1
        actual = self._actual(order, items, destination, when)
        replayed = side(plan.parcels) if plan.routed else None
        return {**base, "actual": actual, "replay": replayed, "reasons": _reasons(plan),
                "changed": actual is None or replayed is None or actual["sites"] != replayed["sites"]}

    def _actual(self, order: Order, items, destination: Destination, when: datetime) -> dict | None:
        """The parcels as they went: the shipped reservations per warehouse, each with the carrier the
        order's routing decision gave that warehouse's parcel (else the order's); priced on today's cards."""
        by_warehouse = self.shipped.get(order.id) or {order.warehouse_id: {item.sku_id: item.quantity for item in items}}
        parcels = []
        for warehouse_id, units in sorted(by_warehouse.items(), key=lambda pair: pair[0] or 0):
            warehouse = self.by_id.get(warehouse_id)
            carrier = self.carriers.get((order.id, warehouse_id)) or self.carriers.get((order.id, None))
            if warehouse is None or carrier is None:
                return None
            site = facts.site_of(warehouse, {}, 0, self.all_carriers, when)
            share = [Item(item.sku_id, units[item.sku_id], item.weight_g, item.volume_cm3)
                     for item in items if item.sku_id in units]
            parcel = engine.shipped_parcel(site, carrier, share, self.rates, destination)
            parcels.append(parcel or Option(site.code, carrier, tuple(sorted(units)), 0, -1, 0.0, 0,
                                            tuple(units[sku_id] for sku_id in sorted(units))))
        return side(tuple(parcels))


def side(parcels: tuple[Option, ...]) -> dict:
    """One side of a comparison; a parcel the cards cannot price (cost -1) leaves the order's cost unknown."""
    unpriced = any(parcel.cost_fen < 0 for parcel in parcels)
    return {"sites": " + ".join(f"{parcel.site}/{parcel.carrier}" for parcel in parcels),
            "parcels": len(parcels),
            "cost_fen": None if unpriced else sum(parcel.cost_fen for parcel in parcels),
            "eta_hours": max(parcel.eta_hours for parcel in parcels),
            "distance_km": max(parcel.distance_km for parcel in parcels)}


def _reasons(plan: Plan) -> list[str]:
    if plan.routed:
        return []
    return sorted({c.verdict for c in plan.candidates if c.verdict not in (engine.WON, engine.LOST)}) or [engine.NO_STOCK]


def _chunked(ids: list[int], query: Callable[[list[int]], Select], size: int = 500):
    for offset in range(0, len(ids), size):
        yield from db.session.scalars(query(ids[offset:offset + size]))


def summarise(rows: list[dict]) -> dict:
    """The figures of the result page. Freight, ETA and distance are compared on the orders both sides
    could price (the candidate routed them, the cards price what shipped); the split rate of each side
    is over the orders it shipped."""
    actual = [row["actual"] for row in rows if row["actual"]]
    replayed = [row["replay"] for row in rows if row["replay"]]
    both = [row for row in rows if row["replay"] and row["actual"] and row["actual"]["cost_fen"] is not None]
    days: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in both:
        days[row["shipped_on"]][0] += row["actual"]["cost_fen"]
        days[row["shipped_on"]][1] += row["replay"]["cost_fen"]
    return {
        "orders": len(rows),
        "compared": len(both),
        "unroutable": len(rows) - len(replayed),
        "changed": sum(1 for row in rows if row["changed"]),
        "actual": _figures([row["actual"] for row in both], actual),
        "replay": _figures([row["replay"] for row in both], replayed),
        "days": [{"day": day, "actual_fen": fen[0], "replay_fen": fen[1]} for day, fen in sorted(days.items())],
        "sites": {"actual": _parcels_per_site(actual), "replay": _parcels_per_site(replayed)},
    }


def _figures(compared: list[dict], shipped: list[dict]) -> dict:
    count = len(compared)
    splits = sum(1 for one in shipped if one["parcels"] > 1)
    return {"cost_fen": sum(one["cost_fen"] for one in compared),
            "average_cost_fen": round(sum(one["cost_fen"] for one in compared) / count) if count else 0,
            "average_eta_hours": round(sum(one["eta_hours"] for one in compared) / count, 1) if count else 0,
            "average_distance_km": round(sum(one["distance_km"] for one in compared) / count, 1) if count else 0,
            "splits": splits, "split_pct": round(100 * splits / len(shipped), 1) if shipped else 0}


def _parcels_per_site(sides: list[dict]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for one in sides:
        for parcel in one["sites"].split(" + "):
            counts[parcel.split("/")[0]] += 1
    return dict(sorted(counts.items()))
