"""Hardening item 7 on the portal: someone who knows a customer's phone number, but is elsewhere,
cannot use up that customer's lookups or login texts."""

from tests.portal import orders
from tests.portal.conftest import look_up
from tests.portal.test_code_login import request_code

UNKNOWN_ORDER_NO = "OH26010100000000"
ATTACKER = {"REMOTE_ADDR": "198.51.100.7"}
ATTACKER_NEIGHBOUR = {"REMOTE_ADDR": "198.51.100.200"}
CUSTOMER = {"REMOTE_ADDR": "203.0.113.5"}


def test_failed_lookups_elsewhere_do_not_lock_the_customer_out(client, order):
    for _ in range(10):
        assert look_up(client, UNKNOWN_ORDER_NO, orders.RECEIVER_PHONE, environ_base=ATTACKER).status_code == 422

    assert look_up(client, order.order_no, orders.RECEIVER_PHONE, environ_base=ATTACKER).status_code == 429
    assert look_up(client, order.order_no, orders.RECEIVER_PHONE, environ_base=ATTACKER_NEIGHBOUR
                   ).status_code == 429  # the same /24
    assert look_up(client, order.order_no, orders.RECEIVER_PHONE, environ_base=CUSTOMER).status_code == 303


def test_right_lookups_never_use_up_the_phones_bucket(client, order):
    for _ in range(12):
        assert look_up(client, order.order_no, orders.RECEIVER_PHONE, environ_base=CUSTOMER).status_code == 303


def test_code_requests_elsewhere_leave_the_customer_a_code(client):
    for _ in range(5):
        assert request_code(client, environ_base=ATTACKER).status_code == 200
    assert request_code(client, environ_base=ATTACKER).status_code == 429

    assert request_code(client, environ_base=CUSTOMER).status_code == 200


def test_texts_to_one_phone_are_capped_from_anywhere(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "PORTAL_CODE_LIMIT_PER_PHONE_ANYWHERE", "3 per day")
    answers = [request_code(client, environ_base={"REMOTE_ADDR": f"192.0.{number}.1"}).status_code
               for number in range(4)]

    assert answers == [200, 200, 200, 429]
