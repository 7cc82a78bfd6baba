"""A split order ships as its planned parcels, one per warehouse, each on its own with its own waybill:
each takes only its warehouse's stock off the shelf, the order stays 打包中 until the last is out and is
then 已出库, and every waybill is a shipment. The domain conftest checks the stock books after each test."""

import pytest

from app.domain.errors import Conflict, ValidationError
from app.domain.logistics import shipments
from app.domain.logistics.models import Shipment
from app.domain.orders import services as orders
from app.domain.orders.models import OrderEvent
from app.domain.orders.states import OrderStatus
from app.domain.routing import cards
from app.domain.routing import services as routing
from app.domain.workbench import edits
from app.extensions import db
from tests import factories
from tests.domain.stock_world import held, line, pay, place, receive, stock
from tests.domain.test_routing_services import ACTOR, card


@pytest.fixture
def routed_world(world):
    """W1 in Shanghai, W2 in Guangdong (cheaper to Shanghai), rate cards for both."""
    world.w2.province, world.w2.city, world.w2.latitude, world.w2.longitude = "广东省", "广州市", 23.13, 113.26
    cards.save_rows([card(world.carrier, "上海市", 800), card(world.carrier, "广东省", 500, days=3)])
    return world


@pytest.fixture
def split_order(routed_world):
    """A × 1 can only come from W2 and C × 2 only from W3: routing splits it into two parcels."""
    w = routed_world
    w3 = factories.WarehouseFactory(priority=3, province="广东省", city="广州市", latitude=23.1, longitude=113.3)
    receive(w.w1, w.a, 1)
    receive(w.w1, w.c, 2)
    receive(w.w2, w.a, 1)
    receive(w3, w.c, 2)
    order = pay(place(w.channel, line(w.a), line(w.c, 2)))
    w.w1.unserved_provinces = ["上海市"]
    assert routing.route_order(order, ACTOR).outcome == "split"
    orders.approve(order, ACTOR)
    orders.pack(order, ACTOR)
    return order, w3


def test_the_plan_names_each_parcel_with_its_lines_carrier_and_estimate(routed_world, split_order):
    order, w3 = split_order
    parcels = shipments.planned_parcels(order)
    a_line, c_line = sorted(order.lines, key=lambda line: line.quantity)

    assert shipments.is_split(order)
    assert [(p.warehouse.code, p.lines, p.carrier.code, p.shipped) for p in parcels] == [
        (routed_world.w2.code, {a_line.id: 1}, routed_world.carrier.code, False),
        (w3.code, {c_line.id: 2}, routed_world.carrier.code, False)]
    assert all(parcel.estimated_cost_fen == 500 for parcel in parcels)
    assert edits.allowed(order, edits.SHIP_PARCEL) and not edits.allowed(order, edits.SPLIT_SHIP)


def test_each_parcel_ships_on_its_own_and_the_last_one_ships_the_order(routed_world, split_order):
    w = routed_world
    order, w3 = split_order

    edits.ship_parcel(order, w3, w.carrier, "SF2000000001", ACTOR)

    assert order.status == OrderStatus.PACKING and order.shipped_at is None
    assert held(order) == {(w.w2.id, w.a.id, "locked"): 1, (w3.id, w.c.id, "shipped"): 2}
    assert stock(w3, w.c)["on_hand"] == 0 and stock(w.w2, w.a)["on_hand"] == 1
    assert [p.shipped for p in shipments.planned_parcels(order)] == [False, True]

    shipments.ship_planned_parcel(order, w.w2, w.carrier, "SF2000000002", ACTOR)

    assert order.status == OrderStatus.SHIPPED_OUT and order.shipped_at is not None
    assert order.waybill_no == "SF2000000002"  # the order's own warehouse's parcel
    assert held(order) == {(w.w2.id, w.a.id, "shipped"): 1, (w3.id, w.c.id, "shipped"): 2}
    parcels = {p.warehouse_id: (p.waybill_no, {line.quantity for line in p.lines}, p.estimated_cost_fen)
               for p in db.session.query(Shipment).filter_by(order_id=order.id)}
    assert parcels == {w3.id: ("SF2000000001", {2}, 500), w.w2.id: ("SF2000000002", {1}, 500)}
    progress = [e.details["parcels_out"] for e in db.session.query(OrderEvent).filter_by(
        order_id=order.id, action=shipments.SHIP_PARCEL_EVENT).order_by(OrderEvent.id)]
    assert progress == [1, 2]
    assert not shipments.is_split(order)


