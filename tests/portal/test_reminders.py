"""不再接收催付提醒: the order page's opt-out, through the notifications service."""

from app.domain.notifications import services as notifications
from app.extensions import db
from tests.conftest import htmx_headers
from tests.portal import orders
from tests.portal.conftest import order_link


def opted_out(app, phone: str) -> bool:
    with app.app_context():
        return notifications.opted_out(phone)


def test_the_page_offers_to_stop_payment_reminders(client, order):
    html = client.get(order_link(client, order.order_no)).text

    assert "不再接收催付提醒" in html


def test_stopping_reminders_opts_out_the_phone_the_customer_proved(app, client, order):
    link = order_link(client, order.order_no, orders.BUYER_PHONE)

    response = client.post(f"{link}/reminders/stop")

    assert response.status_code == 303
    assert response.location.endswith(link)
    assert opted_out(app, orders.BUYER_PHONE)
    assert not opted_out(app, orders.RECEIVER_PHONE)
    page = client.get(link).text
    assert "已为你关闭催付提醒" in page
    assert 'data-testid="reminders-off"' in page


def test_stopping_reminders_with_htmx_swaps_the_section(app, client, order):
    link = order_link(client, order.order_no)

    response = client.post(f"{link}/reminders/stop", headers=htmx_headers())

    assert response.status_code == 200
    assert '<section id="reminders"' in response.text
    assert "<html" not in response.text
    assert "已关闭催付提醒" in response.text
    assert opted_out(app, orders.RECEIVER_PHONE)


def test_stopping_twice_is_harmless(app, client, order):
    link = order_link(client, order.order_no)

    client.post(f"{link}/reminders/stop")
    assert client.post(f"{link}/reminders/stop").status_code == 303
    assert opted_out(app, orders.RECEIVER_PHONE)


def test_a_landline_gets_no_reminder_section(app, client, shop):
    with app.app_context():
        placed = orders.place_order(shop, receiver_phone="02162345678")
        db.session.commit()

    html = client.get(order_link(client, placed.order_no, "021-62345678")).text

    assert "不再接收催付提醒" not in html


def test_a_bad_link_cannot_opt_anybody_out(app, client, order):
    response = client.post("/portal/o/not-a-real-token/reminders/stop")

    assert response.status_code == 404
    assert not opted_out(app, orders.RECEIVER_PHONE)
