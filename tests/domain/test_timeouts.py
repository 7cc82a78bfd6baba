"""Timeout rules (DESIGN §4 table) applied by ``sweep_due`` with an explicit clock.

Deadlines are set from the real clock when an order enters a state, so each test sweeps just before
and just at the order's own ``deadline_at``: nothing may happen a second early, the rule must apply
when due, and a second sweep at the same time must change nothing.
"""

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from app.domain.orders import deadlines, services
from app.domain.orders.models import Order, OrderEvent
from app.domain.orders.states import OrderStatus
from app.domain.orders.timeouts import sweep_due
from app.extensions import db
from tests import factories
from tests.domain.stock_world import ACTOR, deliver, line, pay, place, receive, ship, stock

SECOND = timedelta(seconds=1)


@pytest.fixture
def stocked(world):
    receive(world.w1, world.a, 20)
    return world


def last_event(order) -> tuple:
    event = db.session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id)
                               .order_by(OrderEvent.id.desc()).limit(1)).one()
    return event.action, event.actor, event.from_status, event.to_status


def test_an_unpaid_order_is_closed_after_its_channels_timeout_and_its_stock_released(stocked):
    channel = factories.ChannelFactory(unpaid_timeout_minutes=45)
    order = place(channel, line(stocked.a, 3))
    assert order.payment_due_at - order.status_changed_at == timedelta(minutes=45)

    sweep_due(order.payment_due_at - SECOND)
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert stock(stocked.w1, stocked.a)["reserved"] == 3

    assert sweep_due(order.payment_due_at) == {deadlines.CLOSE_UNPAID: 1}
    assert order.status == OrderStatus.CLOSED
    assert stock(stocked.w1, stocked.a)["reserved"] == 0
    assert last_event(order) == ("close_unpaid", "system", "01", "00")
    assert (order.deadline_at, order.deadline_rule) == (None, None)
    assert sweep_due(order.payment_due_at) == {}


def test_each_channel_has_its_own_unpaid_timeout(stocked):
    quick = place(factories.ChannelFactory(unpaid_timeout_minutes=10), line(stocked.a, 1))
    slow = place(factories.ChannelFactory(unpaid_timeout_minutes=60), line(stocked.a, 1))
    sweep_due(quick.payment_due_at)
    assert (quick.status, slow.status) == (OrderStatus.CLOSED, OrderStatus.PENDING_PAYMENT)
    sweep_due(slow.payment_due_at)
    assert slow.status == OrderStatus.CLOSED
    assert stock(stocked.w1, stocked.a)["reserved"] == 0


def test_a_paid_order_is_not_closed_by_the_unpaid_timeout(stocked):
    order = place(stocked.channel, line(stocked.a, 1))
    due = order.payment_due_at
    pay(order)
    assert sweep_due(due + timedelta(days=1)) == {}
    assert order.status == OrderStatus.PAID
    assert stock(stocked.w1, stocked.a)["locked"] == 1


def test_a_failing_order_does_not_hold_back_the_others_and_is_retried(stocked):
    broken = place(stocked.channel, line(stocked.a, 2))
    fine = place(stocked.channel, line(stocked.a, 1))
    # Books that disagree with the reservation make the release refuse (Conflict) for this order only.
    level = {"w": stocked.w1.id, "s": stocked.a.id}
    db.session.execute(text("UPDATE stock_levels SET reserved = 1 WHERE warehouse_id = :w AND sku_id = :s"), level)
    assert sweep_due(max(broken.payment_due_at, fine.payment_due_at)) == {deadlines.CLOSE_UNPAID: 1}
    assert (broken.status, fine.status) == (OrderStatus.PENDING_PAYMENT, OrderStatus.CLOSED)
    db.session.execute(text("UPDATE stock_levels SET reserved = 2 WHERE warehouse_id = :w AND sku_id = :s"), level)
    assert sweep_due(broken.payment_due_at) == {deadlines.CLOSE_UNPAID: 1}
    assert broken.status == OrderStatus.CLOSED
    assert stock(stocked.w1, stocked.a)["reserved"] == 0


