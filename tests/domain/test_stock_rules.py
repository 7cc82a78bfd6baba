"""Stock through an order's life (DESIGN §4 "Stock"): reserve at creation in one warehouse, lock at
payment, deduct at ship-out, release on cancel / timeout / refund before shipping, restock on return;
bundles, gifts and shared components; receipts, counts and moving reservations between warehouses.

Every test ends with the books check of conftest.py (levels = ledger = reservations).
"""

import pytest
from sqlalchemy import select

from app.domain.errors import Conflict, InvalidTransition, OutOfStock, ValidationError
from app.domain.inventory import ledger, safety
from app.domain.inventory import services as inventory
from app.domain.inventory.ledger import Change
from app.domain.inventory.models import MovementKind, Reservation, ReservationStatus, StockMovement
from app.domain.orders import refunds, services
from app.domain.orders.models import Order, OrderLine
from app.domain.orders.refunds import RefundLine
from app.domain.orders.states import OrderStatus
from app.extensions import db
from tests import factories
from tests.domain.stock_world import (
    ACTOR,
    RECEIPT,
    count,
    deliver,
    events,
    held,
    line,
    movement_kinds,
    order_input,
    pay,
    place,
    receive,
    ship,
    stock,
    table_counts,
)

RESERVED, LOCKED, RELEASED, SHIPPED = (ReservationStatus.RESERVED, ReservationStatus.LOCKED,
                                       ReservationStatus.RELEASED, ReservationStatus.SHIPPED)


def buckets(on_hand=0, reserved=0, locked=0, damaged=0, safety=0):
    return {"on_hand": on_hand, "reserved": reserved, "locked": locked, "damaged": damaged, "safety": safety}


# --- where an order reserves -------------------------------------------------------------------------


def test_an_order_reserves_in_the_first_priority_warehouse_when_it_can_fill_everything(world):
    for warehouse in (world.w1, world.w2):
        receive(warehouse, world.a, 5)
        receive(warehouse, world.b, 5)
    order = place(world.channel, line(world.a, 2), line(world.b, 1))
    assert order.warehouse_id == world.w1.id
    assert held(order) == {(world.w1.id, world.a.id, RESERVED): 2, (world.w1.id, world.b.id, RESERVED): 1}
    assert stock(world.w1, world.a) == buckets(on_hand=5, reserved=2)
    assert stock(world.w2, world.a) == buckets(on_hand=5)


def test_an_order_goes_to_the_next_warehouse_that_can_fill_all_of_it_never_split(world):
    receive(world.w1, world.a, 5)  # W1 has no B at all
    receive(world.w2, world.a, 5)
    receive(world.w2, world.b, 5)
    order = place(world.channel, line(world.a, 2), line(world.b, 1))
    assert order.warehouse_id == world.w2.id
    assert set(held(order)) == {(world.w2.id, world.a.id, RESERVED), (world.w2.id, world.b.id, RESERVED)}
    assert stock(world.w1, world.a) == buckets(on_hand=5)


def test_no_single_warehouse_can_fill_it_each_sku_is_reserved_whole_where_it_is(world):
    receive(world.w1, world.a, 5)
    receive(world.w2, world.b, 5)
    receive(world.w2, world.c, 5)

    order = place(world.channel, line(world.a, 1), line(world.b, 1), line(world.c, 2))

    assert order.warehouse_id == world.w2.id  # the warehouse holding most of it
    assert inventory.order_holdings(order.id) == {world.a.id: (world.w1.id, "reserved"),
                                                  world.b.id: (world.w2.id, "reserved"),
                                                  world.c.id: (world.w2.id, "reserved")}
    assert stock(world.w1, world.a) == buckets(on_hand=5, reserved=1)
    assert stock(world.w2, world.c) == buckets(on_hand=5, reserved=2)


