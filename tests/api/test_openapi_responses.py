"""Every endpoint, called for real (happy paths and the main refusals), answers with a status the published
document lists and a body that validates against the schema documented for it: a serializer that drifts
from the document (a renamed, retyped, missing or undocumented field) fails here."""

import pytest

from app.domain.invoicing import reversal
from app.domain.invoicing.models import Invoice
from app.extensions import db
from tests import factories
from tests.api.conftest import VALID_TAX_ID, Api, order_body
from tests.api.openapi_check import check_response, strict_components
from tests.api.test_invoices import issue
from tests.api.test_openapi import app_routes
from tests.api.test_order_actions import ship_and_sign

CUP = {"name": "保温杯 500ml", "weight_g": 500, "price": "59.00", "tax_rate": "0.13"}
INVOICE = {"title_type": "company", "title": "某某科技有限公司", "tax_id": VALID_TAX_ID}


class CheckedApi:
    """Calls the API and checks each answer against the document."""

    def __init__(self, api: Api, document: dict):
        self.api = api
        self.document = document

    def call(self, method: str, path: str, expected: int, **kwargs):
        response = self.api.request(method, path, **kwargs)
        assert response.status_code == expected, (method, path, response.get_json())
        check_response(self.document, method, path, response)
        return response.get_json()


@pytest.fixture
def checked(api) -> CheckedApi:
    document = api.get("/openapi.json", token=None).get_json()
    return CheckedApi(api, strict_components(document))


def test_catalog_warehouses_and_stock_answer_as_documented(checked, sku, make_token, client):
    checked.call("PUT", "/skus/CUP-500", 201, json=CUP)
    checked.call("PUT", "/skus/CUP-500", 200, json={"price": "69.90"})
    checked.call("PUT", "/skus/GIFT-SET", 201, json={"name": "礼盒", "components": [{"sku": "SKU-001", "qty": 2}]})
    checked.call("PUT", "/skus/NEW-1", 422, json={"price": 59.0})
    checked.call("GET", "/skus/GIFT-SET", 200)
    checked.call("GET", "/skus/NOPE", 404)
    checked.call("GET", "/warehouses", 200)
    checked.call("GET", "/openapi.json", 200, token=None)
    checked.call("POST", "/stock/receipts", 201,
                 json={"warehouse": "WH-SH", "reference": "PO-1", "lines": [{"sku": "CUP-500", "qty": 5}]})
    checked.call("POST", "/stock/receipts", 422, json={"warehouse": "WH-XX", "lines": []})
    checked.call("POST", "/stock/adjustments", 201,
                 json={"warehouse": "WH-SH", "sku": "SKU-001", "counted": 9, "reason": "盘点"})
    checked.call("POST", "/stock/adjustments", 422, json={"warehouse": "WH-SH", "sku": "NOPE"})
    checked.call("GET", "/stock/SKU-001", 200)
    checked.call("GET", "/stock/GIFT-SET", 200)
    checked.call("GET", "/stock/NOPE", 404)
    read_only = CheckedApi(Api(client, make_token(["orders"])), checked.document)
    read_only.call("POST", "/stock/receipts", 403, json={})
    read_only.call("GET", "/warehouses", 401, token=None)


def test_orders_and_their_actions_answer_as_documented(checked, sku):
    created = checked.call("POST", "/orders", 201, json=order_body(), key="create-1")
    order_no = created["order_no"]
    checked.call("POST", "/orders", 201, json=order_body(), key="create-1")  # replayed
    checked.call("POST", "/orders", 200, json=order_body())  # the same external_id
    checked.call("POST", "/orders", 409, json=order_body(external_id="BIG", lines=[{"sku": "SKU-001", "qty": 99}]))
    checked.call("POST", "/orders", 409, json=order_body(external_id="OTHER"), key="create-1")
    checked.call("POST", "/orders", 422, json=order_body(lines=[{"sku": "NOPE", "qty": "2"}]))
    checked.call("POST", "/orders", 422, data="{not json", content_type="application/json")
    checked.call("GET", "/orders", 200)
    checked.call("GET", "/orders?status=01&per_page=1", 200)
    checked.call("GET", "/orders?page=0", 422)
    checked.call("GET", f"/orders/{order_no}", 200)
    checked.call("GET", "/orders/OH00000000000000", 404)
    checked.call("POST", f"/orders/{order_no}/refund", 409, json={"amount": "1.00"})
    checked.call("POST", f"/orders/{order_no}/pay", 422, json={"paid_amount": "1.00"})
    checked.call("POST", f"/orders/{order_no}/pay", 200,
                 json={"paid_amount": "108.00", "paid_at": "2026-11-25T10:00:00+08:00", "payment_ref": "WX-1"})
    checked.call("POST", f"/orders/{order_no}/cancel", 409, json={"reason": "不要了"})
    checked.call("POST", f"/orders/{order_no}/refund", 422, json={"amount": "1.00", "restock": "yes"})
    checked.call("POST", f"/orders/{order_no}/refund", 200,
                 json={"amount": "59.00", "lines": [{"sku": "SKU-001", "qty": 1}], "reason": "部分退款"})
    third = checked.call("POST", "/orders", 201, json=order_body(external_id="MP-3",
                                                                 lines=[{"sku": "SKU-001", "qty": 1}]))
    checked.call("POST", f"/orders/{third['order_no']}/pay", 200, json={"paid_amount": "49.00"})
    checked.call("POST", f"/orders/{third['order_no']}/shipments", 422, json={"carrier": "NOPE", "waybill_no": "1"})
    factories.CarrierFactory(code="SF", name="顺丰速运")
    checked.call("POST", f"/orders/{third['order_no']}/shipments", 201, json={"carrier": "SF", "waybill_no": "SF1"})
    checked.call("POST", f"/orders/{third['order_no']}/shipments", 409, json={"carrier": "SF", "waybill_no": "SF2"})
    checked.call("GET", f"/orders/{third['order_no']}", 200)
    second = checked.call("POST", "/orders", 201, json=order_body(external_id="MP-2"))
    checked.call("POST", f"/orders/{second['order_no']}/cancel", 200)


