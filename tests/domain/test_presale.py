"""Pre-sale (预售): lines reserve nothing until the release, a cap limits how many units may wait, and the
release gives the arrived stock to paid orders in payment order, parking the ones it cannot reach."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.db import utcnow
from app.domain.catalog.models import Sku
from app.domain.errors import Conflict, OutOfStock
from app.domain.orders import presale, refunds, services
from app.domain.orders.models import OrderEvent, OrderLine
from app.domain.orders.refunds import RefundLine
from app.domain.orders.states import OrderStatus
from app.extensions import db
from tests import factories
from tests.domain.stock_world import ACTOR, held, line, place, receive, stock

RESERVED, LOCKED = "reserved", "locked"


@pytest.fixture
def release_at():
    return utcnow() + timedelta(hours=1)


@pytest.fixture
def presale_sku(world, release_at):
    return factories.SkuFactory(price_fen=1000, presale_release_at=release_at, presale_cap=8)


def paid_at(minutes: int):
    return utcnow() + timedelta(minutes=minutes)


def pay_at(order, minutes: int):
    return services.pay(order, order.payable_fen, ACTOR, paid_at=paid_at(minutes))


def sweep(now) -> dict[int, dict[str, int]]:
    """What the release_presales job does, with an explicit clock."""
    return {sku_id: presale.release_presale(db.session.get(Sku, sku_id), now)
            for sku_id in presale.skus_due_for_release(now)}


def awaiting(order) -> list[bool]:
    return list(db.session.scalars(select(OrderLine.awaiting_presale).where(OrderLine.order_id == order.id)
                                   .order_by(OrderLine.id)))


def test_a_presale_line_reserves_nothing_until_the_release(world, presale_sku):
    receive(world.w1, world.a, 5)
    order = place(world.channel, line(presale_sku, 2), line(world.a, 1))  # no stock of the pre-sale SKU at all
    assert order.awaiting_presale
    assert awaiting(order) == [True, False]
    assert held(order) == {(world.w1.id, world.a.id, RESERVED): 1}
    assert stock(world.w1, presale_sku)["reserved"] == 0


def test_the_presale_cap_is_enforced_at_creation(world, presale_sku):
    place(world.channel, line(presale_sku, 5))
    second = place(world.channel, line(presale_sku, 3))
    with pytest.raises(OutOfStock) as short:
        place(world.channel, line(presale_sku, 1))
    assert short.value.details["lines"] == [{"sku": presale_sku.code, "requested": 1, "available": 0}]
    services.cancel(second, "不要了", ACTOR)  # a closed order no longer counts against the cap
    place(world.channel, line(presale_sku, 3))


def test_the_release_converts_paid_orders_in_payment_order_and_parks_the_rest(world, presale_sku, release_at):
    first, second, third = (place(world.channel, line(presale_sku, 2)) for _ in range(3))
    unpaid = place(world.channel, line(presale_sku, 1))
    pay_at(third, 1)  # paid first although created last
    pay_at(first, 2)
    pay_at(second, 3)
    receive(world.w1, presale_sku, 5)  # enough for two orders of 2, not three

    assert sweep(release_at + timedelta(minutes=1)) == {presale_sku.id: {"converted": 2, "parked": 1}}

    for converted in (third, first):
        assert held(converted) == {(world.w1.id, presale_sku.id, LOCKED): 2}
        assert not converted.awaiting_presale
        assert converted.status == OrderStatus.PAID
    assert (second.status, second.status_before_exception) == (OrderStatus.EXCEPTION, OrderStatus.PAID)
    assert held(second) == {}
    assert awaiting(second) == [True]
    reason = db.session.scalar(select(OrderEvent.reason).where(OrderEvent.order_id == second.id,
                                                                OrderEvent.action == "mark_exception"))
    assert presale_sku.code in reason and "到货不足" in reason
    assert (unpaid.status, held(unpaid), awaiting(unpaid)) == (OrderStatus.PENDING_PAYMENT, {}, [True])
    assert stock(world.w1, presale_sku) == {"on_hand": 5, "reserved": 0, "locked": 4, "damaged": 0, "safety": 0}


def test_an_order_paid_after_the_release_converts_on_the_next_sweep(world, presale_sku, release_at):
    early = place(world.channel, line(presale_sku, 2))
    late = place(world.channel, line(presale_sku, 1))
    pay_at(early, 1)
    receive(world.w1, presale_sku, 5)
    now = release_at + timedelta(minutes=1)
    sweep(now)
    assert held(late) == {}

    pay_at(late, 2)
    assert presale.skus_due_for_release(now) == [presale_sku.id]
    assert sweep(now) == {presale_sku.id: {"converted": 1, "parked": 0}}
    assert held(late) == {(world.w1.id, presale_sku.id, LOCKED): 1}
    assert held(early) == {(world.w1.id, presale_sku.id, LOCKED): 2}  # converted once, not again
    assert presale.skus_due_for_release(now) == []
    assert sweep(now) == {}


def test_nothing_converts_before_the_release_time(world, presale_sku, release_at):
    order = pay_at(place(world.channel, line(presale_sku, 1)), 1)
    receive(world.w1, presale_sku, 5)
    assert presale.skus_due_for_release(release_at - timedelta(minutes=1)) == []
    presale.release_presale(presale_sku, release_at - timedelta(minutes=1))
    assert held(order) == {}
    assert order.awaiting_presale


def test_a_converted_order_keeps_to_the_warehouse_it_already_uses(world, presale_sku, release_at):
    receive(world.w1, world.a, 5)
    order = pay_at(place(world.channel, line(world.a, 1), line(presale_sku, 1)), 1)
    receive(world.w2, presale_sku, 5)  # the pre-sale stock arrived in the other warehouse only
    assert sweep(release_at + timedelta(minutes=1)) == {presale_sku.id: {"converted": 0, "parked": 1}}
    assert order.status == OrderStatus.EXCEPTION
    receive(world.w1, presale_sku, 1)
    services.resolve_exception(order, "已调货", ACTOR)
    assert sweep(release_at + timedelta(minutes=2)) == {presale_sku.id: {"converted": 1, "parked": 0}}
    assert held(order) == {(world.w1.id, world.a.id, LOCKED): 1, (world.w1.id, presale_sku.id, LOCKED): 1}


def test_a_packed_order_waiting_for_presale_stock_ships_once_it_converts(world, presale_sku, release_at):
    order = pay_at(place(world.channel, line(presale_sku, 1)), 1)
    services.approve(order, ACTOR)
    services.pack(order, ACTOR)
    with pytest.raises(Conflict):
        services.ship_out(order, world.carrier, "SF3000000001", ACTOR)
    receive(world.w1, presale_sku, 1)
    sweep(release_at + timedelta(minutes=1))
    services.ship_out(order, world.carrier, "SF3000000001", ACTOR)
    assert stock(world.w1, presale_sku)["on_hand"] == 0


def test_units_refunded_while_waiting_are_not_reserved_at_the_release(world, presale_sku, release_at):
    order = pay_at(place(world.channel, line(presale_sku, 3)), 1)
    refunds.refund(order, 1000, [RefundLine(presale_sku.code, 1)], False, "少要一件", ACTOR)
    receive(world.w1, presale_sku, 5)
    sweep(release_at + timedelta(minutes=1))
    assert held(order) == {(world.w1.id, presale_sku.id, LOCKED): 2}


def test_a_bundle_with_a_presale_component_reserves_the_rest_now_and_that_part_later(world, release_at):
    part = factories.SkuFactory(presale_release_at=release_at, presale_cap=10)
    kit = factories.SkuFactory(price_fen=3000)
    factories.BundleComponentFactory(bundle=kit, component=world.a, quantity=1)
    factories.BundleComponentFactory(bundle=kit, component=part, quantity=2)
    db.session.refresh(kit)
    receive(world.w1, world.a, 5)
    order = pay_at(place(world.channel, line(kit, 2)), 1)
    assert held(order) == {(world.w1.id, world.a.id, LOCKED): 2}
    receive(world.w1, part, 4)
    sweep(release_at + timedelta(minutes=1))
    assert held(order) == {(world.w1.id, world.a.id, LOCKED): 2, (world.w1.id, part.id, LOCKED): 4}