def test_a_sku_no_warehouse_has_enough_of_is_divided_between_warehouses(world):
    # A × 5: W1 has 3, W2 has 3, nobody has 5; B × 1 only in W2. The fewest warehouses are W1 + W2: A is
    # filled in priority order (3 from W1, 2 from W2), B whole where it is.
    receive(world.w1, world.a, 3)
    receive(world.w2, world.a, 3)
    receive(world.w2, world.b, 5)

    order = place(world.channel, line(world.a, 5), line(world.b, 1))

    assert order.warehouse_id == world.w1.id  # 3 units each: the first in priority order
    assert held(order) == {(world.w1.id, world.a.id, RESERVED): 3, (world.w2.id, world.a.id, RESERVED): 2,
                           (world.w2.id, world.b.id, RESERVED): 1}
    assert stock(world.w1, world.a) == buckets(on_hand=3, reserved=3)
    assert stock(world.w2, world.a) == buckets(on_hand=3, reserved=2)
    assert movement_kinds(order) == [MovementKind.RESERVE] * 3

    pay(order)
    assert held(order) == {(world.w1.id, world.a.id, LOCKED): 3, (world.w2.id, world.a.id, LOCKED): 2,
                           (world.w2.id, world.b.id, LOCKED): 1}
    assert stock(world.w2, world.a) == buckets(on_hand=3, locked=2)


def test_one_sku_alone_is_divided_too_but_an_order_one_warehouse_fills_is_not(world):
    receive(world.w1, world.a, 3)
    receive(world.w2, world.a, 2)
    order = place(world.channel, line(world.a, 5))
    assert held(order) == {(world.w1.id, world.a.id, RESERVED): 3, (world.w2.id, world.a.id, RESERVED): 2}
    receive(world.w2, world.a, 4)  # W2: 4 sellable now
    assert held(place(world.channel, line(world.a, 4))) == {(world.w2.id, world.a.id, RESERVED): 4}


def test_whole_skus_are_preferred_to_a_divided_one(world):
    # A × 2, B × 2: W1 has A 2 and B 1, W2 has B 2. Each SKU whole (A from W1, B from W2), not B divided.
    receive(world.w1, world.a, 2)
    receive(world.w1, world.b, 1)
    receive(world.w2, world.b, 2)
    order = place(world.channel, line(world.a, 2), line(world.b, 2))
    assert held(order) == {(world.w1.id, world.a.id, RESERVED): 2, (world.w2.id, world.b.id, RESERVED): 2}


def test_a_bundle_divided_between_warehouses_reserves_its_components_where_they_are(world):
    # K = A + 2 B; K × 2 needs A 2 and B 4. W1: A 2, B 2; W2: B 2.
    receive(world.w1, world.a, 2)
    receive(world.w1, world.b, 2)
    receive(world.w2, world.b, 2)
    order = place(world.channel, line(world.k, 2))
    assert held(order) == {(world.w1.id, world.a.id, RESERVED): 2, (world.w1.id, world.b.id, RESERVED): 2,
                           (world.w2.id, world.b.id, RESERVED): 2}
    assert order.warehouse_id == world.w1.id


def test_an_order_the_warehouses_together_cannot_fill_is_out_of_stock_and_nothing_is_written(world):
    receive(world.w1, world.a, 3)
    receive(world.w2, world.a, 1)
    receive(world.w2, world.b, 5)
    before = table_counts()
    with pytest.raises(OutOfStock) as short:
        place(world.channel, line(world.a, 5), line(world.b, 1))
    assert short.value.message == "库存不足"
    assert short.value.details["lines"] == [{"sku": world.a.code, "requested": 5, "available": 4}]
    assert count(Order) == 0 and table_counts() == before
    assert stock(world.w2, world.b) == buckets(on_hand=5)
    assert stock(world.w1, world.a) == buckets(on_hand=3)


