"""When a channel's orders are routed by themselves: at creation, at payment (the default), once approved,
or only by hand — the automatic routing takes an order only in the states its channel's moment names."""

import pytest

from app.domain.errors import ValidationError
from app.domain.orders import services as orders
from app.domain.routing import services
from tests.domain.stock_world import held, line, pay, place, receive
from tests.domain.test_routing_services import ACTOR, decisions, routed_world  # noqa: F401 (a fixture)


def set_moment(world, moment: str) -> None:
    services.save_moments({world.channel.platform: moment}, ACTOR)


@pytest.fixture
def stocked(routed_world):  # noqa: F811 (the imported fixture)
    """A × 1 in W1 (where orders reserve first) and in W2 (cheaper to Shanghai: routing moves it there)."""
    receive(routed_world.w1, routed_world.a, 1)
    receive(routed_world.w2, routed_world.a, 1)
    return routed_world


def test_by_default_an_order_is_routed_once_paid(stocked):
    order = place(stocked.channel, line(stocked.a))
    assert services.route_moment(stocked.channel.platform) == services.PAID
    assert services.route_when_due(order, ACTOR) is None and order.warehouse_id == stocked.w1.id

    pay(order)
    assert services.route_when_due(order, ACTOR).outcome == "routed"
    assert order.warehouse_id == stocked.w2.id


def test_routing_at_creation_moves_the_reserved_stock_before_payment_and_only_once(stocked):
    set_moment(stocked, services.CREATED)
    order = place(stocked.channel, line(stocked.a))

    assert services.route_when_due(order, ACTOR).outcome == "routed"
    assert held(order) == {(stocked.w2.id, stocked.a.id, "reserved"): 1}
    pay(order)
    assert services.route_when_due(order, ACTOR) is None
    assert held(order) == {(stocked.w2.id, stocked.a.id, "locked"): 1} and len(decisions(order)) == 1


def test_routing_after_review_waits_for_the_approval(stocked):
    set_moment(stocked, services.APPROVED)
    order = pay(place(stocked.channel, line(stocked.a)))
    assert services.route_when_due(order, ACTOR) is None and decisions(order) == []

    orders.approve(order, ACTOR)
    assert services.route_when_due(order, ACTOR).outcome == "routed" and order.warehouse_id == stocked.w2.id


def test_a_manual_channel_s_orders_wait_for_a_person_in_their_queue(stocked):
    set_moment(stocked, services.MANUAL)
    order = pay(place(stocked.channel, line(stocked.a)))
    assert services.route_when_due(order, ACTOR) is None
    orders.approve(order, ACTOR)
    assert services.route_when_due(order, ACTOR) is None
    assert services.awaiting_manual_routing() == [order]

    assert services.route_order(order, ACTOR, again=True).outcome == "routed"  # the page's 重新分仓
    assert services.awaiting_manual_routing() == []


def test_moments_are_saved_only_for_known_platforms_and_moments(stocked):
    set_moment(stocked, services.PAID)
    assert services.current_setting().route_moments == {}  # the default is not stored
    with pytest.raises(ValidationError) as platform:
        services.save_moments({"mars": services.MANUAL}, ACTOR)
    with pytest.raises(ValidationError) as moment:
        services.save_moments({stocked.channel.platform: "sometime"}, ACTOR)
    assert "route_moments" in platform.value.fields and "route_moments" in moment.value.fields