@pytest.mark.parametrize(("status", "rule", "delay", "next_step"), [
    (OrderStatus.APPROVED, deadlines.APPROVAL_OVERDUE, timedelta(hours=2), lambda o, w: services.pack(o, ACTOR)),
    (OrderStatus.PACKING, deadlines.PACKING_OVERDUE, timedelta(hours=1),
     lambda o, w: services.ship_out(o, w.carrier, "SF4000000001", ACTOR)),
    (OrderStatus.IN_TRANSIT, deadlines.TRANSIT_FOLLOW_UP, timedelta(days=7),
     lambda o, w: services.sign(o, "carrier:sf")),
])
def test_an_overdue_step_raises_a_flag_and_an_event_and_the_next_move_clears_it(stocked, status, rule, delay,
                                                                                  next_step):
    order = place(stocked.channel, line(stocked.a, 1))
    pay(order)
    services.approve(order, ACTOR)
    if status in (OrderStatus.PACKING, OrderStatus.IN_TRANSIT):
        services.pack(order, ACTOR)
    if status == OrderStatus.IN_TRANSIT:
        services.ship_out(order, stocked.carrier, "SF4000000001", ACTOR)
        services.hand_over(order, "carrier:sf")
    assert (order.status, order.deadline_rule) == (status, rule)
    assert order.deadline_at - order.status_changed_at == delay

    due = order.deadline_at
    assert sweep_due(due - SECOND) == {}
    assert order.sla_flag is None

    assert sweep_due(due) == {rule: 1}
    assert (order.status, order.sla_flag) == (status, rule)
    assert last_event(order) == (rule, "system", status.value, status.value)
    assert sweep_due(due + timedelta(days=1)) == {}  # raised once, not every minute after

    next_step(order, stocked)
    assert order.sla_flag is None


def test_a_signed_order_completes_after_its_channels_days(stocked):
    stocked.channel.auto_complete_days = 5
    order = deliver(ship(pay(place(stocked.channel, line(stocked.a, 1))), stocked))
    assert order.deadline_at - order.status_changed_at == timedelta(days=5)
    assert sweep_due(order.deadline_at - SECOND) == {}
    assert sweep_due(order.deadline_at) == {deadlines.AUTO_COMPLETE: 1}
    assert order.status == OrderStatus.COMPLETED
    assert order.completed_at is not None
    assert last_event(order) == ("complete", "system", "07", "08")
    assert order.deadline_rule == deadlines.ARCHIVE


def test_a_completed_order_is_archived_after_180_days(stocked):
    order = deliver(ship(pay(place(stocked.channel, line(stocked.a, 1))), stocked))
    services.complete(order, ACTOR)
    assert order.deadline_at - order.status_changed_at == timedelta(days=180)
    due = order.deadline_at
    assert sweep_due(due - SECOND) == {}
    assert sweep_due(due) == {deadlines.ARCHIVE: 1}
    assert (order.status, order.archived_at) == (OrderStatus.COMPLETED, due)
    assert last_event(order) == ("archive", "system", "08", "08")
    assert sweep_due(due + timedelta(days=365)) == {}


def test_one_sweep_applies_every_rule_that_is_due(stocked):
    unpaid = [place(stocked.channel, line(stocked.a, 1)) for _ in range(3)]
    approved = place(stocked.channel, line(stocked.a, 1))
    pay(approved)
    services.approve(approved, ACTOR)
    later = approved.deadline_at + timedelta(minutes=1)  # past every payment deadline too
    assert sweep_due(later) == {deadlines.CLOSE_UNPAID: 3, deadlines.APPROVAL_OVERDUE: 1}
    assert [o.status for o in unpaid] == [OrderStatus.CLOSED] * 3
    assert approved.sla_flag == deadlines.APPROVAL_OVERDUE
    assert db.session.scalar(select(db.func.count()).select_from(Order).where(Order.deadline_at.is_not(None))) == 0
    assert stock(stocked.w1, stocked.a) == {"on_hand": 20, "reserved": 0, "locked": 1, "damaged": 0, "safety": 0}
