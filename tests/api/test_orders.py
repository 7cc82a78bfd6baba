"""POST/GET /orders: creation with stock reservation, the natural key, validation, lists and isolation."""

import pytest

from app.domain.orders.models import Order
from app.extensions import db
from tests import factories
from tests.api.conftest import VALID_TAX_ID, Api, count, order_body, receive


def test_create_order_reserves_stock_and_answers_201(api, sku, channel):
    response = api.post("/orders", json=order_body())

    assert response.status_code == 201, response.json
    order = response.json
    assert order["order_no"].startswith("OH")
    assert (order["status"], order["status_name"]) == ("01", "待支付")
    assert order["channel"] == "miniapp"
    assert order["amounts"] == {"goods": "118.00", "discount": "10.00", "shipping": "0.00", "payable": "108.00",
                                "paid": "0.00", "refunded": "0.00"}
    assert order["lines"][0]["line_id"] > 0
    assert order["lines"] == [{"line_id": order["lines"][0]["line_id"], "sku": "SKU-001", "name": "保温杯", "qty": 2,
                               "unit_price": "59.00",
                               "discount": "10.00", "amount": "108.00", "is_gift": False, "refunded_qty": 0}]
    assert order["payment_due_at"].endswith("+08:00")
    assert order["warehouse"] == "WH-SH"
    assert [(e["action"], e["actor"], e["from"], e["to"]) for e in order["events"]] == [
        ("create", "api:miniapp", None, "01")]
    stock = api.get("/stock/SKU-001").json
    assert stock["warehouses"][0] == {"warehouse": "WH-SH", "on_hand": 10, "reserved": 2, "locked": 0,
                                           "safety": 0, "available": 8}


def test_the_same_external_id_returns_the_existing_order_with_200(api, sku):
    first = api.post("/orders", json=order_body())
    again = api.post("/orders", json=order_body(lines=[{"sku": "SKU-001", "qty": 1}]))

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["order_no"] == first.json["order_no"]
    assert again.json["lines"][0]["qty"] == 2
    assert api.get("/stock/SKU-001").json["available"] == 8  # reserved once


def test_bundle_order_reserves_its_components(api, warehouse, sku):
    lid = factories.SkuFactory(code="LID-01", name="杯盖", price_fen=500)
    receive(warehouse, lid, 3)
    bundle = factories.SkuFactory(code="GIFT-SET", name="礼盒", price_fen=9900)
    factories.BundleComponentFactory(bundle=bundle, component=sku, quantity=2)
    factories.BundleComponentFactory(bundle=bundle, component=lid, quantity=1)

    response = api.post("/orders", json=order_body(lines=[{"sku": "GIFT-SET", "qty": 2}], discount="0.00"))

    assert response.status_code == 201, response.json
    line = response.json["lines"][0]
    assert line["components"] == [{"sku": "SKU-001", "name": "保温杯", "qty": 4},
                                  {"sku": "LID-01", "name": "杯盖", "qty": 2}]
    assert response.json["amounts"]["payable"] == "198.00"
    assert api.get("/stock/GIFT-SET").json["available"] == 1  # lids: 1 left; cups: 6 left → 3 sets


def test_out_of_stock_is_409_naming_the_skus_and_leaves_no_order(api, sku):
    before = count(Order)

    response = api.post("/orders", json=order_body(lines=[{"sku": "SKU-001", "qty": 11}], discount="0.00"))

    assert response.status_code == 409
    error = response.json["error"]
    assert error["code"] == "out_of_stock"
    assert error["details"]["lines"] == [{"sku": "SKU-001", "requested": 11, "available": 10}]
    assert count(Order) == before
    assert api.get("/stock/SKU-001").json["available"] == 10


@pytest.mark.parametrize(("change", "field"), [
    ({"lines": [{"sku": "NOPE", "qty": 1}]}, "lines[0].sku"),
    ({"lines": [{"sku": "SKU-001", "qty": 0}]}, "lines[0].qty"),
    ({"lines": [{"sku": "SKU-001", "qty": -3}]}, "lines[0].qty"),
    ({"lines": [{"sku": "SKU-001", "qty": 1.5}]}, "lines[0].qty"),
    ({"lines": [{"sku": "SKU-001", "qty": "2"}]}, "lines[0].qty"),
    ({"lines": []}, "lines"),
    ({"lines": "SKU-001"}, "lines"),
    ({"receiver": dict(order_body()["receiver"], phone="12345")}, "receiver.phone"),
    ({"receiver": "上海"}, "receiver"),
    ({"buyer": {"name": "张三", "phone": "999"}}, "buyer.phone"),
    ({"invoice": {"title_type": "company", "title": "某某科技有限公司", "tax_id": "91350100M000100Y44"}},
     "invoice.tax_id"),
    ({"invoice": {"title_type": "company", "title": "某某科技有限公司"}}, "invoice.tax_id"),
    ({"invoice": {"title_type": "boss", "title": "某某"}}, "invoice.title_type"),
    ({"discount": "ten"}, "discount"),
    ({"discount": "10.001"}, "discount"),
    ({"discount": 10.0}, "discount"),
    ({"discount": 10}, "discount"),
    ({"shipping_fee": "-1.00"}, "shipping_fee"),
    ({"lines": [{"sku": "SKU-001", "qty": 1, "unit_price": 59.0}]}, "lines[0].unit_price"),
    ({"lines": [{"sku": "SKU-001", "qty": 1, "unit_price": "1e3"}]}, "lines[0].unit_price"),
    ({"discount": "999.00"}, "discount"),
    ({"external_id": 123}, "external_id"),
    ({"external_id": "x" * 65}, "external_id"),
    ({"remark": "很" * 501}, "remark"),
    ({"lines": [{"sku": "SKU-001", "qty": 100_000, "unit_price": "9999999.99"}]}, "lines"),
    ({"lines": [{"sku": "SKU-001", "qty": 1, "unit_price": "99999999.99"}]}, "lines[0].unit_price"),
    ({"receiver": dict(order_body()["receiver"], address="路" * 201)}, "receiver.address"),
])
def test_bad_input_is_422_naming_the_field(api, sku, change, field):
    before = count(Order)

    response = api.post("/orders", json=order_body(**change))

    assert response.status_code == 422, response.json
    error = response.json["error"]
    assert error["code"] == "validation_error"
    assert field in error["details"]["fields"], error
    assert count(Order) == before


