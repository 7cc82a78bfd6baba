"""The payment reminder (催付): 15 minutes before an unpaid order closes, once, unless the customer opted
out; the close itself keeps working as before, and says so to the customer."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from app.domain.notifications import services as notifications
from app.domain.notifications.models import MessageStatus
from app.domain.orders import deadlines, services, timeouts
from app.domain.orders.states import OrderStatus
from app.extensions import db
from tests.notifications.conftest import ACTOR, BUYER_PHONE, OPENID, messages, queued_sends

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_an_unpaid_order_is_first_due_for_its_reminder_fifteen_minutes_before_it_closes(shop):
    order = shop.order()

    assert order.deadline_rule == deadlines.REMIND_PAYMENT
    assert order.deadline_at == order.payment_due_at - timedelta(minutes=15)


def test_the_sweep_reminds_then_waits_for_the_close(shop):
    order = shop.order(openid=OPENID)
    remind_at = order.deadline_at

    assert timeouts.sweep_due(remind_at - timedelta(seconds=1)) == {}
    assert timeouts.sweep_due(remind_at) == {deadlines.REMIND_PAYMENT: 1}

    reminders = messages(order_id=order.id)
    assert {(m.channel, m.template, m.event_key) for m in reminders} == {
        ("sms", "payment_reminder", "remind_payment"), ("wechat", "payment_reminder", "remind_payment")}
    close_time = order.payment_due_at.astimezone(SHANGHAI).strftime("%H:%M")
    assert reminders[0].params == {"order_no": order.order_no, "close_time": close_time}
    assert (order.deadline_rule, order.deadline_at) == (deadlines.CLOSE_UNPAID, order.payment_due_at)
    assert order.status == OrderStatus.PENDING_PAYMENT
    db.session.commit()
    assert len(queued_sends()) == 2


def test_the_reminder_is_written_once_even_if_swept_again(shop):
    order = shop.order()
    remind_at = order.deadline_at
    timeouts.sweep_due(remind_at)
    order.deadline_at, order.deadline_rule = remind_at, deadlines.REMIND_PAYMENT  # e.g. a replayed sweep

    timeouts.sweep_due(remind_at + timedelta(minutes=1))

    assert len(messages(order_id=order.id, template="payment_reminder")) == 1


def test_at_the_close_the_order_is_closed_and_the_customer_told(shop):
    order = shop.order()
    timeouts.sweep_due(order.deadline_at)

    assert timeouts.sweep_due(order.payment_due_at) == {deadlines.CLOSE_UNPAID: 1}

    assert order.status == OrderStatus.CLOSED
    assert [m.template for m in messages(order_id=order.id)] == ["payment_reminder", "order_closed_unpaid"]


def test_a_sweep_that_comes_after_the_close_time_closes_without_reminding(shop):
    order = shop.order()

    assert timeouts.sweep_due(order.payment_due_at + timedelta(minutes=1)) == {deadlines.CLOSE_UNPAID: 1}

    assert order.status == OrderStatus.CLOSED
    assert [m.template for m in messages(order_id=order.id)] == ["order_closed_unpaid"]


def test_an_order_with_a_short_payment_window_gets_no_reminder(shop):
    order = shop.order(timeout_minutes=10)

    assert (order.deadline_rule, order.deadline_at) == (deadlines.CLOSE_UNPAID, order.payment_due_at)


def test_paying_before_the_reminder_cancels_it(shop):
    order = shop.order()
    services.pay(order, order.payable_fen, ACTOR)

    timeouts.sweep_due(order.payment_due_at + timedelta(minutes=1))

    assert [m.template for m in messages(order_id=order.id)] == ["order_paid"]


def test_a_customer_who_opted_out_gets_no_reminder_on_any_channel(shop):
    notifications.opt_out_of_reminders(BUYER_PHONE)
    order = shop.order(openid=OPENID)

    timeouts.sweep_due(order.deadline_at)
    db.session.commit()

    reminders = messages(order_id=order.id)
    assert {m.channel for m in reminders} == {"sms", "wechat"}
    assert {m.status for m in reminders} == {MessageStatus.SKIPPED}  # on record, so the timeline says why
    assert {m.last_error for m in reminders} == {"客户已退订催付提醒"}
    assert queued_sends() == []


def test_opting_out_stops_reminders_only(shop):
    notifications.opt_out_of_reminders(BUYER_PHONE)
    order = shop.order()
    timeouts.sweep_due(order.payment_due_at)

    [closed] = messages(order_id=order.id)
    assert (closed.template, closed.status) == ("order_closed_unpaid", MessageStatus.QUEUED)
