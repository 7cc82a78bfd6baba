"""The staff side: the queue of messages that did not go out, resending one, the simulators' inbox, and
who may open them (customer service, operations, admin)."""

import pytest

from app.db import utcnow
from app.domain.notifications import services as notifications
from app.domain.notifications.models import MessageStatus
from app.domain.notifications.outbox import claim, record_failure
from app.extensions import db
from tests.conftest import htmx_headers
from tests.notifications.conftest import messages, queued_sends


@pytest.fixture
def failed(app, shop):
    """A paid order whose SMS failed for good; returns (message id, order number)."""
    order = shop.paid_order()
    [message] = messages()
    record_failure(claim(message.id, utcnow()), "isv.MOBILE_NUMBER_ILLEGAL：非法手机号", transient=False,
                   now=utcnow())
    ids = message.id, order.order_no
    db.session.commit()
    return ids


@pytest.mark.parametrize("role", ["customer_service", "operations", "admin"])
def test_the_failed_queue_shows_the_providers_error_and_a_resend_button(client, login_as, failed, role):
    message_id, order_no = failed
    login_as(role)

    response = client.get("/staff/notifications")

    assert response.status_code == 200
    assert "<html" in response.text
    assert order_no in response.text
    assert "isv.MOBILE_NUMBER_ILLEGAL：非法手机号" in response.text
    assert f"/staff/notifications/{message_id}/resend" in response.text
    assert "支付成功" in response.text and "实付59.00元" in response.text


def test_the_queue_refreshed_by_htmx_returns_only_its_panel(client, login_as, failed):
    login_as("customer_service")

    response = client.get("/staff/notifications", headers=htmx_headers())

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="notifications-panel"')
    assert "<html" not in response.text
    assert "HX-Request" in response.headers["Vary"]


def test_other_tabs_list_their_messages(client, login_as, failed, app):
    with app.app_context():
        notifications.send_login_code("13700137000", "246810")
        db.session.commit()
    login_as("customer_service")

    pending = client.get("/staff/notifications?status=pending")
    failed_tab = client.get("/staff/notifications?status=failed")

    assert "13700137000" in pending.text
    assert "246810" not in pending.text and "您的验证码为******" in pending.text  # staff never see codes
    assert "13700137000" not in failed_tab.text


@pytest.mark.parametrize("role", ["warehouse", "finance", "finance_supervisor"])
def test_roles_outside_customer_service_and_operations_are_refused(client, login_as, failed, role):
    message_id, _order_no = failed
    login_as(role)

    assert client.get("/staff/notifications").status_code == 403
    assert client.get("/staff/notifications/simulator").status_code == 403
    assert client.post(f"/staff/notifications/{message_id}/resend").status_code == 403


def test_anonymous_visitors_are_sent_to_login(client, failed):
    message_id, _order_no = failed

    for response in (client.get("/staff/notifications"), client.post(f"/staff/notifications/{message_id}/resend")):
        assert response.status_code == 302 and "/login" in response.location


def test_resend_writes_a_new_message_linked_to_the_original(client, login_as, failed, app):
    message_id, order_no = failed
    login_as("customer_service", username="kefu")

    response = client.post(f"/staff/notifications/{message_id}/resend", data={"next": f"/staff/orders/{order_no}"})
    again = client.post(f"/staff/notifications/{message_id}/resend")  # a double click

    assert response.status_code == 303 and response.location.endswith(f"/staff/orders/{order_no}")
    assert again.status_code == 303 and again.location.endswith("/staff/notifications")
    with app.app_context():
        original, copy = messages()
        assert original.status == MessageStatus.FAILED
        assert (copy.resend_of_id, copy.event_key, copy.created_by) == (message_id, None, "user:kefu")
        assert (copy.recipient, copy.template, copy.params) == (original.recipient, original.template, original.params)
        assert copy.status == MessageStatus.QUEUED
        assert queued_sends()[-1] == copy.id


def test_resend_refuses_to_leave_our_pages(client, login_as, failed):
    message_id, _order_no = failed
    login_as("customer_service")

    response = client.post(f"/staff/notifications/{message_id}/resend", data={"next": "https://evil.example/"})

    assert response.location.endswith("/staff/notifications")


def test_a_login_code_is_not_resent(client, login_as, app):
    with app.app_context():
        code = notifications.send_login_code("13700137000", "246810")
        db.session.commit()
        code_id = code.id
    login_as("customer_service")

    response = client.post(f"/staff/notifications/{code_id}/resend", follow_redirects=True)

    assert "验证码不能重发" in response.text
    with app.app_context():
        assert len(messages()) == 1


def test_resending_a_message_that_does_not_exist_is_a_404(client, login_as):
    login_as("customer_service")

    assert client.post("/staff/notifications/999999/resend").status_code == 404


def test_the_simulator_page_shows_what_the_customer_received(client, login_as, app, simulators, shop):
    shop.paid_order()
    db.session.commit()
    from tests.conftest import run_worker

    run_worker()
    login_as("operations")

    page = client.get("/staff/notifications/simulator")
    fragment = client.get("/staff/notifications/simulator?channel=sms", headers=htmx_headers())

    assert page.status_code == 200 and "<html" in page.text
    assert "【小满生活】您的订单" in page.text and "13900139000" in page.text
    assert fragment.text.lstrip().startswith('<section id="simulator-inbox"') and "<html" not in fragment.text
    assert "【小满生活】您的订单" in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]


def test_the_simulator_page_says_so_when_the_simulators_are_not_running(client, login_as, app, monkeypatch):
    from tests.notifications.conftest import free_port

    monkeypatch.setitem(app.config, "MESSAGING_SIMULATOR_URL", f"http://127.0.0.1:{free_port()}")
    login_as("customer_service")

    response = client.get("/staff/notifications/simulator")

    assert response.status_code == 200
    assert "模拟器没有运行" in response.text


def test_the_menu_shows_notifications_to_customer_service(client, login_as):
    login_as("customer_service")

    menu = client.get("/staff/").text

    assert "/staff/notifications" in menu and "/staff/notifications/simulator" in menu


def test_resending_a_reminder_to_a_phone_that_opted_out_says_it_was_not_sent(client, login_as, app, shop):
    order = shop.order()
    reminder = notifications.queue_message(recipient=order.buyer_phone, channel="sms", template="payment_reminder",
                                           params={"order_no": order.order_no, "close_time": "12:00"},
                                           order_id=order.id, event_key="remind_payment")
    reminder_id = reminder.id
    notifications.opt_out_of_reminders(order.buyer_phone)
    db.session.commit()
    login_as("customer_service")

    response = client.post(f"/staff/notifications/{reminder_id}/resend", follow_redirects=True)

    assert "未重发：客户已退订催付提醒" in response.text


def test_the_order_timeline_shows_its_messages_with_a_resend_button(client, login_as, failed):
    message_id, order_no = failed
    login_as("customer_service")

    page = client.get(f"/staff/orders/{order_no}")

    assert page.status_code == 200
    assert "短信 · 支付成功" in page.text and "isv.MOBILE_NUMBER_ILLEGAL：非法手机号" in page.text
    assert f"/staff/notifications/{message_id}/resend" in page.text


def test_the_warehouse_sees_an_orders_messages_but_cannot_resend_them(client, login_as, failed):
    message_id, order_no = failed
    login_as("warehouse")

    page = client.get(f"/staff/orders/{order_no}")

    assert "短信 · 支付成功" in page.text
    assert f"/staff/notifications/{message_id}/resend" not in page.text