def test_several_bad_fields_are_named_at_once(api, sku):
    body = order_body(lines=[{"sku": "SKU-001", "qty": "two"}, {"sku": "NOPE", "qty": 1}],
                      receiver=dict(order_body()["receiver"], phone="12345", address=""))

    fields = api.post("/orders", json=body).json["error"]["details"]["fields"]

    assert {"lines[0].qty", "lines[1].sku", "receiver.phone", "receiver.address"} <= set(fields)


def test_a_valid_company_invoice_is_kept(api, sku):
    invoice = {"title_type": "company", "title": "某某科技有限公司", "tax_id": VALID_TAX_ID, "email": "a@b.cn"}

    response = api.post("/orders", json=order_body(invoice=invoice))

    assert response.status_code == 201
    assert response.json["invoice"] == invoice


@pytest.mark.parametrize("data", ["{not json", "[1, 2]", '"text"', ""])
def test_a_body_that_is_not_a_json_object_is_422(api, sku, data):
    response = api.post("/orders", data=data, content_type="application/json")

    assert response.status_code == 422
    assert "body" in response.json["error"]["details"]["fields"]


def test_list_orders_is_newest_first_paginated_and_only_the_channel_s_own(api, sku, make_token, other_channel):
    numbers = [api.post("/orders", json=order_body(external_id=f"MP-{n}", lines=[{"sku": "SKU-001", "qty": 1}],
                                                   discount="0.00")).json["order_no"] for n in range(3)]
    other = Api(api.client, make_token(["orders"], other_channel))
    other.post("/orders", json=order_body(external_id="POS-1", lines=[{"sku": "SKU-001", "qty": 1}], discount="0.00"))

    first = api.get("/orders?per_page=2")
    second = api.get("/orders?per_page=2&page=2")

    assert first.status_code == 200
    assert [o["order_no"] for o in first.json["orders"]] == numbers[::-1][:2]
    assert first.json["next_page"] == 2
    assert [o["order_no"] for o in second.json["orders"]] == numbers[:1]
    assert second.json["next_page"] is None
    assert "events" not in first.json["orders"][0]


def test_list_orders_filters(api, sku):
    created = api.post("/orders", json=order_body()).json

    by_external_id = api.get("/orders?external_id=MP20261125000123").json["orders"]
    by_status = api.get("/orders?status=02").json["orders"]
    since_before = api.get("/orders", query_string={"updated_since": "2000-01-01T00:00:00+08:00"}).json["orders"]
    since_after = api.get("/orders", query_string={"updated_since": "2999-01-01T00:00:00"}).json["orders"]

    assert [o["order_no"] for o in by_external_id] == [created["order_no"]]
    assert by_status == []
    assert len(since_before) == 1
    assert since_after == []


@pytest.mark.parametrize(("query", "field"), [
    ("status=99", "status"), ("updated_since=yesterday", "updated_since"), ("page=0", "page"),
    ("page=abc", "page"),
])
def test_list_orders_refuses_bad_filters(api, query, field):
    response = api.get(f"/orders?{query}")

    assert response.status_code == 422
    assert field in response.json["error"]["details"]["fields"]


def test_get_order_shows_lines_amounts_and_events(api, sku):
    order_no = api.post("/orders", json=order_body()).json["order_no"]

    response = api.get(f"/orders/{order_no}")

    assert response.status_code == 200
    assert response.json["order_no"] == order_no
    assert response.json["amounts"]["payable"] == "108.00"
    event = response.json["events"][0]
    assert set(event) >= {"at", "actor", "action", "from", "to", "note"}
    assert event["at"].endswith("+08:00")


def test_another_channel_s_order_is_404_like_a_missing_one(api, sku, make_token, other_channel):
    order_no = api.post("/orders", json=order_body()).json["order_no"]
    other = Api(api.client, make_token(["orders"], other_channel))

    foreign = other.get(f"/orders/{order_no}")
    missing = other.get("/orders/OH00000000000000")
    foreign_pay = other.post(f"/orders/{order_no}/pay", json={"paid_amount": "108.00"})

    assert foreign.status_code == missing.status_code == foreign_pay.status_code == 404
    assert foreign.json["error"]["code"] == "not_found"
    assert foreign.json["error"]["message"] == f"订单 {order_no} 不存在"
    assert api.get(f"/orders/{order_no}").json["status"] == "01"


def test_an_inactive_channel_s_token_is_refused(api, sku, channel):
    channel.active = False
    db.session.flush()

    response = api.post("/orders", json=order_body())

    assert response.status_code == 401
    assert count(Order) == 0
