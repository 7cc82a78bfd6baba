"""Random sequences of everything that moves stock, checked after every step against a pure-Python model.

The machine drives the real services over two warehouses, three plain SKUs and the bundle K = A + 2 B
(so a bundle shares components with plain lines): receipts, counts, safety-stock overrides, order
creation (with gifts), payment, cancel, the unpaid timeout (the service, and the sweep with an advanced
clock), approve + pack + ship, delivery, refunds (whole, partial, and the whole amount for part of the
goods; before and after shipping, with and without restock, sellable or damaged) and moving an order's
reservations to the other warehouse. Orders no single warehouse can fill are split: each SKU whole in
a warehouse where that can be, else a SKU's units divided between warehouses.

The model predicts every outcome (success, no-op, or which error) and every bucket. After each step:
the database's on_hand / reserved / locked / damaged / safety per warehouse × SKU equal the model's,
each order holds exactly what the model says, ``stock_differences()`` is empty, no bucket is negative,
on-hand stock is conserved (received + restocked ± counted − shipped) so nothing is sold that was never
received, and no level has more than one open purchase reminder.

Each example runs inside its own savepoint, rolled back at its end: the per-test transaction of
tests/conftest.py wraps the whole test function, not each example. A failing operation runs in a
nested savepoint that is rolled back, as the caller's rollback would be in production.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import combinations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from app.db import utcnow
from app.domain.errors import Conflict, DomainError, InvalidTransition, OutOfStock, ValidationError
from app.domain.inventory import ledger, safety
from app.domain.inventory import services as inventory
from app.domain.inventory.ledger import Change
from app.domain.inventory.models import (
    ACTIVE_RESERVATION_STATUSES,
    PurchaseReminder,
    Reservation,
    StockLevel,
    StockMovement,
)
from app.domain.orders import refunds, services
from app.domain.orders.consistency import stock_differences
from app.domain.orders.models import Order, OrderLine
from app.domain.orders.refunds import RefundLine
from app.domain.orders.timeouts import sweep_due
from app.extensions import db
from tests.domain.stock_world import ACTOR, build_world, order_input
from tests.domain.stock_world import line as line_input

PENDING, PAID, SHIPPED, SIGNED, CLOSED, REFUNDED = "01", "02", "05", "07", "00", "R1"
AFTER_PAYMENT = {PAID, SHIPPED, SIGNED, REFUNDED}
BUCKETS = ("on_hand", "reserved", "locked", "damaged", "safety")


@dataclass
class ModelLine:
    code: str
    quantity: int
    gift: bool
    parts: dict[int, int]  # stock units per unit sold: {sku id: units}
    refunded: int = 0


@dataclass
class ModelOrder:
    id: int
    status: str
    warehouse: int  # the order's own warehouse: the one that holds most of it
    lines: list[ModelLine]
    paid: int = 0
    refunded_fen: int = 0
    #: (warehouse id, sku id) → units reserved (01) or locked (02); a SKU may be held in both warehouses
    holdings: dict[tuple[int, int], int] = field(default_factory=dict)


def has_orders(machine) -> bool:
    return bool(machine.model)


class StockMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.example = db.session.begin_nested()
        world = self.world = build_world()
        self.warehouses = [world.w1.id, world.w2.id]
        self.plain = {sku.code: sku.id for sku in (world.a, world.b, world.c)}
        self.parts = {world.a.code: {world.a.id: 1}, world.b.code: {world.b.id: 1}, world.c.code: {world.c.id: 1},
                      world.k.code: {world.a.id: 1, world.b.id: 2}}
        self.prices = {world.a.code: 1000, world.b.code: 1000, world.c.code: 1000, world.k.code: 2500}
        self.codes = {sku_id: code for code, sku_id in self.plain.items()}
        for warehouse_id in self.warehouses:
            for sku_id in self.plain.values():
                ledger.ensure_level(warehouse_id, sku_id)
        self.levels = {(w, s): dict.fromkeys(BUCKETS, 0) for w in self.warehouses for s in self.plain.values()}
        self.model: dict[int, ModelOrder] = {}
        self.received, self.shipped, self.restocked, self.counted = Counter(), Counter(), Counter(), Counter()

    def teardown(self):
        if self.example.is_active:
            self.example.rollback()
        # Forget this example's objects: SQLite hands the rolled-back ids out again to the next one.
        db.session.expunge_all()

    # --- running one unit of work ------------------------------------------------------------------

    def run(self, expected: type[DomainError] | None, work, all_or_nothing: bool = False):
        """Run ``work`` in a savepoint; it must raise ``expected`` (then roll back) or succeed."""
        before = self._counts() if all_or_nothing else None
        savepoint = db.session.begin_nested()
        try:
            result = work()
        except DomainError as error:
            if all_or_nothing:
                assert self._counts() == before, "a failed order left rows behind"
            savepoint.rollback()
            assert expected is not None and isinstance(error, expected), f"unexpected {error!r} {error.details}"
            return error
        except BaseException:
            savepoint.rollback()
            raise
        savepoint.commit()
        assert expected is None, f"expected {expected.__name__}, it succeeded"
        return result

    def _counts(self):
        return [db.session.scalar(select(func.count()).select_from(model))
                for model in (Order, OrderLine, Reservation, StockMovement)]

    def order(self, key: int) -> Order:
        return db.session.get(Order, key)

    def sellable(self, warehouse_id, sku_id) -> int:
        level = self.levels[(warehouse_id, sku_id)]
        return level["on_hand"] - level["reserved"] - level["locked"] - level["safety"]

    def move(self, warehouse_id, sku_id, **deltas):
        for bucket, delta in deltas.items():
            self.levels[(warehouse_id, sku_id)][bucket] += delta

    def release_all(self, order: ModelOrder):
        bucket = "reserved" if order.status == PENDING else "locked"
        for (warehouse_id, sku_id), units in order.holdings.items():
            self.move(warehouse_id, sku_id, **{bucket: -units})
        order.holdings = {}

    # --- stock in and out ---------------------------------------------------------------------------

    @initialize(quantities=st.lists(st.integers(0, 12), min_size=6, max_size=6))
    def opening_stock(self, quantities):
        """Some stock from the start, so that most examples get to orders rather than refusals."""
        slots = [(w, code) for w in (0, 1) for code in "abc"]
        for (w, code), quantity in zip(slots, quantities, strict=True):
            if quantity:
                self.receive(w, code, quantity)

    @rule(kind=st.sampled_from(["receive", "receive", "count", "safety"]), w=st.integers(0, 1),
          code=st.sampled_from("abc"), n=st.integers(1, 8), data=st.data())
    def change_stock(self, kind, w, code, n, data):
        """Goods received, a stock count (up or down), or a new safety stock and reorder point."""
        if kind == "receive":
            self.receive(w, code, n)
        elif kind == "count":
            self.count(w, code, data.draw(st.integers(-4, 3), label="counted minus on hand"))
        else:
            self.set_safety_stock(w, code, n % 4, data.draw(st.integers(0, 8), label="reorder point"))

    def receive(self, w, code, quantity):
        warehouse, sku = (self.world.w1, self.world.w2)[w], getattr(self.world, code)
        self.run(None, lambda: inventory.receive(warehouse, [(sku, quantity)], Change(ACTOR, "入库")))
        self.move(warehouse.id, sku.id, on_hand=quantity)
        self.received[sku.id] += quantity

    def count(self, w, code, change):
        warehouse, sku = (self.world.w1, self.world.w2)[w], getattr(self.world, code)
        on_hand = self.levels[(warehouse.id, sku.id)]["on_hand"]
        counted = max(0, on_hand + change)
        self.run(None, lambda: inventory.adjust_to_count(warehouse, sku, counted, Change(ACTOR, "盘点")))
        self.move(warehouse.id, sku.id, on_hand=counted - on_hand)
        self.counted[sku.id] += counted - on_hand

    def set_safety_stock(self, w, code, units, reorder_point):
        warehouse_id, sku_id = self.warehouses[w], getattr(self.world, code).id
        self.run(None, lambda: safety.override(safety.figure_for(warehouse_id, sku_id), units, reorder_point,
                                               "机器测试", ACTOR))
        self.levels[(warehouse_id, sku_id)]["safety"] = units

    # --- orders -------------------------------------------------------------------------------------

    @rule(own_warehouse=st.booleans(), then_pay=st.booleans(), lines=st.lists(
        st.tuples(st.sampled_from("abck"), st.integers(1, 3), st.booleans()), min_size=1, max_size=3))
    def create(self, own_warehouse, then_pay, lines):
        world = self.world
        channel = world.w2_channel if own_warehouse else world.channel
        candidates = [world.w2.id] if own_warehouse else self.warehouses
        sold = [ModelLine(getattr(world, code).code, quantity, gift, self.parts[getattr(world, code).code])
                for code, quantity, gift in lines]
        demand = Counter()
        for item in sold:
            for sku_id, units in item.parts.items():
                demand[sku_id] += units * item.quantity  # a component shared by lines is summed
        placed, warehouse = self._placement(demand, candidates)
        data = order_input(*(line_input(getattr(world, code), quantity, gift) for code, quantity, gift in lines))
        outcome = self.run(None if placed else OutOfStock, lambda: services.create_order(channel, data, ACTOR),
                           all_or_nothing=True)
        if not placed:
            assert outcome.details["lines"] == self._expected_shortfalls(demand, candidates)
            return
        order, created = outcome
        assert created
        for (warehouse_id, sku_id), units in placed.items():
            self.move(warehouse_id, sku_id, reserved=units)
        self.model[order.id] = ModelOrder(order.id, PENDING, warehouse, sold, holdings=placed)
        assert order.warehouse_id == warehouse
        assert order.payable_fen == sum(0 if i.gift else i.quantity * self.prices[i.code] for i in sold)
        if then_pay:  # a separate unit of work, as when the payment message arrives
            self._pay(order.id)

    def _placement(self, demand, candidates) -> tuple[dict[tuple[int, int], int], int | None]:
        """Where the order's units are reserved, and the order's own warehouse: all in the first warehouse
        that fills everything; else each SKU whole, greedily in the warehouse that fills the most SKUs left
        (ties by candidate order; the first one picked is the order's); else, when some SKU fits whole
        nowhere, the fewest warehouses whose stock adds up, each SKU whole in the first of them that has it
        all, else filled from them in order (the order's warehouse: the one holding most units, ties by
        candidate order). ({}, None) when the warehouses together are short of some SKU."""
        sellable = {(w, s): max(0, self.sellable(w, s)) for w in candidates for s in demand}
        fills = {w: {s for s, q in demand.items() if sellable[(w, s)] >= q} for w in candidates}
        whole = [w for w in candidates if fills[w] == set(demand)]
        if whole:
            return {(whole[0], s): q for s, q in demand.items()}, whole[0]
        homes, left, first = {}, set(demand), None
        while left and len(demand) > 1:
            best = max(candidates, key=lambda w: len(fills[w] & left))
            if not fills[best] & left:
                break
            first = first or best
            homes |= dict.fromkeys(fills[best] & left, best)
            left -= fills[best]
        if len(demand) > 1 and not left:
            return {(homes[s], s): q for s, q in demand.items()}, first
        if any(sum(sellable[(w, s)] for w in candidates) < q for s, q in demand.items()):
            return {}, None
        group = next(list(g) for size in range(1, len(candidates) + 1) for g in combinations(candidates, size)
                     if all(sum(sellable[(w, s)] for w in g) >= q for s, q in demand.items()))
        placed = {}
        for s, q in demand.items():
            holder = next((w for w in group if sellable[(w, s)] >= q), None)
            for w in [holder] if holder is not None else group:
                units = min(q, sellable[(w, s)])
                if units:
                    placed[(w, s)] = units
                    q -= units
        units_in = {w: sum(n for (v, _s), n in placed.items() if v == w) for w in group}
        return placed, max(group, key=lambda w: units_in[w])

    def _expected_shortfalls(self, demand, candidates):
        available = {(w, s): max(0, self.sellable(w, s)) for w in candidates for s in demand}
        best = {s: sum(available[(w, s)] for w in candidates) for s in demand}  # the warehouses together
        short = [s for s, q in demand.items() if best[s] < q] or [
            s for s, q in demand.items() if available[(candidates[0], s)] < q]
        return sorted(({"sku": self.codes[s], "requested": demand[s], "available": best[s]} for s in short),
                      key=lambda entry: entry["sku"])

    def pick(self, data, *preferred: str) -> int:
        """An order for the next action: mostly one in a state where the action does something, now and
        then any order at all (stale and repeated actions must be harmless too)."""
        live = sorted(key for key, model in self.model.items() if model.status in preferred)
        if live and data.draw(st.integers(0, 3), label="prefer an order the action applies to"):
            return data.draw(st.sampled_from(live), label="order")
        return data.draw(st.sampled_from(sorted(self.model)), label="order")

    @precondition(has_orders)
    @rule(data=st.data())
    def pay(self, data):
        self._pay(self.pick(data, PENDING))

    def _pay(self, key):
        model, order = self.model[key], self.order(key)
        expected = InvalidTransition if model.status == CLOSED else None
        self.run(expected, lambda: services.pay(order, order.payable_fen, "channel:tb"))
        if model.status == PENDING:
            for (warehouse_id, sku_id), units in model.holdings.items():
                self.move(warehouse_id, sku_id, reserved=-units, locked=units)
            model.status, model.paid = PAID, order.payable_fen

    @precondition(has_orders)
    @rule(data=st.data())
    def cancel(self, data):
        key = self.pick(data, PENDING)
        model = self.model[key]
        expected = None if model.status in (PENDING, CLOSED) else InvalidTransition
        self.run(expected, lambda: services.cancel(self.order(key), "买家取消", ACTOR))
        if model.status == PENDING:
            self.release_all(model)
            model.status = CLOSED

    @precondition(has_orders)
    @rule(data=st.data(), via_sweep=st.sampled_from([False, False, True]))
    def unpaid_timeout(self, data, via_sweep):
        """The unpaid timeout: the service for one order, or the sweep with the clock advanced past
        every payment deadline (which closes every unpaid order at once)."""
        if via_sweep:
            closed = self.run(None, lambda: sweep_due(utcnow() + timedelta(minutes=31)))
            pending = [m for m in self.model.values() if m.status == PENDING]
            assert sum(closed.values()) == len(pending)
        else:
            key = self.pick(data, PENDING)
            self.run(None, lambda: services.close_unpaid(self.order(key)))
            pending = [self.model[key]] if self.model[key].status == PENDING else []
        for model in pending:
            self.release_all(model)
            model.status = CLOSED

    @precondition(has_orders)
    @rule(data=st.data(), and_deliver=st.booleans())
    def ship(self, data, and_deliver):
        key = self.pick(data, PAID)
        model, world = self.model[key], self.world

        def approve_pack_ship():
            order = self.order(key)
            services.approve(order, ACTOR)
            services.pack(order, ACTOR)
            services.ship_out(order, world.carrier, f"SF{key:010d}", ACTOR)

        if model.status in (PENDING, CLOSED, REFUNDED):
            self.run(InvalidTransition, approve_pack_ship)
        elif model.status == PAID:
            short = any(self.levels[level]["on_hand"] < q for level, q in model.holdings.items())
            self.run(Conflict if short else None, approve_pack_ship)  # a count took the goods away
            if not short:
                for (warehouse_id, sku_id), units in model.holdings.items():
                    self.move(warehouse_id, sku_id, on_hand=-units, locked=-units)
                    self.shipped[sku_id] += units
                model.holdings, model.status = {}, SHIPPED
        else:
            self.run(None, approve_pack_ship)  # already shipped: every step is a no-op
        if and_deliver:
            self._deliver(key)

    @precondition(has_orders)
    @rule(data=st.data())
    def deliver(self, data):
        self._deliver(self.pick(data, SHIPPED))

    def _deliver(self, key):
        model = self.model[key]

        def hand_over_and_sign():
            order = self.order(key)
            services.hand_over(order, "carrier:sf")
            services.sign(order, "carrier:sf")

        self.run(None if model.status in (SHIPPED, SIGNED) else InvalidTransition, hand_over_and_sign)
        if model.status == SHIPPED:
            model.status = SIGNED

    @precondition(has_orders)
    @rule(data=st.data(), kind=st.sampled_from(["everything", "part", "all_money_for_part"]),
          restock=st.booleans(), damaged=st.booleans())
    def refund(self, data, kind, restock, damaged):
        key = self.pick(data, PAID, SIGNED)
        model = self.model[key]
        refundable = model.paid - model.refunded_fen
        if kind == "everything":
            amount, chosen = refundable, None
        else:
            code = data.draw(st.sampled_from(sorted({item.code for item in model.lines})))
            units = data.draw(st.integers(1, 3))
            amount = 1 if kind == "part" else refundable
            chosen = [RefundLine(code, units)]

        def do_refund():
            refunds.refund(self.order(key), amount, chosen, restock, "退款", ACTOR, damaged=damaged)

        if model.status == REFUNDED:
            self.run(None, do_refund)
            return
        if model.status in (PENDING, CLOSED, SHIPPED):
            self.run(InvalidTransition, do_refund)
            return
        refunded = self._refunded_lines(model, chosen)
        if not 0 < amount <= refundable or refunded is None:
            self.run(ValidationError, do_refund)
            return
        self.run(None, do_refund)
        for item, units in refunded:
            item.refunded += units
            for sku_id, per_unit in item.parts.items():
                self._take_back(model, sku_id, per_unit * units, restock, damaged)
        model.refunded_fen += amount
        if model.refunded_fen >= model.paid or all(i.refunded >= i.quantity for i in model.lines):
            if model.status == PAID:
                self.release_all(model)  # all the money back before shipping: nothing stays locked
            model.status = REFUNDED

    def _refunded_lines(self, model, chosen):
        if chosen is None:
            return [(item, item.quantity - item.refunded) for item in model.lines if item.quantity > item.refunded]
        # Refunds name a SKU code; with the same SKU on two lines the service refunds the last one.
        item = [i for i in model.lines if i.code == chosen[0].sku][-1]
        return [(item, chosen[0].quantity)] if chosen[0].quantity <= item.quantity - item.refunded else None

    def _take_back(self, model, sku_id, units, restock, damaged):
        if model.status == PAID:
            # A SKU held in both warehouses gives back from its smaller holding first (ties: lower id).
            for level in sorted((level for level in model.holdings if level[1] == sku_id),
                                key=lambda level: (model.holdings[level], level[0])):
                given = min(units, model.holdings[level])
                self.move(*level, locked=-given)
                model.holdings[level] -= given
                units -= given
                if not model.holdings[level]:
                    del model.holdings[level]
        elif restock:  # returns come back to the order's own warehouse
            self.move(model.warehouse, sku_id, **{"damaged" if damaged else "on_hand": units})
            if not damaged:
                self.restocked[sku_id] += units

    @precondition(has_orders)
    @rule(data=st.data(), w=st.integers(0, 1))
    def move_to_warehouse(self, data, w):
        key = self.pick(data, PENDING, PAID)
        model, target = self.model[key], self.warehouses[w]
        moving = Counter()
        for (warehouse_id, sku_id), units in model.holdings.items():
            if warehouse_id != target:
                moving[sku_id] += units
        movable = model.status in (PENDING, PAID) and bool(moving)
        fits = all(self.sellable(target, s) >= q for s, q in moving.items())

        def move():
            inventory.move_reservations(key, target, Change(ACTOR, "改仓", key))
            # move_reservations knows no orders: its caller (routing) re-points an order that moved.
            holds_in = db.session.scalar(select(Reservation.warehouse_id).where(
                Reservation.order_id == key, Reservation.status.in_(ACTIVE_RESERVATION_STATUSES)).limit(1))
            if holds_in is not None:
                self.order(key).warehouse_id = holds_in

        self.run(OutOfStock if movable and not fits else None, move)
        if movable and fits:
            bucket = "reserved" if model.status == PENDING else "locked"
            holdings = Counter()
            for (warehouse_id, sku_id), units in model.holdings.items():
                self.move(warehouse_id, sku_id, **{bucket: -units})
                self.move(target, sku_id, **{bucket: units})
                holdings[(target, sku_id)] += units
            model.holdings = dict(holdings)
            model.warehouse = target

    # --- invariants ---------------------------------------------------------------------------------

    @invariant()
    def levels_match_the_model(self):
        rows = db.session.execute(select(StockLevel.warehouse_id, StockLevel.sku_id,
                                         *(getattr(StockLevel, b) for b in BUCKETS))
                                  .where(StockLevel.warehouse_id.in_(self.warehouses)))
        actual = {(w, s): dict(zip(BUCKETS, values, strict=True)) for w, s, *values in rows}
        assert actual == self.levels
        assert all(value >= 0 for level in self.levels.values() for value in level.values())

    @invariant()
    def orders_hold_what_the_model_says(self):
        if not self.model:
            return
        statuses = dict(db.session.execute(select(Order.id, Order.status).where(Order.id.in_(self.model))).all())
        assert statuses == {key: m.status for key, m in self.model.items()}
        held = {}
        for order_id, warehouse_id, sku_id, status, units in db.session.execute(
                select(Reservation.order_id, Reservation.warehouse_id, Reservation.sku_id, Reservation.status,
                       Reservation.quantity)
                .where(Reservation.order_id.in_(self.model), Reservation.status.in_(ACTIVE_RESERVATION_STATUSES))):
            held.setdefault(order_id, {})[(warehouse_id, sku_id)] = units
            assert status == ("reserved" if self.model[order_id].status == PENDING else "locked")
        assert held == {key: m.holdings for key, m in self.model.items() if m.holdings}

    @invariant()
    def the_books_balance(self):
        assert stock_differences() == []

    @invariant()
    def nothing_is_sold_that_was_never_received(self):
        for sku_id in self.plain.values():
            on_hand = sum(self.levels[(w, sku_id)]["on_hand"] for w in self.warehouses)
            came_in = self.received[sku_id] + self.restocked[sku_id] + self.counted[sku_id]
            assert on_hand == came_in - self.shipped[sku_id]
            assert self.shipped[sku_id] <= came_in

    @invariant()
    def at_most_one_open_purchase_reminder_per_level(self):
        open_per_level = db.session.execute(
            select(func.count()).select_from(PurchaseReminder).where(PurchaseReminder.recovered_at.is_(None))
            .group_by(PurchaseReminder.warehouse_id, PurchaseReminder.sku_id)).scalars().all()
        assert all(n == 1 for n in open_per_level)


def test_random_operations_keep_the_stock_books_right(app_context):
    run_state_machine_as_test(StockMachine, settings=settings(
        max_examples=60, stateful_step_count=50, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
