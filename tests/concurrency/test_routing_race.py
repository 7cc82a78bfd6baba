"""Two (here eight) routers on one paid order at the same moment: exactly one decides and moves stock.

Each router runs in its own thread, session and connection and commits, as eight workers would that
each got the order's routing job. On PostgreSQL they really interleave: the decision row's unique
(order, round) key is the guard — the first insert wins, the others wait for its commit and find the
key taken, so they neither record a decision nor move stock. On SQLite BEGIN IMMEDIATE serialises them.
"""

from collections import Counter

from sqlalchemy import func, select

from app.domain.inventory import services as inventory
from app.domain.inventory.ledger import Change
from app.domain.inventory.models import Reservation, StockMovement
from app.domain.orders import services as orders
from app.domain.orders.consistency import stock_differences
from app.domain.orders.inputs import LineInput, OrderInput, Receiver
from app.domain.orders.models import Order
from app.domain.routing import cards, services
from app.domain.routing.models import RoutingDecision
from app.extensions import db
from tests import factories
from tests.concurrency.test_hot_sku_buyers import only_these_warehouses_active

ROUTERS = 8


def route(order_id: int) -> str | None:
    order = db.session.get(Order, order_id)
    decision = services.route_order(order, "test:router")
    db.session.commit()
    return decision.outcome if decision is not None else None


def test_concurrent_routers_decide_one_order_once(buyers):
    with buyers.app.app_context():
        near, far = only_these_warehouses_active(2)
        far.province, far.latitude, far.longitude = "广东省", 23.13, 113.26
        sku = factories.SkuFactory()
        channel = factories.ChannelFactory()
        carrier = factories.CarrierFactory()
        db.session.flush()
        row = {"carrier": carrier.code, "destination_province": "上海市", "first_weight_g": 1000,
               "extra_fen_per_kg": 200, "step_g": 1000, "volumetric_divisor": 6000, "surcharge_fen": 0,
               "transit_days": 2, "served": True}
        # The far warehouse is cheaper: the decision moves the order's stock there.
        cards.save_rows([{**row, "origin_province": "上海市", "first_fen": 900},
                         {**row, "origin_province": "广东省", "first_fen": 500}])
        change = Change("test:stock", "分仓并发测试入库")
        inventory.receive(near, [(sku, 3)], change)
        inventory.receive(far, [(sku, 3)], change)
        receiver = Receiver(name="买家", phone="13800138000", province="上海市", city="上海市", address="世纪大道 1 号")
        data = OrderInput(receiver=receiver, lines=[LineInput(sku=sku.code, quantity=2)])
        order, _created = orders.create_order(channel, data, "test")
        orders.pay(order, order.payable_fen, "test")
        db.session.commit()
        order_id, far_id = order.id, far.id

    results = buyers.run(ROUTERS, lambda _i: route(order_id))

    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == [], f"routers failed: {errors[:3]} ({buyers.notes})"
    assert Counter(results) == {"routed": 1, None: ROUTERS - 1}
    with buyers.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RoutingDecision)
                                 .where(RoutingDecision.order_id == order_id)) == 1
        held_in = db.session.scalars(select(Reservation.warehouse_id).where(Reservation.order_id == order_id))
        assert list(held_in) == [far_id]
        moves = db.session.scalar(select(func.count()).select_from(StockMovement)
                                  .where(StockMovement.order_id == order_id, StockMovement.kind == "move_in"))
        assert moves == 1
        assert stock_differences() == []
