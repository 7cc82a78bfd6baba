"""Real concurrent buyers against one stock level: no oversell, no lost reservation, books consistent.

200 threads, each with its own app context, session and database connection, are released together by
a barrier and each call ``orders.services.create_order`` and commit, exactly as 200 web requests would
(reliability anchors §1, goals R1/R2). Nothing here is rolled back: the stock, the orders and the
ledger are committed, and the checks read what the database holds afterwards.

PostgreSQL is where these tests have teeth: buyers really interleave inside READ COMMITTED, so only
the guarded UPDATE stands between them and an oversell (a read-check-write in Python instead of the
guard oversells here, 120 of 50 units). On SQLite they pass reliably too, but every transaction there
starts with BEGIN IMMEDIATE and runs alone, so the SQLite run proves the embedded default is correct,
not that the guard is.
"""

import random
from collections import Counter, defaultdict

import pytest
from sqlalchemy import func, select, update

from app.domain.errors import OutOfStock
from app.domain.inventory import services as inventory
from app.domain.inventory.ledger import Change
from app.domain.inventory.models import Reservation, ReservationStatus, StockLevel
from app.domain.orders import services as orders
from app.domain.orders.consistency import stock_differences
from app.domain.orders.inputs import LineInput, OrderInput, Receiver
from app.domain.orders.models import Order
from app.domain.reference.models import Channel, Warehouse
from app.extensions import db
from tests import factories

BUYERS = 200
ACTOR = "test:buyer"
RECEIPT = Change("test:stock", "并发测试入库")


def order_input(buyer: int, lines: list[tuple[str, int]]) -> OrderInput:
    return OrderInput(
        receiver=Receiver(name="买家", phone="13800138000", province="上海市", city="上海市", address="世纪大道 1 号"),
        lines=[LineInput(sku=code, quantity=quantity) for code, quantity in lines],
        external_id=f"buyer-{buyer}",
    )


def buy(channel_id: int, buyer: int, lines: list[tuple[str, int]]) -> tuple[str, int | None]:
    """One buyer's request: create the order and commit, or be told it is out of stock."""
    channel = db.session.get(Channel, channel_id)
    try:
        order, created = orders.create_order(channel, order_input(buyer, lines), ACTOR)
        assert created, f"buyer {buyer} got an existing order back"
        order_id = order.id
        db.session.commit()
    except OutOfStock:
        db.session.rollback()
        return "out_of_stock", None
    return "ok", order_id


def only_these_warehouses_active(count: int) -> list[Warehouse]:
    """Earlier scenarios' warehouses stay committed: switch them off so the channel sees only ours."""
    db.session.execute(update(Warehouse).values(active=False))
    warehouses = [factories.WarehouseFactory(priority=i + 1) for i in range(count)]
    db.session.flush()
    return warehouses


def tally(results: list) -> tuple[list[int], int, list]:
    successes = [order_id for outcome, order_id in (r for r in results if isinstance(r, tuple)) if outcome == "ok"]
    sold_out = sum(1 for r in results if isinstance(r, tuple) and r[0] == "out_of_stock")
    errors = [r for r in results if not isinstance(r, tuple)]
    return successes, sold_out, errors


def held_by_order(order_ids: list[int]) -> dict[int, list[tuple[int, int, int, str]]]:
    """Each order's reservations as (warehouse id, sku id, quantity, status)."""
    rows = db.session.execute(select(Reservation.order_id, Reservation.warehouse_id, Reservation.sku_id,
                                     Reservation.quantity, Reservation.status)
                              .where(Reservation.order_id.in_(order_ids)))
    held = defaultdict(list)
    for order_id, *rest in rows:
        held[order_id].append(tuple(rest))
    return held


def test_200_buyers_of_one_unit_each_get_exactly_the_50_units_in_stock(buyers):
    with buyers.app.app_context():
        (warehouse,) = only_these_warehouses_active(1)
        sku = factories.SkuFactory()
        channel = factories.ChannelFactory()  # no default warehouse: every active one is a candidate
        db.session.flush()
        inventory.receive(warehouse, [(sku, 50)], RECEIPT)
        db.session.commit()
        channel_id, sku_id, code, warehouse_id = channel.id, sku.id, sku.code, warehouse.id

    results = buyers.run(BUYERS, lambda i: buy(channel_id, i, [(code, 1)]))

    successes, sold_out, errors = tally(results)
    assert errors == [], f"{len(errors)} buyers failed otherwise: {errors[:5]} ({buyers.notes})"
    assert (len(successes), sold_out) == (50, 150)
    with buyers.app.app_context():
        level = db.session.scalar(select(StockLevel).where(StockLevel.sku_id == sku_id))
        assert (level.warehouse_id, level.on_hand, level.reserved, level.locked) == (warehouse_id, 50, 50, 0)
        # Every acknowledged order holds exactly its one unit, and the refused buyers left no order behind.
        held = held_by_order(successes)
        assert dict(held) == {
            order_id: [(warehouse_id, sku_id, 1, ReservationStatus.RESERVED)] for order_id in successes}
        assert db.session.scalar(select(func.count()).select_from(Order).where(Order.channel_id == channel_id)) == 50
        assert stock_differences() == []