def test_a_divided_order_moves_whole_to_a_warehouse_that_can_take_it_or_not_at_all(world):
    receive(world.w1, world.a, 3)
    receive(world.w2, world.a, 2)
    order = pay(place(world.channel, line(world.a, 5)))
    with pytest.raises(OutOfStock):
        inventory.move_reservations(order.id, world.w2.id, Change(ACTOR, "改仓", order.id))  # W2 has 0 more
    assert held(order) == {(world.w1.id, world.a.id, LOCKED): 3, (world.w2.id, world.a.id, LOCKED): 2}

    receive(world.w2, world.a, 3)
    inventory.move_reservations(order.id, world.w2.id, Change(ACTOR, "改仓", order.id))

    assert held(order) == {(world.w2.id, world.a.id, LOCKED): 5}
    assert stock(world.w1, world.a) == buckets(on_hand=3)
    assert stock(world.w2, world.a) == buckets(on_hand=5, locked=5)
    assert movement_kinds(order)[-2:] == [MovementKind.MOVE_IN, MovementKind.MOVE_OUT]
    ship(order, world)
    assert stock(world.w2, world.a) == buckets(on_hand=0)


def test_place_reservations_rearranges_a_divided_sku_in_one_step(world):
    receive(world.w1, world.a, 5)
    receive(world.w2, world.a, 3)
    order = pay(place(world.channel, line(world.a, 4)))
    assert held(order) == {(world.w1.id, world.a.id, LOCKED): 4}
    change = Change(ACTOR, "分仓", order.id)
    with pytest.raises(ValidationError):  # 3 placed for 4 held
        inventory.place_reservations(order.id, {world.w1.id: {world.a.id: 1}, world.w2.id: {world.a.id: 2}}, change)

    inventory.place_reservations(order.id, {world.w1.id: {world.a.id: 1}, world.w2.id: {world.a.id: 3}}, change)

    assert held(order) == {(world.w1.id, world.a.id, LOCKED): 1, (world.w2.id, world.a.id, LOCKED): 3}
    assert stock(world.w1, world.a) == buckets(on_hand=5, locked=1)
    assert stock(world.w2, world.a) == buckets(on_hand=3, locked=3)
    with pytest.raises(OutOfStock):  # W2 has nothing more to give
        inventory.place_reservations(order.id, {world.w2.id: {world.a.id: 4}}, change)
    assert held(order) == {(world.w1.id, world.a.id, LOCKED): 1, (world.w2.id, world.a.id, LOCKED): 3}
    assert stock(world.w1, world.a) == buckets(on_hand=5, locked=1)


def test_a_partial_refund_of_a_divided_sku_gives_back_its_smallest_holding_first(world):
    receive(world.w1, world.a, 3)
    receive(world.w2, world.a, 2)
    order = pay(place(world.channel, line(world.a, 5)))
    refunds.refund(order, 2000, [RefundLine(world.a.code, 2)], False, "少要两件", ACTOR)
    assert held(order) == {(world.w1.id, world.a.id, LOCKED): 3, (world.w2.id, world.a.id, RELEASED): 0}
    assert stock(world.w2, world.a) == buckets(on_hand=2)
    refunds.refund(order, 1000, [RefundLine(world.a.code, 1)], False, "再少一件", ACTOR)
    assert held(order) == {(world.w1.id, world.a.id, LOCKED): 2, (world.w2.id, world.a.id, RELEASED): 0}


def test_a_channel_with_a_default_warehouse_sells_only_from_it(world):
    receive(world.w1, world.a, 5)
    receive(world.w2, world.a, 1)
    assert place(world.w2_channel, line(world.a, 1)).warehouse_id == world.w2.id
    with pytest.raises(OutOfStock):
        place(world.w2_channel, line(world.a, 1))  # W1 still has 5, but this shop sells from W2
    assert stock(world.w1, world.a) == buckets(on_hand=5)


def test_safety_stock_is_not_sold(world):
    receive(world.w1, world.a, 10)
    safety.override(safety.figure_for(world.w1.id, world.a.id), 3, None, "大促保底", ACTOR)
    with pytest.raises(OutOfStock) as short:
        place(world.channel, line(world.a, 8))
    assert short.value.details["lines"] == [{"sku": world.a.code, "requested": 8, "available": 7}]
    place(world.channel, line(world.a, 7))
    assert stock(world.w1, world.a) == buckets(on_hand=10, reserved=7, safety=3)


