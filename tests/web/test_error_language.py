"""Domain errors reach people in their language; the API's JSON keeps its contract's Chinese messages."""

import pytest

from app.domain.errors import NotFound, ValidationError
from app.text import N_, Text
from app.web.errors import field_messages, translate
from tests.conftest import htmx_headers


def choose_english(client) -> None:
    client.post("/language/en", data={"next": "/staff/"})


def test_a_refused_transition_is_shown_in_english_on_an_english_page(client, login_as, make_order, shop):
    login_as("warehouse")
    choose_english(client)
    number = make_order("02")

    response = client.post(f"/staff/orders/{number}/ship_out",
                           data={"ship_out-carrier_id": shop.carrier_id, "ship_out-waybill_no": "SF1"})

    assert response.status_code == 409
    assert '<html lang="en">' in response.text
    assert "The order is “Paid”, so “Ship out” is not possible" in response.text
    assert "订单当前状态" not in response.text


def test_a_conflict_raised_by_the_domain_is_shown_in_english(client, login_as, make_order, shop):
    login_as("warehouse")
    choose_english(client)
    number = make_order("04", lines=(("PRE-001", 1),))

    response = client.post(f"/staff/orders/{number}/ship_out",
                           data={"ship_out-carrier_id": shop.carrier_id, "ship_out-waybill_no": "SF2"})

    assert response.status_code == 409
    assert "The order has pre-sale products that have not arrived and cannot ship" in response.text
    assert "预售商品" not in response.text


def test_a_field_error_with_a_value_is_shown_in_english(client, login_as, make_order):
    login_as("admin")
    choose_english(client)
    number = make_order("02")

    response = client.post(f"/staff/orders/{number}/refund", headers=htmx_headers(),
                           data={"refund-amount": "500.00", "refund-scope": "all", "refund-reason": "test",
                                 "refund-lines-0-sku": "SN-001", "refund-lines-0-quantity": ""})

    assert response.status_code == 422
    assert "The refund must be greater than 0 and at most the refundable 199.80" in response.text
    assert "退款金额" not in response.text


def test_the_same_refusal_stays_chinese_by_default(client, login_as, make_order, shop):
    login_as("warehouse")
    number = make_order("02")

    response = client.post(f"/staff/orders/{number}/ship_out",
                           data={"ship_out-carrier_id": shop.carrier_id, "ship_out-waybill_no": "SF1"})

    assert "订单当前状态为「已支付」，不能出库" in response.text


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "Order A1 does not exist"),
    ("zh_Hans_CN", "订单 A1 不存在"),
])
def test_translate_renders_the_template_in_the_request_language(app, language, expected):
    error = NotFound(N_("订单 %(order_no)s 不存在"), order_no="A1")

    with app.test_request_context(f"/?lang={language}"):
        assert translate(error.message) == expected


def test_values_that_are_texts_are_translated_too_and_plain_strings_pass_through(app):
    nested = Text(N_("%(reason)s，但包裹已发出，请核实退货"), reason=Text(N_("平台订单已关闭（%(status)s）"),
                                                                status="TRADE_CLOSED"))
    error = ValidationError({"sku": nested, "note": "已经是成品的文字"})

    with app.test_request_context("/?lang=en"):
        assert field_messages(error) == {
            "sku": "The platform order is closed (TRADE_CLOSED), but the parcel has already left; please check the return",
            "note": "已经是成品的文字",
        }

