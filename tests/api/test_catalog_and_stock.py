"""PUT/GET /skus/{code}, GET /warehouses, stock receipts, counts and levels."""

import pytest

from app.domain.catalog.models import Sku
from app.domain.inventory.models import StockMovement
from tests import factories
from tests.api.conftest import count, receive

CUP = {"name": "保温杯 500ml", "weight_g": 500, "price": "59.00", "tax_rate": "0.13"}


def test_put_creates_a_sku_with_201_then_updates_it_with_200(api):
    created = api.put("/skus/CUP-500", json=CUP)
    updated = api.put("/skus/CUP-500", json={"price": "69.90", "category": "杯壶"})

    assert created.status_code == 201, created.json
    assert created.json | {"created_at": None, "updated_at": None} == {
        "code": "CUP-500", "name": "保温杯 500ml", "weight_g": 500, "length_cm": 0, "width_cm": 0, "height_cm": 0,
        "price": "59.00", "tax_rate": "0.13", "tax_code": "", "tax_name": "", "barcode": None, "category": "",
        "active": True, "is_bundle": False, "components": [],
        "created_at": None, "updated_at": None}
    assert updated.status_code == 200
    assert (updated.json["name"], updated.json["price"], updated.json["category"]) == ("保温杯 500ml", "69.90", "杯壶")
    assert api.get("/skus/CUP-500").json == updated.json


def test_put_sets_the_tax_classification_and_names_a_bad_code(api):
    created = api.put("/skus/CUP-500", json=CUP | {"tax_code": "1060512990000000000", "tax_name": "日用杂品"})
    renamed = api.put("/skus/CUP-500", json={"name": "保温杯 600ml"})
    refused = api.put("/skus/CUP-500", json={"tax_code": "10605"})

    assert (created.json["tax_code"], created.json["tax_name"]) == ("1060512990000000000", "日用杂品")
    assert (renamed.json["tax_code"], renamed.json["tax_name"]) == ("1060512990000000000", "日用杂品")
    assert refused.status_code == 422
    assert list(refused.json["error"]["details"]["fields"]) == ["tax_code"]


def test_put_with_components_makes_a_bundle(api, sku):
    factories.SkuFactory(code="LID-01", name="杯盖")

    response = api.put("/skus/GIFT-SET", json={"name": "礼盒", "price": "99.00", "tax_rate": "0.13",
                                               "components": [{"sku": "SKU-001", "qty": 2}, {"sku": "LID-01", "qty": 1}]})
    changed = api.put("/skus/GIFT-SET", json={"components": [{"sku": "SKU-001", "qty": 3}]})
    renamed_only = api.put("/skus/GIFT-SET", json={"name": "新礼盒"})

    assert response.status_code == 201, response.json
    assert response.json["is_bundle"] is True
    assert [(c["sku"], c["qty"]) for c in response.json["components"]] == [("SKU-001", 2), ("LID-01", 1)]
    assert [(c["sku"], c["qty"]) for c in changed.json["components"]] == [("SKU-001", 3)]
    assert renamed_only.json["components"] == changed.json["components"]


@pytest.mark.parametrize(("body", "field"), [
    ({"price": "59.00"}, "name"),
    (CUP | {"price": 59.0}, "price"),
    (CUP | {"price": "abc"}, "price"),
    (CUP | {"tax_rate": "0.2"}, "tax_rate"),
    (CUP | {"tax_rate": 0.13}, "tax_rate"),
    (CUP | {"weight_g": -1}, "weight_g"),
    (CUP | {"length_cm": -1}, "length_cm"),
    (CUP | {"height_cm": 501}, "height_cm"),
    (CUP | {"width_cm": "10"}, "width_cm"),
    (CUP | {"barcode": "12"}, "barcode"),
    (CUP | {"components": [{"sku": "NOPE", "qty": 1}]}, "components"),
    (CUP | {"components": [{"sku": "SKU-001", "qty": 0}]}, "components[0].qty"),
    (CUP | {"components": []}, "components"),
])
def test_put_sku_errors_name_the_field(api, sku, body, field):
    response = api.put("/skus/NEW-1", json=body)

    assert response.status_code == 422, response.json
    assert field in response.json["error"]["details"]["fields"]
    assert count(Sku, Sku.code == "NEW-1") == 0


def test_dimensions_are_kept_and_a_bundle_weighs_its_components(api):
    api.put("/skus/CUP-500", json=CUP | {"length_cm": 8, "width_cm": 8, "height_cm": 25})
    api.put("/skus/LID-01", json={"name": "杯盖", "weight_g": 40, "price": "5.00"})
    renamed = api.put("/skus/CUP-500", json={"name": "保温杯"})
    bundle = api.put("/skus/GIFT-SET", json={"name": "礼盒", "weight_g": 1, "price": "99.00", "components": [
        {"sku": "CUP-500", "qty": 2}, {"sku": "LID-01", "qty": 1}]})

    assert (renamed.json["length_cm"], renamed.json["width_cm"], renamed.json["height_cm"]) == (8, 8, 25)
    assert bundle.json["weight_g"] == 2 * 500 + 40


def test_a_bad_code_in_the_path_is_named(api):
    response = api.put("/skus/bad code!", json=CUP)

    assert response.status_code == 422
    assert "code" in response.json["error"]["details"]["fields"]