def test_the_guarded_update_itself_never_passes_what_is_sellable(world):
    # The plain read in reserve_order only skips hopeless warehouses; under concurrency the guard in
    # the UPDATE is what decides, so it is checked on its own: on hand 10, reserved 2, locked 1, safety 3.
    receive(world.w1, world.a, 10)
    pay(place(world.channel, line(world.a, 1)))
    place(world.channel, line(world.a, 2))
    safety.override(safety.figure_for(world.w1.id, world.a.id), 3, None, "保底", ACTOR)
    change = Change(ACTOR, "直接预占")
    guarded = {"guard": ledger.sellable_at_least(5), "reserved": 5}
    assert ledger.apply(world.w1.id, world.a.id, MovementKind.RESERVE, change, **guarded) is None
    assert stock(world.w1, world.a) == buckets(on_hand=10, reserved=2, locked=1, safety=3)
    after = ledger.apply(world.w1.id, world.a.id, MovementKind.RESERVE, change,
                         guard=ledger.sellable_at_least(4), reserved=4)
    assert (after.on_hand, after.reserved, after.locked, after.safety) == (10, 6, 1, 3)
    ledger.apply(world.w1.id, world.a.id, MovementKind.RELEASE, change, reserved=-4)  # books back in balance


# --- the reservation lifecycle -----------------------------------------------------------------------


def test_payment_turns_reserved_into_locked(world):
    receive(world.w1, world.a, 5)
    order = pay(place(world.channel, line(world.a, 2)))
    assert stock(world.w1, world.a) == buckets(on_hand=5, locked=2)
    assert held(order) == {(world.w1.id, world.a.id, LOCKED): 2}
    assert movement_kinds(order) == ["reserve", "lock"]


def test_ship_out_deducts_on_hand_and_the_lock(world):
    receive(world.w1, world.a, 5)
    order = ship(pay(place(world.channel, line(world.a, 2))), world)
    assert order.status == OrderStatus.SHIPPED_OUT
    assert stock(world.w1, world.a) == buckets(on_hand=3)
    assert held(order) == {(world.w1.id, world.a.id, SHIPPED): 2}
    assert movement_kinds(order) == ["reserve", "lock", "ship"]
    shipped = db.session.scalars(select_movement(order, "ship")).one()
    assert (shipped.on_hand_delta, shipped.locked_delta, shipped.reference) == (-2, -2, "SF1000000001")


def select_movement(order, kind):
    return select(StockMovement).where(StockMovement.order_id == order.id, StockMovement.kind == kind)


def test_cancel_releases_the_reservation(world):
    receive(world.w1, world.a, 5)
    order = place(world.channel, line(world.a, 2))
    services.cancel(order, "买家取消", ACTOR)
    assert order.status == OrderStatus.CLOSED
    assert stock(world.w1, world.a) == buckets(on_hand=5)
    assert held(order) == {(world.w1.id, world.a.id, RELEASED): 0}
    assert movement_kinds(order) == ["reserve", "release"]


def test_unpaid_timeout_releases_the_reservation(world):
    receive(world.w1, world.a, 5)
    order = place(world.channel, line(world.a, 2))
    services.close_unpaid(order)
    assert order.status == OrderStatus.CLOSED
    assert stock(world.w1, world.a) == buckets(on_hand=5)
    assert events(order)[-1] == ("close_unpaid", "01", "00")


def test_a_partial_refund_before_shipping_releases_that_part_of_the_lock(world):
    receive(world.w1, world.a, 5)
    order = pay(place(world.channel, line(world.a, 3)))
    refunds.refund(order, 1000, [RefundLine(world.a.code, 1)], False, "少要一件", ACTOR)
    assert order.status == OrderStatus.PAID
    assert stock(world.w1, world.a) == buckets(on_hand=5, locked=2)
    assert held(order) == {(world.w1.id, world.a.id, LOCKED): 2}
    assert events(order)[-1] == ("partial_refund", "02", "02")
    ship(order, world)
    assert stock(world.w1, world.a) == buckets(on_hand=3)


