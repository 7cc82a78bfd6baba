"""Routing paid orders against the database: allocate, split, park, manual assign, once only.

The domain conftest checks the stock books after every test, so each re-route here also proves that
stock moved atomically and the books stayed consistent."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.domain.errors import Conflict
from app.domain.logistics import shipments
from app.domain.logistics.models import Shipment
from app.domain.orders import services as orders
from app.domain.orders.models import OrderEvent
from app.domain.orders.states import OrderStatus
from app.domain.routing import cards, engine, services
from app.domain.routing.models import RoutingDecision
from app.extensions import db
from tests import factories
from tests.domain.stock_world import held, line, pay, place, receive, stock

ACTOR = "user:tester"


def card(carrier, origin, first_fen, days=2, served=True, destination="上海市"):
    return {"carrier": carrier.code, "origin_province": origin, "destination_province": destination,
            "first_weight_g": 1000, "first_fen": first_fen, "extra_fen_per_kg": 200, "step_g": 1000,
            "volumetric_divisor": 6000, "surcharge_fen": 0, "transit_days": days, "served": served}


@pytest.fixture
def routed_world(world):
    """W1 in Shanghai ships first when orders are placed; W2 in Guangdong is cheaper to Shanghai."""
    world.w2.province, world.w2.city, world.w2.latitude, world.w2.longitude = "广东省", "广州市", 23.13, 113.26
    cards.save_rows([card(world.carrier, "上海市", 800), card(world.carrier, "广东省", 500, days=3)])
    return world


def decisions(order):
    return list(db.session.scalars(select(RoutingDecision).where(RoutingDecision.order_id == order.id)
                                   .order_by(RoutingDecision.round)))


def test_a_paid_order_moves_to_the_cheapest_warehouse_with_its_carrier(routed_world):
    w = routed_world
    receive(w.w1, w.a, 5)
    receive(w.w2, w.a, 5)
    order = pay(place(w.channel, line(w.a, 2)))
    assert order.warehouse_id == w.w1.id

    decision = services.route_order(order, ACTOR)

    assert decision.outcome == "routed"
    assert (order.warehouse_id, order.carrier_id) == (w.w2.id, w.carrier.id)
    assert held(order) == {(w.w2.id, w.a.id, "locked"): 2}
    assert stock(w.w1, w.a)["locked"] == 0 and stock(w.w2, w.a)["locked"] == 2
    verdicts = {c["site"]: (c["verdict"], c.get("cost_fen")) for c in decision.plan["candidates"]}
    assert verdicts == {w.w1.code: (engine.LOST, 800), w.w2.code: (engine.WON, 500)}  # 2 × 500 g: 首重 only
    route_event = db.session.scalar(select(OrderEvent).where(OrderEvent.order_id == order.id,
                                                             OrderEvent.action == "route"))
    assert route_event.details["parcels"][0]["site"] == w.w2.code


def test_switching_the_strategy_changes_the_decision(routed_world):
    w = routed_world
    receive(w.w1, w.a, 5)
    receive(w.w2, w.a, 5)
    services.save_setting("nearest", {}, ACTOR)
    order = pay(place(w.channel, line(w.a)))
    assert services.route_order(order, ACTOR).plan["parcels"][0]["site"] == w.w1.code


def test_an_order_is_routed_once_unless_routed_again(routed_world):
    w = routed_world
    receive(w.w1, w.a, 5)
    order = pay(place(w.channel, line(w.a)))
    assert services.route_order(order, ACTOR) is not None
    assert services.route_order(order, ACTOR) is None
    assert services.route_order(order, ACTOR, again=True).round == 2
    assert [d.round for d in decisions(order)] == [1, 2]


def test_split_only_when_no_single_warehouse_can_ship(routed_world):
    w = routed_world
    w3 = factories.WarehouseFactory(priority=3, province="广东省", city="广州市", latitude=23.1, longitude=113.3)
    receive(w.w1, w.a, 1)
    receive(w.w1, w.c, 1)
    receive(w.w2, w.a, 1)
    receive(w3, w.c, 1)
    order = pay(place(w.channel, line(w.a), line(w.c)))
    w.w1.unserved_provinces = ["上海市"]  # W1 holds the order but no longer ships to Shanghai

    decision = services.route_order(order, ACTOR)

    assert decision.outcome == "split"
    assert held(order) == {(w.w2.id, w.a.id, "locked"): 1, (w3.id, w.c.id, "locked"): 1}
    assert order.warehouse_id == w.w2.id
    assert {c["site"]: c["verdict"] for c in decision.plan["candidates"]}[w.w1.code] == engine.UNSERVED


def test_an_order_nobody_can_ship_is_parked_with_reasons_and_its_stock_untouched(routed_world):
    w = routed_world
    receive(w.w1, w.a, 3)
    order = pay(place(w.channel, line(w.a, 3)))
    w.w1.unserved_provinces = ["上海市"]
    before = held(order)

    decision = services.route_order(order, ACTOR)

    assert (decision.outcome, decision.reasons) == ("parked", [engine.NO_STOCK, engine.UNSERVED])
    assert order.status == OrderStatus.EXCEPTION
    assert held(order) == before
    assert db.session.scalars(services.parked_decisions()).all() == [decision]


def test_an_address_that_cannot_be_placed_is_parked(routed_world):
    w = routed_world
    receive(w.w1, w.a, 1)
    order = pay(place(w.channel, line(w.a)))
    order.receiver_province = "火星"
    decision = services.route_order(order, ACTOR)
    assert (decision.outcome, decision.reasons) == ("parked", [services.UNPLACED])


def test_manual_assign_routes_a_parked_order_and_takes_it_off_the_queue(routed_world):
    w = routed_world
    receive(w.w1, w.a, 1)
    receive(w.w2, w.a, 1)
    order = pay(place(w.channel, line(w.a)))
    w.w1.unserved_provinces = ["上海市"]
    w.w2.daily_capacity = 0
    cards.save_rows([card(w.carrier, "广东省", 500, served=False)])
    assert services.route_order(order, ACTOR).outcome == "parked"

    services.manual_assign(order, w.w2, w.carrier, "客户同意广州发货", ACTOR)

    assert order.status == OrderStatus.PAID
    assert held(order) == {(w.w2.id, w.a.id, "locked"): 1}
    assert db.session.scalars(services.parked_decisions()).all() == []


def test_a_shipped_order_is_not_routed_or_assigned(routed_world):
    w = routed_world
    receive(w.w1, w.a, 1)
    order = pay(place(w.channel, line(w.a)))
    services.route_order(order, ACTOR)
    orders.approve(order, ACTOR)
    orders.pack(order, ACTOR)
    orders.ship_out(order, w.carrier, "ZT100", ACTOR)
    assert services.route_order(order, ACTOR, again=True) is None
    with pytest.raises(Conflict):
        services.manual_assign(order, w.w2, w.carrier, "改仓", ACTOR)


def test_a_channel_with_its_own_warehouse_keeps_it(routed_world):
    w = routed_world
    receive(w.w2, w.a, 1)
    order = pay(place(w.w2_channel, line(w.a)))
    assert services.route_order(order, ACTOR) is None
    assert decisions(order) == []


def test_the_parcel_shipped_carries_the_plans_estimated_cost_and_delivery(routed_world):
    w = routed_world
    receive(w.w2, w.a, 1)
    order = pay(place(w.channel, line(w.a)))
    decision = services.route_order(order, ACTOR)
    orders.approve(order, ACTOR)
    orders.pack(order, ACTOR)
    shipments.ship_order(order, w.carrier, "ZT200", ACTOR)
    parcel = db.session.scalar(select(Shipment).where(Shipment.order_id == order.id))
    assert parcel.warehouse_id == w.w2.id
    assert parcel.estimated_cost_fen == 500
    assert parcel.estimated_delivery_at == decision.decided_at + timedelta(hours=decision.plan["eta_hours"])


def test_without_rate_cards_routing_is_off_and_orders_keep_their_warehouse(world):
    receive(world.w1, world.a, 1)
    order = pay(place(world.channel, line(world.a)))
    assert services.route_order(order, ACTOR) is None
    assert (order.status, order.warehouse_id, decisions(order)) == (OrderStatus.PAID, world.w1.id, [])