def test_invoices_answer_as_documented(app, checked, sku):
    order_no = checked.call("POST", "/orders", 201, json=order_body())["order_no"]
    checked.call("POST", f"/orders/{order_no}/invoices", 422, json=INVOICE)  # not paid: nothing to invoice
    checked.call("POST", f"/orders/{order_no}/pay", 200, json={"paid_amount": "108.00"})
    checked.call("POST", f"/orders/{order_no}/invoices", 422, json=INVOICE | {"tax_id": "123"})
    invoice = checked.call("POST", f"/orders/{order_no}/invoices", 201, json=INVOICE)
    checked.call("POST", f"/orders/{order_no}/invoices", 409, json=INVOICE)
    checked.call("POST", "/orders/OH00000000000000/invoices", 404, json=INVOICE)
    checked.call("GET", f"/orders/{order_no}/invoices", 200)
    checked.call("GET", "/orders/OH00000000000000/invoices", 404)
    checked.call("GET", f"/invoices/{invoice['id']}/pdf", 404)
    checked.call("POST", f"/orders/{order_no}/complete", 409)  # paid, not shipped yet
    checked.call("POST", "/orders/OH00000000000000/complete", 404)
    ship_and_sign(order_no)
    checked.call("POST", f"/orders/{order_no}/complete", 200)
    issue(app, invoice["id"], "26310000000000000202")
    red = reversal.reverse(db.session.get(Invoice, invoice["id"]), "2", "user:caiwu")
    db.session.commit()
    listed = checked.call("GET", f"/orders/{order_no}/invoices", 200)["invoices"]
    assert [each["amounts"]["total"] for each in listed] == ["108.00", "-108.00"] and listed[1]["id"] == red.id
    checked.call("GET", f"/invoices/{invoice['id']}/pdf", 200)


def test_warehouses_carriers_rate_cards_and_plans_answer_as_documented(checked, sku):
    card = {"rates": [{"from": "上海", "to": "浙江", "first_kg": "1", "first_price": "6.00",
                       "additional_price_per_kg": "2.00", "days": 1}], "unserved": ["西藏"]}
    checked.call("PUT", "/carriers/ZTO", 201, json={"name": "中通快递", "tracking_code": "zhongtong"})
    checked.call("PUT", "/carriers/ZTO", 200, json={"active": True})
    checked.call("PUT", "/carriers/ZTO", 422, json={"tracking_code": "x y"})
    checked.call("GET", "/carriers", 200)
    checked.call("PUT", "/carriers/ZTO/rate-card", 200, json=card)
    checked.call("PUT", "/carriers/ZTO/rate-card", 422, json=card | {"unserved": ["火星"]})
    checked.call("PUT", "/carriers/NOPE/rate-card", 404, json=card)
    checked.call("PUT", "/warehouses/WH-HZ", 201, json={"name": "杭州仓", "province": "浙江", "city": "杭州"})
    checked.call("PUT", "/warehouses/WH-HZ", 200, json={"carriers": ["ZTO"]})
    checked.call("PUT", "/warehouses/WH-HZ", 422, json={"province": "火星"})
    plan = {"receiver": {"province": "浙江省", "city": "杭州市"}, "lines": [{"sku": "SKU-001", "qty": 1}]}
    checked.call("POST", "/routing/plan", 200, json=plan)
    checked.call("POST", "/routing/plan", 409, json=plan | {"receiver": {"province": "西藏"}})
    checked.call("POST", "/routing/plan", 422, json=plan | {"lines": [{"sku": "NOPE", "qty": 1}]})


def test_the_rate_limit_answers_as_documented(app, checked, warehouse):
    app.config["API_RATE_LIMIT"] = "1 per minute"
    try:
        checked.call("GET", "/warehouses", 200)
        checked.call("POST", "/orders", 429, json=order_body())
    finally:
        del app.config["API_RATE_LIMIT"]


def test_the_scenarios_above_reach_every_route(app):
    """Keeps the scenarios complete: a new route must be added to them (and so checked) too."""
    covered = {("PUT", "/skus/{code}"), ("GET", "/skus/{code}"), ("GET", "/warehouses"),
               ("POST", "/stock/receipts"), ("POST", "/stock/adjustments"), ("GET", "/stock/{code}"),
               ("POST", "/orders"), ("GET", "/orders"), ("GET", "/orders/{order_no}"),
               ("POST", "/orders/{order_no}/pay"), ("POST", "/orders/{order_no}/cancel"),
               ("POST", "/orders/{order_no}/refund"), ("POST", "/orders/{order_no}/complete"), ("GET", "/openapi.json"),
               ("POST", "/orders/{order_no}/invoices"), ("GET", "/orders/{order_no}/invoices"),
               ("GET", "/invoices/{invoice_id}/pdf"), ("PUT", "/warehouses/{code}"),
               ("GET", "/carriers"), ("PUT", "/carriers/{code}"), ("PUT", "/carriers/{code}/rate-card"),
               ("POST", "/routing/plan"), ("POST", "/orders/{order_no}/shipments")}

    assert app_routes(app) == covered