def test_a_full_refund_before_shipping_releases_the_whole_lock(world):
    receive(world.w1, world.a, 5)
    receive(world.w1, world.b, 5)
    order = pay(place(world.channel, line(world.a, 1), line(world.k, 1)))
    refunds.refund(order, order.paid_fen, None, False, "不要了", ACTOR)
    assert order.status == OrderStatus.REFUNDED
    assert stock(world.w1, world.a) == buckets(on_hand=5)
    assert stock(world.w1, world.b) == buckets(on_hand=5)
    assert {status for (_, _, status) in held(order)} == {RELEASED}


def test_refunding_part_of_a_bundle_releases_its_components_scaled(world):
    receive(world.w1, world.a, 10)
    receive(world.w1, world.b, 10)
    order = pay(place(world.channel, line(world.k, 2), line(world.a, 1)))  # A: 2 + 1, B: 4
    refunds.refund(order, 2500, [RefundLine(world.k.code, 1)], False, "退一套", ACTOR)
    assert stock(world.w1, world.a) == buckets(on_hand=10, locked=2)
    assert stock(world.w1, world.b) == buckets(on_hand=10, locked=2)


def test_refunding_the_full_amount_for_part_of_the_goods_before_shipping_releases_everything(world):
    # All the money back means the order is over (已退款) and will never ship: whatever it still
    # holds must go back on sale, not stay locked on a final order.
    receive(world.w1, world.a, 5)
    receive(world.w1, world.c, 5)
    order = pay(place(world.channel, line(world.a, 2), line(world.c, 1)))
    refunds.refund(order, order.paid_fen, [RefundLine(world.a.code, 1)], False, "整单退款", ACTOR)
    assert order.status == OrderStatus.REFUNDED
    assert stock(world.w1, world.a) == buckets(on_hand=5)
    assert stock(world.w1, world.c) == buckets(on_hand=5)


def test_a_return_after_delivery_goes_back_on_the_shelf(world):
    receive(world.w1, world.a, 5)
    order = deliver(ship(pay(place(world.channel, line(world.a, 2))), world))
    refunds.refund(order, order.paid_fen, None, True, "七天无理由", ACTOR)
    assert order.status == OrderStatus.REFUNDED
    assert stock(world.w1, world.a) == buckets(on_hand=5)
    assert movement_kinds(order) == ["reserve", "lock", "ship", "return_restock"]


def test_a_damaged_return_goes_to_the_damaged_bucket_not_on_sale(world):
    receive(world.w1, world.a, 5)
    order = deliver(ship(pay(place(world.channel, line(world.a, 2))), world))
    refunds.refund(order, 1000, [RefundLine(world.a.code, 1)], True, "外包装破损", ACTOR, damaged=True)
    assert order.status == OrderStatus.SIGNED  # one of two refunded
    assert stock(world.w1, world.a) == buckets(on_hand=3, damaged=1)
    assert movement_kinds(order)[-1] == "return_damaged"


def test_a_refund_after_delivery_without_the_goods_moves_no_stock(world):
    receive(world.w1, world.a, 5)
    order = deliver(ship(pay(place(world.channel, line(world.a, 2))), world))
    refunds.refund(order, order.paid_fen, None, False, "仅退款", ACTOR)
    assert order.status == OrderStatus.REFUNDED
    assert stock(world.w1, world.a) == buckets(on_hand=3)


def test_a_refund_while_the_parcel_travels_is_refused(world):
    receive(world.w1, world.a, 5)
    order = ship(pay(place(world.channel, line(world.a, 2))), world)
    with pytest.raises(InvalidTransition):
        refunds.refund(order, order.paid_fen, None, True, "拦截", ACTOR)
    assert stock(world.w1, world.a) == buckets(on_hand=3)