def test_get_unknown_sku_is_404(api):
    response = api.get("/skus/NOPE")

    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_warehouses_list(api, warehouse):
    factories.WarehouseFactory(code="WH-GZ", name="华南仓", province="广东省", city="广州市", priority=2,
                               active=False)

    response = api.get("/warehouses")

    assert response.status_code == 200
    assert response.json == {"warehouses": [
        {"code": "WH-SH", "name": "华东仓", "province": "上海市", "city": "上海市", "active": True},
        {"code": "WH-GZ", "name": "华南仓", "province": "广东省", "city": "广州市", "active": False}]}


def test_receipt_adds_stock_and_answers_201_with_the_levels(api, sku):
    lid = factories.SkuFactory(code="LID-01")

    response = api.post("/stock/receipts", json={"warehouse": "WH-SH", "reference": "PO-123",
                                                 "lines": [{"sku": "SKU-001", "qty": 5}, {"sku": "LID-01", "qty": 100}]})

    assert response.status_code == 201, response.json
    assert response.json == {"warehouse": "WH-SH", "reference": "PO-123", "levels": [
        {"warehouse": "WH-SH", "sku": "SKU-001", "on_hand": 15, "reserved": 0, "locked": 0, "safety": 0,
         "available": 15},
        {"warehouse": "WH-SH", "sku": "LID-01", "on_hand": 100, "reserved": 0, "locked": 0, "safety": 0,
         "available": 100}]}
    movement = api.get("/stock/LID-01").json
    assert movement["available"] == 100
    assert count(StockMovement, StockMovement.sku_id == lid.id, StockMovement.actor == "api:miniapp",
                 StockMovement.reference == "PO-123") == 1


@pytest.mark.parametrize(("body", "field"), [
    ({"warehouse": "WH-XX", "lines": [{"sku": "SKU-001", "qty": 1}]}, "warehouse"),
    ({"lines": [{"sku": "SKU-001", "qty": 1}]}, "warehouse"),
    ({"warehouse": "WH-SH", "lines": [{"sku": "NOPE", "qty": 1}]}, "lines[0].sku"),
    ({"warehouse": "WH-SH", "lines": [{"sku": "SKU-001", "qty": 0}]}, "lines[0].qty"),
    ({"warehouse": "WH-SH", "lines": [{"sku": "SKU-001", "qty": "5"}]}, "lines[0].qty"),
    ({"warehouse": "WH-SH", "lines": [{"sku": "SKU-001", "qty": 1_000_001}]}, "lines[0].qty"),
    ({"warehouse": "WH-SH", "lines": []}, "lines"),
    ({"warehouse": "WH-SH"}, "lines"),
])
def test_receipt_errors_name_the_field(api, sku, body, field):
    response = api.post("/stock/receipts", json=body)

    assert response.status_code == 422, response.json
    assert field in response.json["error"]["details"]["fields"]
    assert api.get("/stock/SKU-001").json["available"] == 10


def test_receiving_a_bundle_is_refused(api, sku):
    bundle = factories.SkuFactory(code="GIFT-SET")
    factories.BundleComponentFactory(bundle=bundle, component=sku, quantity=2)

    response = api.post("/stock/receipts", json={"warehouse": "WH-SH", "lines": [{"sku": "GIFT-SET", "qty": 1}]})

    assert response.status_code == 422
    assert "GIFT-SET" in response.json["error"]["details"]["fields"]["lines"]


def test_adjustment_sets_on_hand_to_the_count(api, sku):
    response = api.post("/stock/adjustments", json={"warehouse": "WH-SH", "sku": "SKU-001", "counted": 7,
                                                    "reason": "cycle count"})

    assert response.status_code == 201, response.json
    assert response.json == {"warehouse": "WH-SH", "sku": "SKU-001", "on_hand": 7, "reserved": 0, "locked": 0,
                             "safety": 0, "available": 7, "counted": 7, "reason": "cycle count"}


@pytest.mark.parametrize(("body", "field"), [
    ({"warehouse": "WH-SH", "sku": "SKU-001", "counted": -1}, "counted"),
    ({"warehouse": "WH-SH", "sku": "SKU-001"}, "counted"),
    ({"warehouse": "WH-SH", "sku": "NOPE", "counted": 1}, "sku"),
    ({"warehouse": "NOPE", "sku": "SKU-001", "counted": 1}, "warehouse"),
])
def test_adjustment_errors_name_the_field(api, sku, body, field):
    response = api.post("/stock/adjustments", json=body)

    assert response.status_code == 422
    assert field in response.json["error"]["details"]["fields"]


def test_stock_of_a_bundle_is_what_its_components_allow(api, warehouse, sku):
    lid = factories.SkuFactory(code="LID-01")
    receive(warehouse, lid, 3)
    other = factories.WarehouseFactory(code="WH-GZ", priority=2)
    receive(other, sku, 4)
    receive(other, lid, 10)
    bundle = factories.SkuFactory(code="GIFT-SET")
    factories.BundleComponentFactory(bundle=bundle, component=sku, quantity=2)
    factories.BundleComponentFactory(bundle=bundle, component=lid, quantity=1)

    response = api.get("/stock/GIFT-SET")

    assert response.status_code == 200
    assert response.json["is_bundle"] is True
    assert [(w["warehouse"], w["available"]) for w in response.json["warehouses"]] == [("WH-SH", 3), ("WH-GZ", 2)]
    assert response.json["available"] == 5


def test_stock_of_an_unknown_sku_is_404(api):
    assert api.get("/stock/NOPE").status_code == 404
