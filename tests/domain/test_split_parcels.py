"""A split order ships as its planned parcels, one per warehouse, each on its own with its own waybill:
each takes only its warehouse's stock off the shelf, the order stays 打包中 until the last is out and is
then 已出库, and every waybill is a shipment. The domain conftest checks the stock books after each test."""

import pytest

from app.domain.errors import Conflict, ValidationError
from app.domain.logistics import shipments
from app.domain.logistics.models import Shipment
from app.domain.orders import refunds
from app.domain.orders import services as orders
from app.domain.orders.models import OrderEvent
from app.domain.orders.refunds import RefundLine
from app.domain.orders.states import OrderStatus
from app.domain.routing import cards
from app.domain.routing import services as routing
from app.domain.workbench import edits, printing
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


# --- one SKU's units divided between warehouses ------------------------------------------------------


def shipped_lines(order) -> dict[int, dict[int, int]]:
    """warehouse id → {order line id: units} over the order's shipments."""
    return {shipment.warehouse_id: {line.order_line_id: line.quantity for line in shipment.lines}
            for shipment in db.session.query(Shipment).filter_by(order_id=order.id)}


def test_one_sku_no_warehouse_has_enough_of_is_held_and_shipped_as_two_parcels(routed_world):
    """A × 5 (500 g each): W1 (Shanghai) has 3, W2 (Guangdong) has 2, nobody has 5. Reserved 3 + 2 at
    creation; routing plans W1 3 units (1.5 kg: ¥8 + ¥2) and W2 2 units (1 kg: ¥5); each parcel ships
    its own units and the order is 已出库 when both are out."""
    w = routed_world
    receive(w.w1, w.a, 3)
    receive(w.w2, w.a, 2)
    order = pay(place(w.channel, line(w.a, 5)))
    assert held(order) == {(w.w1.id, w.a.id, "locked"): 3, (w.w2.id, w.a.id, "locked"): 2}

    decision = routing.route_order(order, ACTOR)

    assert decision.outcome == "split"
    assert sorted((p["site"], list(p["sku_ids"]), list(p["quantities"]), p["cost_fen"]) for p in decision.plan["parcels"]) == [
        (w.w1.code, [w.a.id], [3], 1000), (w.w2.code, [w.a.id], [2], 500)]
    assert held(order) == {(w.w1.id, w.a.id, "locked"): 3, (w.w2.id, w.a.id, "locked"): 2}
    a_line = order.lines[0]
    parcels = shipments.planned_parcels(order)
    assert {p.warehouse.code: (p.lines, p.estimated_cost_fen) for p in parcels} == {
        w.w1.code: ({a_line.id: 3}, 1000), w.w2.code: ({a_line.id: 2}, 500)}
    assert shipments.is_split(order)

    orders.approve(order, ACTOR)
    orders.pack(order, ACTOR)
    edits.ship_parcel(order, w.w2, w.carrier, "SF2000000021", ACTOR)
    assert order.status == OrderStatus.PACKING
    assert stock(w.w2, w.a)["on_hand"] == 0 and stock(w.w1, w.a)["locked"] == 3
    shipments.ship_planned_parcel(order, w.w1, w.carrier, "SF2000000022", ACTOR)

    assert order.status == OrderStatus.SHIPPED_OUT
    assert held(order) == {(w.w1.id, w.a.id, "shipped"): 3, (w.w2.id, w.a.id, "shipped"): 2}
    assert shipped_lines(order) == {w.w1.id: {a_line.id: 3}, w.w2.id: {a_line.id: 2}}
    assert stock(w.w1, w.a) == {"on_hand": 0, "reserved": 0, "locked": 0, "damaged": 0, "safety": 0}


def test_routing_divides_a_sku_only_when_no_whole_sku_split_ships(routed_world):
    """A × 2 and C × 2: W1 holds A 2 and C 1, W2 holds C 2 — whole SKUs (A from W1, C from W2)."""
    w = routed_world
    receive(w.w1, w.a, 2)
    receive(w.w1, w.c, 1)
    receive(w.w2, w.c, 2)
    order = pay(place(w.channel, line(w.a, 2), line(w.c, 2)))
    assert routing.route_order(order, ACTOR).outcome == "split"
    assert held(order) == {(w.w1.id, w.a.id, "locked"): 2, (w.w2.id, w.c.id, "locked"): 2}