def test_a_refund_beyond_what_was_sold_is_refused_and_moves_nothing(world):
    receive(world.w1, world.a, 5)
    order = pay(place(world.channel, line(world.a, 2)))
    with pytest.raises(ValidationError):
        refunds.refund(order, 1000, [RefundLine(world.a.code, 3)], False, "多退", ACTOR)
    with pytest.raises(ValidationError):
        refunds.refund(order, order.paid_fen + 1, None, False, "多退", ACTOR)
    assert stock(world.w1, world.a) == buckets(on_hand=5, locked=2)


# --- bundles, shared components, gifts, all or nothing -----------------------------------------------


def test_a_bundle_reserves_its_components_and_nothing_for_itself(world):
    receive(world.w1, world.a, 5)
    receive(world.w1, world.b, 5)
    order = place(world.channel, line(world.k, 2))
    assert held(order) == {(world.w1.id, world.a.id, RESERVED): 2, (world.w1.id, world.b.id, RESERVED): 4}
    components = db.session.scalars(select(OrderLine).where(OrderLine.order_id == order.id,
                                                               OrderLine.parent_line_id.is_not(None))).all()
    assert sorted((c.sku_id, c.quantity) for c in components) == sorted([(world.a.id, 2), (world.b.id, 4)])
    assert count(Reservation, Reservation.sku_id == world.k.id) == 0


def test_a_bundle_sells_only_if_every_component_is_there(world):
    receive(world.w1, world.a, 5)
    receive(world.w1, world.b, 3)  # K×2 needs 4 B
    with pytest.raises(OutOfStock) as short:
        place(world.channel, line(world.k, 2))
    assert short.value.details["lines"] == [{"sku": world.b.code, "requested": 4, "available": 3}]
    assert stock(world.w1, world.a) == buckets(on_hand=5)


def test_a_component_shared_by_a_bundle_and_a_plain_line_is_summed_before_the_check(world):
    receive(world.w1, world.a, 2)
    receive(world.w1, world.b, 5)
    # A: 2 as a plain line and 1 inside K: 3 > 2, although each line alone would fit.
    with pytest.raises(OutOfStock) as short:
        place(world.channel, line(world.a, 2), line(world.k, 1))
    assert short.value.details["lines"] == [{"sku": world.a.code, "requested": 3, "available": 2}]
    receive(world.w1, world.a, 1)
    order = place(world.channel, line(world.a, 2), line(world.k, 1))
    assert held(order) == {(world.w1.id, world.a.id, RESERVED): 3, (world.w1.id, world.b.id, RESERVED): 2}


def test_a_component_shared_by_two_bundles_is_summed_too(world):
    other = factories.SkuFactory()
    factories.BundleComponentFactory(bundle=other, component=world.b, quantity=1)
    db.session.refresh(other)
    receive(world.w1, world.a, 5)
    receive(world.w1, world.b, 3)
    with pytest.raises(OutOfStock):
        place(world.channel, line(world.k, 1), line(other, 2))  # B: 2 + 2 = 4 > 3
    order = place(world.channel, line(world.k, 1), line(other, 1))
    assert held(order)[(world.w1.id, world.b.id, RESERVED)] == 3


def test_the_same_sku_on_two_lines_is_one_reservation(world):
    receive(world.w1, world.a, 3)
    order = place(world.channel, line(world.a, 1), line(world.a, 2, gift=True))
    assert held(order) == {(world.w1.id, world.a.id, RESERVED): 3}


def test_a_gift_reserves_stock_like_a_sold_line(world):
    receive(world.w1, world.a, 5)
    receive(world.w1, world.c, 1)
    order = place(world.channel, line(world.a, 1), line(world.c, 1, gift=True))
    assert held(order)[(world.w1.id, world.c.id, RESERVED)] == 1
    assert order.payable_fen == 1000  # the gift costs nothing
    with pytest.raises(OutOfStock) as short:
        place(world.channel, line(world.a, 1), line(world.c, 1, gift=True))
    assert [entry["sku"] for entry in short.value.details["lines"]] == [world.c.code]