def test_bundles_sharing_a_component_with_demand_three_times_the_stock_never_oversell(buyers):
    rng = random.Random(20261125)  # fixed: a failure can be replayed with the same orders
    with buyers.app.app_context():
        w1, w2 = only_these_warehouses_active(2)
        a, b, c = (factories.SkuFactory(price_fen=1000) for _ in range(3))
        # Both bundles contain A, so plain A lines and both bundles compete for the same stock row.
        k1, k2 = factories.SkuFactory(price_fen=2500), factories.SkuFactory(price_fen=1800)
        factories.BundleComponentFactory(bundle=k1, component=a, quantity=1)
        factories.BundleComponentFactory(bundle=k1, component=b, quantity=2)
        factories.BundleComponentFactory(bundle=k2, component=a, quantity=1)
        factories.BundleComponentFactory(bundle=k2, component=c, quantity=1)
        channel = factories.ChannelFactory()
        db.session.flush()
        stock = {(w1.id, a.id): 20, (w1.id, b.id): 30, (w1.id, c.id): 12,
                 (w2.id, a.id): 15, (w2.id, b.id): 20, (w2.id, c.id): 10}
        by_id = {sku.id: sku for sku in (a, b, c)}
        for warehouse in (w1, w2):
            inventory.receive(warehouse, [(by_id[s], q) for (w, s), q in stock.items() if w == warehouse.id], RECEIPT)
        db.session.commit()
        units_of = {k1.code: {a.id: 1, b.id: 2}, k2.code: {a.id: 1, c.id: 1},
                    a.code: {a.id: 1}, b.code: {b.id: 1}, c.code: {c.id: 1}}
        channel_id, sku_ids, warehouse_ids = channel.id, sorted(by_id), (w1.id, w2.id)
        products = [k1.code, k2.code, a.code]

    baskets = []
    for _ in range(BUYERS):
        chosen = rng.sample(products, k=rng.choice((1, 1, 2)))
        baskets.append([(code, rng.randint(1, 3)) for code in chosen])
    demand = Counter()
    for basket in baskets:
        for code, quantity in basket:
            for sku_id, per_unit in units_of[code].items():
                demand[sku_id] += per_unit * quantity
    total_stock = Counter()
    for (_, sku_id), quantity in stock.items():
        total_stock[sku_id] += quantity
    assert all(demand[s] >= 3 * total_stock[s] for s in sku_ids), (demand, total_stock)

    results = buyers.run(BUYERS, lambda i: buy(channel_id, i, baskets[i]))

    successes, sold_out, errors = tally(results)
    assert errors == [], f"{len(errors)} buyers failed otherwise: {errors[:5]} ({buyers.notes})"
    assert successes and sold_out, (len(successes), sold_out)
    with buyers.app.app_context():
        levels = {(level.warehouse_id, level.sku_id): level for level in db.session.scalars(
            select(StockLevel).where(StockLevel.sku_id.in_(sku_ids)))}
        for key, on_hand in stock.items():
            level = levels[key]
            assert (level.on_hand, level.locked) == (on_hand, 0), key
            assert 0 <= level.reserved <= on_hand, (key, level.reserved, on_hand)
        # Each acknowledged order holds exactly what its basket needs (in one warehouse, or — when none
        # can fill it as the stock runs out — split between the two), and together the orders hold
        # exactly what the levels say is reserved.
        held = held_by_order(successes)
        reserved_by_orders = Counter()
        expected_by_id = {}
        for index, result in enumerate(results):
            if result[0] == "ok":
                expected = Counter()
                for code, quantity in baskets[index]:
                    for sku_id, per_unit in units_of[code].items():
                        expected[sku_id] += per_unit * quantity
                expected_by_id[result[1]] = expected
        for order_id, expected in expected_by_id.items():
            rows = held[order_id]
            assert len(rows) == len({(warehouse_id, sku_id) for warehouse_id, sku_id, *_ in rows}), rows
            units = Counter()
            for _, sku_id, quantity, _ in rows:
                units[sku_id] += quantity
            assert units == expected, (order_id, rows)
            assert all(quantity > 0 for _, _, quantity, _ in rows), rows
            assert {status for *_, status in rows} == {ReservationStatus.RESERVED}
            for warehouse_id, sku_id, quantity, _ in rows:
                assert warehouse_id in warehouse_ids
                reserved_by_orders[(warehouse_id, sku_id)] += quantity
        assert {key: levels[key].reserved for key in stock} == {key: reserved_by_orders[key] for key in stock}
        assert db.session.scalar(select(func.count()).select_from(Order)
                                 .where(Order.channel_id == channel_id)) == len(successes)
        assert stock_differences() == []


@pytest.fixture(autouse=True)
def _report_connection_cap(buyers, record_property):
    for note in buyers.notes:
        record_property("connections", note)