def test_a_parcel_ships_once_with_a_waybill_of_its_own(routed_world, split_order):
    w = routed_world
    order, w3 = split_order
    shipments.ship_planned_parcel(order, w3, w.carrier, "SF2000000001", ACTOR)

    with pytest.raises(Conflict):
        shipments.ship_planned_parcel(order, w3, w.carrier, "SF2000000003", ACTOR)
    with pytest.raises(ValidationError) as same_waybill:
        shipments.ship_planned_parcel(order, w.w2, w.carrier, "SF2000000001", ACTOR)
    assert "waybill_no" in same_waybill.value.fields
    with pytest.raises(ValidationError) as elsewhere:
        shipments.ship_planned_parcel(order, w.w1, w.carrier, "SF2000000004", ACTOR)
    assert "warehouse" in elsewhere.value.fields
    assert order.status == OrderStatus.PACKING and stock(w.w2, w.a)["locked"] == 1


def test_a_parcel_ships_only_while_packing(routed_world, split_order):
    w = routed_world
    order, w3 = split_order
    orders.mark_exception(order, "客户来电", ACTOR)
    with pytest.raises(Conflict):
        shipments.ship_planned_parcel(order, w3, w.carrier, "SF2000000001", ACTOR)
    assert stock(w3, w.c)["locked"] == 2


def test_an_order_in_one_warehouse_is_one_parcel(routed_world):
    w = routed_world
    receive(w.w2, w.a, 1)
    order = pay(place(w.channel, line(w.a)))
    routing.route_order(order, ACTOR)
    assert not shipments.is_split(order)
    assert [p.warehouse.code for p in shipments.planned_parcels(order)] == [w.w2.code]


def test_scan_to_ship_and_batches_refuse_a_split_order(routed_world, split_order):
    order, w3 = split_order
    with pytest.raises(Conflict):
        shipments.refuse_split(order)
    shipments.ship_planned_parcel(order, w3, routed_world.carrier, "SF2000000001", ACTOR)
    with pytest.raises(Conflict):  # half shipped: still parcel by parcel
        shipments.refuse_split(order)
    shipments.ship_planned_parcel(order, routed_world.w2, routed_world.carrier, "SF2000000002", ACTOR)
    shipments.refuse_split(order)  # shipped: nothing left to refuse


def test_a_platform_reporting_a_half_shipped_split_order_shipped_adds_only_what_was_left(routed_world, split_order):
    w = routed_world
    order, w3 = split_order
    shipments.ship_planned_parcel(order, w3, w.carrier, "SF2000000001", ACTOR)

    shipments.ship_order(order, w.carrier, "SF2000000002", "channel:taobao")

    assert order.status == OrderStatus.SHIPPED_OUT
    a_line = next(line for line in order.lines if line.quantity == 1)
    last = db.session.query(Shipment).filter_by(order_id=order.id, waybill_no="SF2000000002").one()
    assert {line.order_line_id: line.quantity for line in last.lines} == {a_line.id: 1}
    assert held(order) == {(w.w2.id, w.a.id, "shipped"): 1, (w3.id, w.c.id, "shipped"): 2}


def test_an_order_no_single_warehouse_can_fill_is_taken_and_routed_as_parcels(routed_world):
    """A only in W1, C only in W2: the order is placed (each SKU held whole where it is) and routing
    ships it as two parcels instead of the order being refused."""
    w = routed_world
    receive(w.w1, w.a, 1)
    receive(w.w2, w.c, 2)
    order = pay(place(w.channel, line(w.a), line(w.c, 2)))

    assert routing.route_order(order, ACTOR).outcome == "split"
    assert {p.warehouse.code for p in shipments.planned_parcels(order)} == {w.w1.code, w.w2.code}
    orders.approve(order, ACTOR)
    orders.pack(order, ACTOR)
    shipments.ship_planned_parcel(order, w.w1, w.carrier, "SF2000000011", ACTOR)
    shipments.ship_planned_parcel(order, w.w2, w.carrier, "SF2000000012", ACTOR)
    assert order.status == OrderStatus.SHIPPED_OUT
    assert held(order) == {(w.w1.id, w.a.id, "shipped"): 1, (w.w2.id, w.c.id, "shipped"): 2}