def test_an_order_short_on_one_sku_leaves_nothing_behind(world):
    receive(world.w1, world.a, 5)
    receive(world.w1, world.b, 5)
    receive(world.w1, world.c, 1)
    db.session.commit()
    before, stock_before = table_counts(), [stock(world.w1, sku) for sku in (world.a, world.b, world.c)]
    with pytest.raises(OutOfStock) as short:
        services.create_order(world.channel, order_input(line(world.a, 1), line(world.k, 1), line(world.c, 2)),
                              ACTOR)
    assert short.value.details["lines"] == [{"sku": world.c.code, "requested": 2, "available": 1}]
    # Without any rollback by the caller: create_order itself leaves no order, line, event,
    # reservation or movement, so a caller that carries on (a batch import) cannot commit half an order.
    assert table_counts() == before
    assert [stock(world.w1, sku) for sku in (world.a, world.b, world.c)] == stock_before
    db.session.rollback()
    assert table_counts() == before


def test_out_of_stock_names_every_short_sku_and_only_those(world):
    receive(world.w1, world.a, 1)
    receive(world.w1, world.b, 10)
    receive(world.w2, world.a, 2)
    with pytest.raises(OutOfStock) as short:
        place(world.channel, line(world.a, 4), line(world.b, 2), line(world.c, 1))
    assert short.value.details["lines"] == sorted([
        {"sku": world.a.code, "requested": 4, "available": 3},  # the warehouses together have 3
        {"sku": world.c.code, "requested": 1, "available": 0},
    ], key=lambda entry: entry["sku"])


def test_the_same_external_order_twice_is_one_order_and_one_reservation(world):
    receive(world.w1, world.a, 5)
    first, created = services.create_order(world.channel, order_input(line(world.a, 2), external_id="TB-1"), ACTOR)
    again, created_again = services.create_order(world.channel, order_input(line(world.a, 2), external_id="TB-1"),
                                                 ACTOR)
    assert (created, created_again, again.id) == (True, False, first.id)
    assert stock(world.w1, world.a) == buckets(on_hand=5, reserved=2)


# --- receipts, counts, moving reservations -----------------------------------------------------------


def test_a_receipt_raises_on_hand_and_is_ledgered(world):
    inventory.receive(world.w1, [(world.a, 4), (world.b, 2)], Change(ACTOR, "采购入库", reference="PO-1"))
    assert stock(world.w1, world.a) == buckets(on_hand=4)
    assert stock(world.w1, world.b) == buckets(on_hand=2)
    movement = db.session.scalars(select(StockMovement).where(StockMovement.sku_id == world.a.id)).one()
    assert (movement.kind, movement.on_hand_delta, movement.reference, movement.actor) == ("receipt", 4, "PO-1",
                                                                                          ACTOR)


@pytest.mark.parametrize("quantity", [0, -1])
def test_a_receipt_of_nothing_is_refused(world, quantity):
    with pytest.raises(ValidationError):
        inventory.receive(world.w1, [(world.a, quantity)], RECEIPT)
    assert count(StockMovement) == 0


def test_bundles_have_no_stock_of_their_own(world):
    with pytest.raises(ValidationError):
        inventory.receive(world.w1, [(world.k, 1)], RECEIPT)
    with pytest.raises(ValidationError):
        inventory.adjust_to_count(world.w1, world.k, 3, RECEIPT)
    assert count(StockMovement) == 0


@pytest.mark.parametrize(("counted", "delta"), [(7, -3), (12, 2)])
def test_a_count_sets_on_hand_and_ledgers_the_difference(world, counted, delta):
    receive(world.w1, world.a, 10)
    place(world.channel, line(world.a, 2))
    level = inventory.adjust_to_count(world.w1, world.a, counted, Change(ACTOR, "月度盘点"))
    assert level.on_hand == counted
    assert stock(world.w1, world.a) == buckets(on_hand=counted, reserved=2)
    adjustment = db.session.scalars(select(StockMovement).where(StockMovement.kind == "adjustment")).one()
    assert adjustment.on_hand_delta == delta


