"""More real races on committed data: refusals that must be genuine, payments racing the unpaid timeout
while new buyers wait for the released stock, and the pre-sale cap.

These complement test_hot_sku_buyers.py (200 buyers for 50 units; bundles with demand three times the
stock) and use the same ``buyers`` fixture (tests/concurrency/conftest.py): one app context, session and
connection per thread, all threads released by one barrier, data committed and truncated afterwards.
Every scenario ends with ``stock_differences() == []`` on what the database holds.
"""

import random
from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select, update

from app.db import utcnow
from app.domain.errors import InvalidTransition, OutOfStock
from app.domain.inventory import services as inventory
from app.domain.inventory.ledger import Change
from app.domain.inventory.models import Reservation, ReservationStatus, StockLevel
from app.domain.orders import services as orders
from app.domain.orders.consistency import stock_differences
from app.domain.orders.inputs import LineInput, OrderInput, Receiver
from app.domain.orders.models import Order, OrderLine
from app.domain.orders.states import OrderStatus
from app.domain.orders.timeouts import sweep_due
from app.domain.reference.models import Channel, Warehouse
from app.extensions import db
from tests import factories

RECEIPT = Change("test:stock", "并发测试入库")


def order_input(lines: list[tuple[str, int]]) -> OrderInput:
    return OrderInput(
        receiver=Receiver(name="买家", phone="13800138000", province="上海市", city="上海市", address="世纪大道 1 号"),
        lines=[LineInput(sku=code, quantity=quantity) for code, quantity in lines])


def buy(channel_id: int, lines: list[tuple[str, int]]):
    """One buyer's request, committed: ("ok", order id) or ("out_of_stock", None)."""
    try:
        order, _ = orders.create_order(db.session.get(Channel, channel_id), order_input(lines), "test:buyer")
        db.session.commit()
        return "ok", order.id
    except OutOfStock:
        db.session.rollback()
        return "out_of_stock", None


def only_new_warehouses(count: int) -> list[Warehouse]:
    """Earlier scenarios' data stays committed until the module ends: switch their warehouses off."""
    db.session.execute(update(Warehouse).values(active=False))
    return [factories.WarehouseFactory(priority=i + 1) for i in range(count)]


def errors_in(results) -> list:
    return [result for result in results if isinstance(result, BaseException)]


def levels_of(sku_ids) -> dict[tuple[int, int], StockLevel]:
    return {(level.warehouse_id, level.sku_id): level
            for level in db.session.scalars(select(StockLevel).where(StockLevel.sku_id.in_(sku_ids)))}


def test_every_refused_buyer_really_could_not_be_served(buyers):
    """No undersell (reliability anchors §1, invariant 5): stock only goes down in this scenario, so a
    refused basket must still be unfillable from every warehouse at the end; and no oversell."""
    rng = random.Random(7)
    with buyers.app.app_context():
        w1, w2 = only_new_warehouses(2)
        a, b, c = (factories.SkuFactory(price_fen=900) for _ in range(3))
        kit = factories.SkuFactory(price_fen=2000)  # kit = A + 2 C, sharing A and C with plain lines
        factories.BundleComponentFactory(bundle=kit, component=a, quantity=1)
        factories.BundleComponentFactory(bundle=kit, component=c, quantity=2)
        channel = factories.ChannelFactory()
        db.session.flush()
        inventory.receive(w1, [(a, 9), (b, 6), (c, 14)], RECEIPT)
        inventory.receive(w2, [(a, 5), (b, 8), (c, 4)], RECEIPT)
        db.session.commit()
        units = {kit.code: {a.id: 1, c.id: 2}, a.code: {a.id: 1}, b.code: {b.id: 1}, c.code: {c.id: 1}}
        channel_id, warehouses, sku_ids = channel.id, (w1.id, w2.id), (a.id, b.id, c.id)
    baskets = [[(code, rng.randint(1, 3)) for code in rng.sample(sorted(units), k=rng.choice((1, 2)))]
               for _ in range(150)]

    results = buyers.run(len(baskets), lambda i: buy(channel_id, baskets[i]))

    assert errors_in(results) == []
    with buyers.app.app_context():
        levels = levels_of(sku_ids)
        for level in levels.values():
            assert level.reserved <= level.on_hand and level.locked == 0
        for basket, (outcome, _) in zip(baskets, results, strict=True):
            needed = Counter()
            for code, quantity in basket:
                for sku_id, per_unit in units[code].items():
                    needed[sku_id] += per_unit * quantity
            still_fits = [w for w in warehouses if all(
                levels[(w, s)].on_hand - levels[(w, s)].reserved >= q for s, q in needed.items())]
            if outcome == "out_of_stock":
                assert still_fits == [], f"refused {basket} although warehouse {still_fits} can still fill it"
        served = Counter(outcome for outcome, _ in results)
        assert served["ok"] and served["out_of_stock"]
        assert db.session.scalar(select(func.count()).select_from(Order)
                                 .where(Order.channel_id == channel_id)) == served["ok"]
        assert stock_differences() == []


