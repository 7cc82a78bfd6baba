"""POST /orders/{no}/pay|cancel|refund and whole lifecycles through the API, with the stock they move."""

import pytest

from app.domain.orders import services
from app.domain.orders.consistency import stock_differences
from app.extensions import db
from tests import factories
from tests.api.conftest import Api, order_body


def stock_of(api: Api, code: str = "SKU-001") -> dict:
    figures = api.get(f"/stock/{code}").json["warehouses"][0]
    return {name: figures[name] for name in ("on_hand", "reserved", "locked", "available")}


def create(api: Api, **overrides) -> dict:
    response = api.post("/orders", json=order_body(**overrides))
    assert response.status_code == 201, response.json
    return response.json


def pay(api: Api, order: dict):
    return api.post(f"/orders/{order['order_no']}/pay",
                    json={"paid_amount": order["amounts"]["payable"], "paid_at": "2026-11-25T10:00:00+08:00",
                          "payment_ref": "WX-1"})


def ship_and_sign(order_no: str) -> None:
    """The warehouse and carrier steps, which the API does not offer, through the domain directly."""
    order = services.get_order(order_no, for_update=True)
    services.approve(order, "user:cangku")
    services.pack(order, "user:cangku")
    services.ship_out(order, factories.CarrierFactory(code="sf"), "SF1234567890", "user:cangku")
    services.hand_over(order, "carrier:sf")
    services.sign(order, "carrier:sf")
    db.session.commit()


def test_pay_locks_the_reserved_stock(api, sku):
    order = create(api)

    response = pay(api, order)

    assert response.status_code == 200, response.json
    assert (response.json["status"], response.json["status_name"]) == ("02", "已支付")
    assert response.json["amounts"]["paid"] == "108.00"
    assert response.json["paid_at"] == "2026-11-25T10:00:00+08:00"
    assert response.json["payment_ref"] == "WX-1"
    assert response.json["events"][-1] | {"at": None} == {
        "at": None, "actor": "api:miniapp", "action": "pay", "action_name": "支付", "from": "01", "to": "02",
        "note": ""}
    assert stock_of(api) == {"on_hand": 10, "reserved": 0, "locked": 2, "available": 8}


def test_paying_a_wrong_amount_is_422_and_changes_nothing(api, sku):
    order = create(api)

    response = api.post(f"/orders/{order['order_no']}/pay", json={"paid_amount": "100.00"})

    assert response.status_code == 422
    assert "paid_amount" in response.json["error"]["details"]["fields"]
    assert api.get(f"/orders/{order['order_no']}").json["status"] == "01"


@pytest.mark.parametrize(("body", "field"), [
    ({}, "paid_amount"), ({"paid_amount": 108.0}, "paid_amount"), ({"paid_amount": "108"} | {"paid_at": "soon"},
                                                                      "paid_at"),
])
def test_pay_body_errors_name_the_field(api, sku, body, field):
    order = create(api)

    response = api.post(f"/orders/{order['order_no']}/pay", json=body)

    assert response.status_code == 422
    assert field in response.json["error"]["details"]["fields"]


def test_paying_twice_is_a_no_op(api, sku):
    order = create(api)
    pay(api, order)

    again = pay(api, order)

    assert again.status_code == 200
    assert [event["action"] for event in again.json["events"]] == ["create", "pay"]
    assert stock_of(api)["locked"] == 2


def test_cancel_releases_the_reservation(api, sku):
    order = create(api)

    response = api.post(f"/orders/{order['order_no']}/cancel", json={"reason": "买家不想要了"})

    assert response.status_code == 200
    assert (response.json["status"], response.json["status_name"]) == ("00", "已关闭")
    assert response.json["events"][-1]["note"] == "买家不想要了"
    assert stock_of(api) == {"on_hand": 10, "reserved": 0, "locked": 0, "available": 10}
    assert stock_differences() == []


def test_cancel_needs_no_body(api, sku):
    order = create(api)

    response = api.post(f"/orders/{order['order_no']}/cancel")

    assert response.status_code == 200
    assert response.json["status"] == "00"


def test_cancelling_a_paid_order_is_409_naming_the_state(api, sku):
    order = create(api)
    pay(api, order)

    response = api.post(f"/orders/{order['order_no']}/cancel", json={"reason": "不要了"})

    assert response.status_code == 409
    error = response.json["error"]
    assert error["code"] == "invalid_transition"
    assert error["details"]["status"] == "02"
    assert error["details"]["status_name"] == "已支付"
    assert "已支付" in error["message"]
    assert stock_of(api)["locked"] == 2


def test_refunding_an_unpaid_order_is_409(api, sku):
    order = create(api)

    response = api.post(f"/orders/{order['order_no']}/refund", json={"amount": "108.00"})

    assert response.status_code == 409
    assert response.json["error"]["details"]["status"] == "01"


def test_full_lifecycle_create_pay_cancel_refused_refund_releases_the_lock(api, sku):
    order = create(api)
    assert stock_of(api) == {"on_hand": 10, "reserved": 2, "locked": 0, "available": 8}
    pay(api, order)
    assert api.post(f"/orders/{order['order_no']}/cancel", json={}).status_code == 409

    response = api.post(f"/orders/{order['order_no']}/refund",
                        json={"amount": "108.00", "reason": "缺货协商退款"})

    assert response.status_code == 200, response.json
    assert (response.json["status"], response.json["status_name"]) == ("R1", "已退款")
    assert response.json["amounts"]["refunded"] == "108.00"
    assert response.json["lines"][0]["refunded_qty"] == 2
    assert stock_of(api) == {"on_hand": 10, "reserved": 0, "locked": 0, "available": 10}
    assert stock_differences() == []