def test_a_count_that_matches_writes_nothing(world):
    receive(world.w1, world.a, 10)
    inventory.adjust_to_count(world.w1, world.a, 10, Change(ACTOR, "月度盘点"))
    assert count(StockMovement, StockMovement.kind == "adjustment") == 0


def test_a_negative_count_is_refused(world):
    receive(world.w1, world.a, 10)
    with pytest.raises(ValidationError):
        inventory.adjust_to_count(world.w1, world.a, -1, RECEIPT)
    assert stock(world.w1, world.a) == buckets(on_hand=10)


def test_moving_reservations_moves_every_bucket_to_the_other_warehouse(world):
    for warehouse in (world.w1, world.w2):
        receive(warehouse, world.a, 5)
        receive(warehouse, world.b, 5)
    unpaid = place(world.channel, line(world.a, 2))
    paid = pay(place(world.channel, line(world.a, 1), line(world.b, 1)))
    for order in (unpaid, paid):
        inventory.move_reservations(order.id, world.w2.id, Change(ACTOR, "改仓", order.id))
    assert stock(world.w1, world.a) == buckets(on_hand=5)
    assert stock(world.w1, world.b) == buckets(on_hand=5)
    assert stock(world.w2, world.a) == buckets(on_hand=5, reserved=2, locked=1)
    assert stock(world.w2, world.b) == buckets(on_hand=5, locked=1)
    assert set(held(paid)) == {(world.w2.id, world.a.id, LOCKED), (world.w2.id, world.b.id, LOCKED)}
    assert movement_kinds(paid)[-4:] == ["move_in", "move_out", "move_in", "move_out"]


def test_moving_reservations_is_all_or_nothing(world):
    receive(world.w1, world.a, 5)
    receive(world.w1, world.b, 5)
    receive(world.w2, world.a, 5)
    receive(world.w2, world.b, 1)  # enough A, not enough B
    order = pay(place(world.channel, line(world.a, 2), line(world.b, 2)))
    movements_before = count(StockMovement)
    with pytest.raises(OutOfStock) as short:
        inventory.move_reservations(order.id, world.w2.id, Change(ACTOR, "改仓", order.id))
    assert [entry["sku"] for entry in short.value.details["lines"]] == [world.b.code]
    assert count(StockMovement) == movements_before
    assert stock(world.w2, world.a) == buckets(on_hand=5)
    assert stock(world.w1, world.a) == buckets(on_hand=5, locked=2)
    assert set(held(order)) == {(world.w1.id, world.a.id, LOCKED), (world.w1.id, world.b.id, LOCKED)}


def test_moving_an_order_to_another_warehouse_moves_its_stock_and_says_so(world):
    for warehouse in (world.w1, world.w2):
        receive(warehouse, world.a, 5)
    order = pay(place(world.channel, line(world.a, 2)))
    services.move_to_warehouse(order, world.w2, "华东仓爆仓，改由华南仓发货", ACTOR)
    assert order.warehouse_id == world.w2.id  # returns and pre-sale stock follow the order there
    assert stock(world.w1, world.a) == buckets(on_hand=5)
    assert stock(world.w2, world.a) == buckets(on_hand=5, locked=2)
    assert events(order)[-1] == ("move_warehouse", OrderStatus.PAID, OrderStatus.PAID)
    ship(order, world)
    with pytest.raises(Conflict):
        services.move_to_warehouse(order, world.w1, "发错仓", ACTOR)


def test_shipping_an_order_whose_stock_a_count_took_away_is_refused(world):
    receive(world.w1, world.a, 2)
    order = pay(place(world.channel, line(world.a, 2)))
    inventory.adjust_to_count(world.w1, world.a, 1, Change(ACTOR, "盘亏"))
    db.session.commit()
    with pytest.raises(Conflict):
        ship(order, world)
    db.session.rollback()  # the caller's rollback: the failed ship-out leaves nothing
    assert stock(world.w1, world.a) == buckets(on_hand=1, locked=2)
    assert db.session.get(Order, order.id).status == OrderStatus.PAID
