"""Messages are written with the order event that causes them, once per (order, event, channel), and
their send job reaches Redis only after that transaction commits."""

import pytest
from sqlalchemy.exc import IntegrityError

from app.domain.errors import ValidationError
from app.domain.notifications import services as notifications
from app.domain.notifications.models import Message, MessageStatus
from app.domain.notifications.templates import TemplateError
from app.domain.orders import notify, services
from app.domain.orders.states import Action
from app.extensions import db
from tests.notifications.conftest import ACTOR, BUYER_PHONE, OPENID, RECEIVER_PHONE, messages, queued_sends


def test_paying_writes_the_paid_sms_in_the_same_transaction_and_sends_only_after_commit(shop):
    order = shop.order()

    services.pay(order, order.payable_fen, ACTOR)

    [message] = messages()
    assert (message.order_id, message.event_key, message.channel) == (order.id, "pay", "sms")
    assert message.template == "order_paid" and message.status == MessageStatus.QUEUED
    assert message.params == {"order_no": order.order_no, "amount": "59.00"}
    assert queued_sends() == []
    db.session.commit()
    assert queued_sends() == [message.id]


def test_a_rolled_back_payment_leaves_no_message_and_no_job(shop):
    order = shop.order()
    db.session.commit()

    services.pay(order, order.payable_fen, ACTOR)
    db.session.rollback()
    db.session.commit()

    assert messages() == []
    assert queued_sends() == []


def test_payment_messages_go_to_the_buyer_and_parcel_messages_to_the_receiver(shop):
    order = shop.shipped_order()

    recipients = {message.template: message.recipient for message in messages(order_id=order.id)}

    assert recipients == {"order_paid": BUYER_PHONE, "order_shipped": RECEIVER_PHONE}


def test_without_a_buyer_phone_payment_messages_go_to_the_receiver(shop):
    shop.paid_order(buyer_phone="")

    assert [message.recipient for message in messages()] == [RECEIVER_PHONE]


def test_the_shipped_message_names_the_carrier_and_the_waybill(shop):
    order = shop.shipped_order()

    [shipped] = messages(order_id=order.id, template="order_shipped")

    assert shipped.params == {"order_no": order.order_no, "carrier": "顺丰速运", "waybill_no": "SF1234567890"}


def test_signing_and_closing_unpaid_each_write_their_message(shop):
    shipped = shop.shipped_order()
    services.hand_over(shipped, ACTOR)
    services.sign(shipped, "carrier:sf")
    unpaid = shop.order()
    services.close_unpaid(unpaid)

    assert [m.template for m in messages(order_id=shipped.id)] == ["order_paid", "order_shipped", "order_signed"]
    assert [m.template for m in messages(order_id=unpaid.id)] == ["order_closed_unpaid"]


def test_events_without_a_message_write_nothing(shop):
    order = shop.paid_order()
    services.approve(order, ACTOR)
    services.pack(order, ACTOR)

    assert [m.event_key for m in messages()] == ["pay"]


def test_email_goes_to_the_invoice_address_and_wechat_to_a_known_openid(shop):
    shop.paid_order(invoice_email="zhang@example.com", openid=OPENID)

    sent_to = {(m.channel, m.recipient) for m in messages()}

    assert sent_to == {("sms", BUYER_PHONE), ("email", "zhang@example.com"), ("wechat", OPENID)}
    assert {m.phone for m in messages()} == {BUYER_PHONE}  # the customer each message concerns


def test_masked_and_virtual_numbers_get_no_sms(shop):
    order = shop.order(buyer_phone="")
    order.receiver_phone = "138****8000"
    services.pay(order, order.payable_fen, ACTOR)
    other = shop.order(buyer_phone="")
    other.receiver_phone = "18877771111-123"
    services.pay(other, other.payable_fen, ACTOR)

    assert messages() == []


def test_the_same_order_event_is_written_once_per_channel(shop):
    order = shop.paid_order()

    again = notify.order_changed(order, Action.PAY, {"paid_fen": order.payable_fen})
    services.pay(order, order.payable_fen, ACTOR)  # a late duplicate "paid" from the channel
    db.session.commit()

    [message] = messages()
    assert again == [message]
    assert queued_sends() == [message.id]


def test_the_database_refuses_a_second_row_for_the_same_order_event_and_channel(shop):
    order = shop.paid_order()
    db.session.add(Message(order_id=order.id, event_key="pay", channel="sms", recipient=BUYER_PHONE,
                           template="order_paid", params={}))

    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_messages_without_an_event_key_are_never_deduplicated(app_context):
    first = notifications.send_login_code("13800138000", "123456")
    second = notifications.send_login_code("138 0013 8000", "654321")
    db.session.commit()

    assert first.id != second.id
    assert first.recipient == second.recipient == "13800138000"
    assert queued_sends() == [first.id, second.id]


@pytest.mark.parametrize("recipient, channel, template, params, error", [
    ("12345", "sms", "login_code", {"code": "1"}, ValidationError),
    ("138****8000", "sms", "login_code", {"code": "1"}, ValidationError),
    ("not-an-address", "email", "order_paid", {"order_no": "X", "amount": "1.00"}, ValidationError),
    ("13800138000", "sms", "no_such_template", {}, TemplateError),
    ("13800138000", "sms", "order_paid", {"order_no": "X"}, TemplateError),
    ("a@example.com", "email", "login_code", {"code": "1"}, TemplateError),
    ("13800138000", "fax", "login_code", {"code": "1"}, ValueError),
])
def test_a_message_that_cannot_be_sent_is_refused_when_written(app_context, recipient, channel, template, params,
                                                               error):
    with pytest.raises(error):
        notifications.queue_message(recipient=recipient, channel=channel, template=template, params=params)
    assert messages() == []


def test_opting_out_is_per_phone_idempotent_and_normalised(app_context):
    notifications.opt_out_of_reminders("+86 139 0013 9000")
    notifications.opt_out_of_reminders("13900139000")

    assert notifications.opted_out("13900139000")
    assert not notifications.opted_out("13800138000")
    assert not notifications.opted_out("")
    with pytest.raises(ValidationError):
        notifications.opt_out_of_reminders("139****9000")
