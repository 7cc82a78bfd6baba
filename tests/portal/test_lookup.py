"""The lookup form: order number + phone, answered with a signed link, or the same refusal."""

import re

import pytest

from tests.conftest import htmx_headers
from tests.portal import orders
from tests.portal.conftest import look_up

NO_MATCH = "没有找到匹配的订单，请核对订单号和手机号"


def test_lookup_page_is_a_whole_portal_page(client):
    response = client.get("/portal/")

    assert response.status_code == 200
    assert "<html" in response.text
    assert 'id="lookup-panel"' in response.text
    assert "订单号" in response.text and "手机号" in response.text
    assert "HX-Request" in response.headers["Vary"]


def test_lookup_page_for_htmx_is_only_the_form_panel(client):
    response = client.get("/portal/", headers=htmx_headers())

    assert response.status_code == 200
    assert "<html" not in response.text
    assert response.text.lstrip().startswith('<section id="lookup-panel"')


@pytest.mark.parametrize("phone", [orders.RECEIVER_PHONE, orders.BUYER_PHONE, "+86 138-0013-8000"])
def test_receiver_or_buyer_phone_opens_the_order_through_a_signed_link(client, order, phone):
    response = look_up(client, order.order_no, phone)

    assert response.status_code == 303
    path = response.location.split("orderhub.test", 1)[-1]
    assert path.startswith("/portal/o/")
    assert order.order_no not in path
    page = client.get(path)
    assert page.status_code == 200
    assert order.order_no in page.text


def test_order_number_is_accepted_in_lower_case_with_spaces(client, order):
    response = look_up(client, f"  {order.order_no.lower()} ", orders.RECEIVER_PHONE)

    assert response.status_code == 303


def test_successful_htmx_lookup_navigates_with_hx_redirect(client, order):
    response = look_up(client, order.order_no, orders.RECEIVER_PHONE, headers=htmx_headers())

    assert response.status_code == 200
    assert response.headers["HX-Redirect"].startswith("/portal/o/")
    assert response.text == ""


def test_failed_lookup_shows_the_form_again_with_one_message(client, order):
    response = look_up(client, order.order_no, "13700001111")

    assert response.status_code == 422
    assert "<html" in response.text
    assert NO_MATCH in response.text
    assert order.order_no in response.text  # the number is kept so the customer can correct it


def test_failed_htmx_lookup_returns_the_form_panel(client, order):
    response = look_up(client, order.order_no, "13700001111", headers=htmx_headers())

    assert response.status_code == 422
    assert "<html" not in response.text
    assert NO_MATCH in response.text


def test_a_failed_form_never_writes_the_typed_phone_back(client, order):
    response = look_up(client, order.order_no, "13700001111")

    assert "13700001111" not in response.text


@pytest.mark.parametrize(("order_no", "phone", "message"), [
    ("12345", orders.RECEIVER_PHONE, "订单号格式不正确"),
    ("OH2611' OR 1=1 --", orders.RECEIVER_PHONE, "订单号格式不正确"),
    ("", orders.RECEIVER_PHONE, "请输入订单号"),
    ("OH26112500000000", "1380013800", "手机号格式不正确"),
    ("OH26112500000000", "abc", "手机号格式不正确"),
    ("OH26112500000000", "", "请输入下单或收货手机号"),
])
@pytest.mark.parametrize("htmx", [False, True])
def test_malformed_input_is_refused_in_chinese_with_422(client, order_no, phone, message, htmx):
    response = look_up(client, order_no, phone, headers=htmx_headers() if htmx else {})

    assert response.status_code == 422
    assert message in response.text
    assert NO_MATCH not in response.text
    assert ("<html" in response.text) is not htmx


def test_huge_and_odd_input_is_refused_without_an_error_page(client):
    response = look_up(client, "OH" + "9" * 10_000, "\x00😀<script>")

    assert response.status_code == 422
    assert "<script>" not in response.text


def test_a_stored_phone_in_another_format_still_matches(app, client, shop):
    from app.domain.orders.models import Order
    from app.extensions import db

    with app.app_context():
        placed = orders.place_order(shop)
        db.session.get(Order, placed.id).buyer_phone = "+86 139 1111 2222"  # as a channel might send it
        db.session.commit()

    assert look_up(client, placed.order_no, orders.BUYER_PHONE).status_code == 303


def test_the_login_page_links_to_the_portal_and_root_still_goes_to_staff(client):
    assert 'href="/portal/"' in client.get("/login").text
    assert client.get("/").location.endswith("/staff/")


def test_switching_language_after_a_failed_lookup_comes_back_to_the_form(client, order):
    page = look_up(client, order.order_no, "13700001111").text
    next_path = re.search(r'name="next" value="([^"]+)"', page)[1]

    assert next_path == "/portal/"
    response = client.post("/language/en", data={"next": next_path})
    assert client.get(response.location).status_code == 200
    assert "Find your order" in client.get("/portal/").text