def test_routing_gathers_a_divided_order_where_one_warehouse_can_now_take_it_all(routed_world):
    w = routed_world
    receive(w.w1, w.a, 3)
    receive(w.w2, w.a, 2)
    order = pay(place(w.channel, line(w.a, 5)))
    receive(w.w2, w.a, 3)  # W2: 2 held by the order + 3 sellable: all 5 at ¥5 + ¥4 beats W1

    decision = routing.route_order(order, ACTOR)

    assert decision.outcome == "routed"
    assert held(order) == {(w.w2.id, w.a.id, "locked"): 5}
    assert order.warehouse_id == w.w2.id and not shipments.is_split(order)
    assert stock(w.w1, w.a) == {"on_hand": 3, "reserved": 0, "locked": 0, "damaged": 0, "safety": 0}
    orders.approve(order, ACTOR)
    orders.pack(order, ACTOR)
    shipments.ship_order(order, w.carrier, "SF2000000031", ACTOR)
    assert shipped_lines(order) == {w.w2.id: {order.lines[0].id: 5}}


def test_routing_moves_units_of_a_sku_between_warehouses_in_one_step(routed_world):
    """Reserved whole in W1 at creation (A × 4); by routing time W1 is not served, W2 has 2 and W3 2:
    the order's 4 units move to W2 + W3 (the stock W1 gave back is sellable again)."""
    w = routed_world
    w3 = factories.WarehouseFactory(priority=3, province="广东省", city="广州市", latitude=23.1, longitude=113.3)
    receive(w.w1, w.a, 4)
    order = pay(place(w.channel, line(w.a, 4)))
    receive(w.w2, w.a, 2)
    receive(w3, w.a, 2)
    w.w1.unserved_provinces = ["上海市"]

    assert routing.route_order(order, ACTOR).outcome == "split"

    assert held(order) == {(w.w2.id, w.a.id, "locked"): 2, (w3.id, w.a.id, "locked"): 2}
    assert stock(w.w1, w.a)["locked"] == 0 and stock(w.w2, w.a)["locked"] == 2 and stock(w3, w.a)["locked"] == 2
    moved = db.session.query(OrderEvent).filter_by(order_id=order.id, action="move_warehouse").one()
    assert [p["warehouse"] for p in moved.details["parcels"]] == [w.w2.code, w3.code]


# --- parcels net of partial refunds ------------------------------------------------------------------


def test_a_line_refunded_in_part_before_shipping_is_packed_for_what_is_left(routed_world, split_order):
    """The split order: A × 1 from W2, C × 2 from W3. One C is refunded while packing: W3's parcel carries
    one C, ships one off the shelf, and the order is 已出库 when both parcels are out."""
    w = routed_world
    order, w3 = split_order
    c_line = next(line for line in order.lines if line.sku_id == w.c.id)
    a_line = next(line for line in order.lines if line.sku_id == w.a.id)

    refunds.refund(order, 1000, [RefundLine(w.c.code, 1)], False, "缺货少发一件", ACTOR)

    assert order.status == OrderStatus.PACKING
    assert {p.warehouse.code: p.lines for p in shipments.planned_parcels(order)} == {
        w.w2.code: {a_line.id: 1}, w3.code: {c_line.id: 1}}
    assert [(line.sku.code, line.quantity, line.warehouse) for line in printing.own_lines(order)] == [
        (w.a.code, 1, w.w2.name), (w.c.code, 1, w3.name)]
    shipments.ship_planned_parcel(order, w3, w.carrier, "SF2000000041", ACTOR)
    shipments.ship_planned_parcel(order, w.w2, w.carrier, "SF2000000042", ACTOR)

    assert order.status == OrderStatus.SHIPPED_OUT
    assert shipped_lines(order) == {w.w2.id: {a_line.id: 1}, w3.id: {c_line.id: 1}}
    assert stock(w3, w.c) == {"on_hand": 1, "reserved": 0, "locked": 0, "damaged": 0, "safety": 0}


def test_a_line_refunded_in_full_gets_no_parcel(routed_world, split_order):
    """Refunding the A line (W2's whole parcel) leaves one parcel, from W3, which becomes the order's
    warehouse; it ships as an ordinary order and is 已出库 once that parcel is out."""
    w = routed_world
    order, w3 = split_order
    c_line = next(line for line in order.lines if line.sku_id == w.c.id)

    refunds.refund(order, 1000, [RefundLine(w.a.code, 1)], False, "不要了", ACTOR)

    assert not shipments.is_split(order) and order.warehouse_id == w3.id
    assert [(p.warehouse.code, p.lines) for p in shipments.planned_parcels(order)] == [(w3.code, {c_line.id: 2})]
    shipments.refuse_split(order)
    shipments.ship_order(order, w.carrier, "SF2000000051", ACTOR)

    assert order.status == OrderStatus.SHIPPED_OUT
    assert shipped_lines(order) == {w3.id: {c_line.id: 2}}
    assert stock(w.w2, w.a) == {"on_hand": 1, "reserved": 0, "locked": 0, "damaged": 0, "safety": 0}