def test_partial_refund_of_one_line_before_shipping_releases_its_stock(api, sku):
    order = create(api, discount="0.00")
    pay(api, order)

    response = api.post(f"/orders/{order['order_no']}/refund",
                        json={"amount": "59.00", "lines": [{"sku": "SKU-001", "qty": 1}]})

    assert response.status_code == 200, response.json
    assert response.json["status"] == "02"
    assert response.json["lines"][0]["refunded_qty"] == 1
    assert response.json["events"][-1]["action"] == "partial_refund"
    assert stock_of(api) == {"on_hand": 10, "reserved": 0, "locked": 1, "available": 9}


def test_money_only_refund_without_lines_keeps_the_goods_and_the_stock(api, sku):
    order = create(api)
    pay(api, order)

    response = api.post(f"/orders/{order['order_no']}/refund", json={"amount": "8.00", "reason": "差价"})

    assert response.status_code == 200
    assert response.json["status"] == "02"
    assert response.json["amounts"]["refunded"] == "8.00"
    assert response.json["lines"][0]["refunded_qty"] == 0
    assert stock_of(api)["locked"] == 2


@pytest.mark.parametrize(("body", "field"), [
    ({"amount": "200.00"}, "amount"),
    ({"amount": 108.0}, "amount"),
    ({"amount": "0.00"}, "amount"),
    ({"amount": "10.00", "lines": [{"sku": "NOPE", "qty": 1}]}, "lines[0].sku"),
    ({"amount": "10.00", "lines": [{"sku": "SKU-001", "qty": 3}]}, "lines[0].qty"),
    ({"amount": "10.00", "lines": [{"sku": "SKU-001", "qty": 0}]}, "lines[0].qty"),
    ({"amount": "10.00", "restock": "yes"}, "restock"),
])
def test_refund_errors_name_the_field(api, sku, body, field):
    order = create(api)
    pay(api, order)

    response = api.post(f"/orders/{order['order_no']}/refund", json=body)

    assert response.status_code == 422, response.json
    assert field in response.json["error"]["details"]["fields"]
    assert api.get(f"/orders/{order['order_no']}").json["amounts"]["refunded"] == "0.00"


def test_refund_with_restock_after_delivery_puts_the_goods_back(api, sku):
    order = create(api, discount="0.00")
    pay(api, order)
    ship_and_sign(order["order_no"])
    assert stock_of(api) == {"on_hand": 8, "reserved": 0, "locked": 0, "available": 8}

    response = api.post(f"/orders/{order['order_no']}/refund",
                        json={"amount": "59.00", "lines": [{"sku": "SKU-001", "qty": 1}], "restock": True,
                              "reason": "七天无理由退货"})

    assert response.status_code == 200, response.json
    assert response.json["status"] == "07"
    assert stock_of(api) == {"on_hand": 9, "reserved": 0, "locked": 0, "available": 9}

    rest = api.post(f"/orders/{order['order_no']}/refund", json={"amount": "59.00", "restock": True})

    assert rest.json["status"] == "R1"
    assert stock_of(api)["on_hand"] == 10
    assert stock_differences() == []


def test_refund_after_delivery_without_restock_leaves_stock_alone(api, sku):
    order = create(api, discount="0.00")
    pay(api, order)
    ship_and_sign(order["order_no"])

    response = api.post(f"/orders/{order['order_no']}/refund", json={"amount": "118.00"})

    assert response.json["status"] == "R1"
    assert stock_of(api)["on_hand"] == 8


def test_create_then_cancel_releases_everything(api, sku):
    order = create(api, lines=[{"sku": "SKU-001", "qty": 10}], discount="0.00")
    assert stock_of(api)["available"] == 0
    assert api.post("/orders", json=order_body(external_id="another")).json["error"]["code"] == "out_of_stock"

    api.post(f"/orders/{order['order_no']}/cancel", json={"reason": "超时"})

    assert stock_of(api)["available"] == 10
    assert api.post("/orders", json=order_body(external_id="another")).status_code == 201


def ship(order_no: str) -> None:
    """Shipped out (05) through the domain: the API leaves the warehouse steps to the WMS."""
    order = services.get_order(order_no, for_update=True)
    services.approve(order, "user:cangku")
    services.pack(order, "user:cangku")
    services.ship_out(order, factories.CarrierFactory(code="sf"), "SF1234567890", "user:cangku")
    db.session.commit()


@pytest.mark.parametrize("carrier_steps", [0, 1, 2])
def test_complete_is_accepted_from_shipped_in_transit_and_signed(api, sku, carrier_steps):
    order = create(api)
    pay(api, order)
    ship(order["order_no"])
    domain_order = services.get_order(order["order_no"], for_update=True)
    for step in (services.hand_over, services.sign)[:carrier_steps]:
        step(domain_order, "carrier:sf")
    db.session.commit()

    response = api.post(f"/orders/{order['order_no']}/complete", key=f"done-{carrier_steps}")
    again = api.post(f"/orders/{order['order_no']}/complete")

    assert response.status_code == 200, response.json
    assert (response.json["status"], again.status_code, again.json["status"]) == ("08", 200, "08")
    assert response.json["events"][-1]["action"] == "complete"
    assert [event["action"] for event in response.json["events"]].count("sign") == 1
    assert services.get_order(order["order_no"]).completed_at is not None


def test_completing_an_order_not_shipped_is_409_naming_the_state(api, sku):
    order = create(api)
    pay(api, order)

    response = api.post(f"/orders/{order['order_no']}/complete")

    assert response.status_code == 409
    assert (response.json["error"]["code"], response.json["error"]["details"]["status"]) == ("invalid_transition",
                                                                                              "02")
    assert services.get_order(order["order_no"]).completed_at is None