def test_payments_racing_the_unpaid_timeout_and_new_buyers_end_one_way_or_the_other(buyers):
    """40 unpaid orders hold all 40 units and are already due to close. At once: each one's buyer pays
    (locking the order row first, as the API does), two sweeps close what is due, and 40 new buyers try
    to buy what the closes give back. Each old order ends paid with its unit locked, or closed with it
    released and its payer told so; new buyers get at most the released units; the books balance."""
    with buyers.app.app_context():
        (warehouse,) = only_new_warehouses(1)
        sku = factories.SkuFactory(price_fen=1000)
        channel = factories.ChannelFactory()
        db.session.flush()
        inventory.receive(warehouse, [(sku, 40)], RECEIPT)
        pending = [orders.create_order(channel, order_input([(sku.code, 1)]), "test:buyer")[0] for _ in range(40)]
        past = utcnow() - timedelta(minutes=1)
        db.session.execute(update(Order).where(Order.id.in_([o.id for o in pending]))
                           .values(payment_due_at=past, deadline_at=past, deadline_rule="close_unpaid"))
        db.session.commit()
        order_nos = [o.order_no for o in pending]
        channel_id, sku_id, code, payable = channel.id, sku.id, sku.code, pending[0].payable_fen

    def pay(order_no: str):
        order = orders.get_order(order_no, for_update=True)
        try:
            orders.pay(order, payable, "channel:tb")
        except InvalidTransition:
            db.session.rollback()
            return "closed_first", order_no
        db.session.commit()
        return "paid", order_no

    def sweep():
        applied = sweep_due(utcnow())
        db.session.commit()
        return "swept", applied.get("close_unpaid", 0)

    roles = [lambda n=n: pay(n) for n in order_nos] + [sweep, sweep] + [lambda: buy(channel_id, [(code, 1)])] * 40
    results = buyers.run(len(roles), lambda i: roles[i]())

    assert errors_in(results) == []
    outcomes = Counter(result[0] for result in results)
    with buyers.app.app_context():
        final = dict(db.session.execute(select(Order.order_no, Order.status)
                                        .where(Order.order_no.in_(order_nos))).all())
        payers = {order_no: outcome for outcome, order_no in results[:40]}
        for order_no, status in final.items():
            if payers[order_no] == "paid":
                assert status == OrderStatus.PAID
            else:
                assert (payers[order_no], status) == ("closed_first", OrderStatus.CLOSED)
        closed = sum(1 for status in final.values() if status == OrderStatus.CLOSED)
        assert outcomes["paid"] + outcomes["closed_first"] == 40
        assert outcomes["ok"] <= closed  # new buyers only ever get units an unpaid order gave back
        level = db.session.scalar(select(StockLevel).where(StockLevel.sku_id == sku_id))
        assert (level.on_hand, level.locked, level.reserved) == (40, outcomes["paid"], outcomes["ok"])
        assert level.reserved + level.locked <= level.on_hand
        held = dict(db.session.execute(
            select(Reservation.status, func.sum(Reservation.quantity)).where(Reservation.sku_id == sku_id)
            .group_by(Reservation.status)).all())
        assert held.get(ReservationStatus.LOCKED, 0) == outcomes["paid"]
        assert held.get(ReservationStatus.RESERVED, 0) == outcomes["ok"]
        assert stock_differences() == []


def test_the_presale_cap_holds_when_buyers_arrive_together(buyers):
    """A pre-sale SKU may have at most ``presale_cap`` units waiting in open orders, however many
    buyers ask at the same moment (the cap check reads a sum, then inserts: it must be serialised)."""
    with buyers.app.app_context():
        only_new_warehouses(1)
        sku = factories.SkuFactory(presale_release_at=utcnow() + timedelta(days=3), presale_cap=10)
        channel = factories.ChannelFactory()
        db.session.commit()
        channel_id, code, sku_id = channel.id, sku.code, sku.id

    results = buyers.run(40, lambda i: buy(channel_id, [(code, 1)]))

    assert errors_in(results) == []
    assert Counter(outcome for outcome, _ in results) == {"ok": 10, "out_of_stock": 30}
    with buyers.app.app_context():
        waiting = db.session.scalar(select(func.sum(OrderLine.quantity))
                                    .where(OrderLine.sku_id == sku_id, OrderLine.awaiting_presale))
        assert waiting == 10
        assert stock_differences() == []