def test_an_order_in_one_warehouse_ships_and_picks_its_lines_net_of_refunds(routed_world):
    w = routed_world
    receive(w.w1, w.a, 5)
    receive(w.w1, w.c, 5)
    order = pay(place(w.channel, line(w.a, 3), line(w.c, 1)))
    refunds.refund(order, 1000, [RefundLine(w.a.code, 1)], False, "少要一件", ACTOR)
    refunds.refund(order, 1000, [RefundLine(w.c.code, 1)], False, "不要了", ACTOR)
    a_line = next(line for line in order.lines if line.sku_id == w.a.id)
    orders.approve(order, ACTOR)
    orders.pack(order, ACTOR)

    assert [(line.sku.code, line.quantity) for line in printing.parcel_lines(order)] == [(w.a.code, 2)]
    shipments.ship_order(order, w.carrier, "SF2000000061", ACTOR)

    assert shipped_lines(order) == {w.w1.id: {a_line.id: 2}}
    assert stock(w.w1, w.a)["on_hand"] == 3 and stock(w.w1, w.c)["on_hand"] == 5


def test_routing_plans_a_partly_refunded_order_for_what_is_left(routed_world):
    """A × 5 held 3 in W1 + 2 in W2; 2 refunded (W2's smaller holding goes back): the plan routes 3 units
    (W2 has only 2 sellable, so W1 alone), one parcel."""
    w = routed_world
    receive(w.w1, w.a, 3)
    receive(w.w2, w.a, 2)
    order = pay(place(w.channel, line(w.a, 5)))
    refunds.refund(order, 2000, [RefundLine(w.a.code, 2)], False, "少要两件", ACTOR)
    assert held(order) == {(w.w1.id, w.a.id, "locked"): 3, (w.w2.id, w.a.id, "released"): 0}

    decision = routing.route_order(order, ACTOR)

    assert decision.outcome == "routed"
    assert [(p["site"], list(p["quantities"])) for p in decision.plan["parcels"]] == [(w.w1.code, [3])]
    assert [p.lines for p in shipments.planned_parcels(order)] == [{order.lines[0].id: 3}]


def test_shipping_in_two_parcels_by_hand_divides_only_what_was_not_refunded(routed_world):
    w = routed_world
    receive(w.w1, w.a, 5)
    receive(w.w1, w.c, 5)
    order = pay(place(w.channel, line(w.a, 3), line(w.c, 1)))
    refunds.refund(order, 1000, [RefundLine(w.a.code, 1)], False, "少要一件", ACTOR)
    refunds.refund(order, 1000, [RefundLine(w.c.code, 1)], False, "不要了", ACTOR)
    a_line = next(line for line in order.lines if line.sku_id == w.a.id)
    c_line = next(line for line in order.lines if line.sku_id == w.c.id)
    orders.approve(order, ACTOR)
    orders.pack(order, ACTOR)
    with pytest.raises(ValidationError):  # the refunded C is in no parcel
        edits.ship_in_two(order, (w.carrier, "SF2000000071"), (w.carrier, "SF2000000072"), {c_line.id: 1}, ACTOR)
    with pytest.raises(ValidationError):  # 2 A left: a second parcel of 2 leaves the first empty
        edits.ship_in_two(order, (w.carrier, "SF2000000071"), (w.carrier, "SF2000000072"), {a_line.id: 2}, ACTOR)

    edits.ship_in_two(order, (w.carrier, "SF2000000071"), (w.carrier, "SF2000000072"), {a_line.id: 1}, ACTOR)

    assert order.status == OrderStatus.SHIPPED_OUT
    assert sorted(line.quantity for s in db.session.query(Shipment).filter_by(order_id=order.id)
                  for line in s.lines) == [1, 1]
    assert stock(w.w1, w.a)["on_hand"] == 3 and stock(w.w1, w.c)["on_hand"] == 5


def test_units_cannot_move_into_a_warehouse_whose_parcel_has_left(routed_world):
    w = routed_world
    receive(w.w1, w.a, 3)
    receive(w.w2, w.a, 2)
    order = pay(place(w.channel, line(w.a, 5)))
    routing.route_order(order, ACTOR)
    orders.approve(order, ACTOR)
    orders.pack(order, ACTOR)
    shipments.ship_planned_parcel(order, w.w2, w.carrier, "SF2000000081", ACTOR)
    receive(w.w2, w.a, 3)

    with pytest.raises(Conflict):
        orders.move_to_warehouse(order, w.w2, "改从华南仓发", ACTOR)

    assert held(order) == {(w.w1.id, w.a.id, "locked"): 3, (w.w2.id, w.a.id, "shipped"): 2}
    assert stock(w.w2, w.a)["locked"] == 0 and stock(w.w1, w.a)["locked"] == 3
