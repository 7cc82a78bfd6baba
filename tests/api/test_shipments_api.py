"""POST /orders/{order_no}/shipments: a WMS reports the goods out; the order carries its parcels."""

import pytest

from app.domain.inventory.models import StockLevel
from app.domain.orders import services
from app.extensions import db
from tests import factories
from tests.api.conftest import Api, count, order_body, receive


@pytest.fixture
def paid_order(api, sku) -> str:
    factories.CarrierFactory(code="SF", name="顺丰速运", tracking_code="shunfeng")
    order_no = api.post("/orders", json=order_body()).json["order_no"]
    api.post(f"/orders/{order_no}/pay", json={"paid_amount": "108.00"})
    return order_no


def test_a_shipment_ships_a_paid_order_and_records_the_skipped_steps(api, paid_order):
    response = api.post(f"/orders/{paid_order}/shipments", json={"carrier": "SF", "waybill_no": "SF1234567890123"})
    order = api.get(f"/orders/{paid_order}").json

    assert response.status_code == 201, response.json
    assert (response.json["carrier"], response.json["waybill_no"], response.json["warehouse"]) == (
        "SF", "SF1234567890123", "WH-SH")
    assert response.json["lines"][0]["sku"] == "SKU-001" and response.json["lines"][0]["qty"] == 2
    assert order["status"] == "05"
    assert [event["action"] for event in order["events"]][-3:] == ["approve", "pack", "ship_out"]
    assert {event["actor"] for event in order["events"][-3:]} == {"api:miniapp"}
    assert [shipment["waybill_no"] for shipment in order["shipments"]] == ["SF1234567890123"]
    assert count(StockLevel, StockLevel.on_hand == 8) == 1


@pytest.mark.parametrize(("body", "field"), [
    ({"carrier": "NOPE", "waybill_no": "X1"}, "carrier"),
    ({"carrier": "SF", "waybill_no": ""}, "waybill_no"),
    ({"carrier": "SF", "waybill_no": "X1", "warehouse": "WH-BJ"}, "warehouse"),
    ({"carrier": "SF", "waybill_no": "X1", "lines": [{"line_id": 999, "qty": 1}]}, "lines"),
])
def test_a_bad_shipment_names_the_field_and_changes_nothing(api, paid_order, body, field):
    response = api.post(f"/orders/{paid_order}/shipments", json=body)

    assert response.status_code == 422, response.json
    assert field in response.json["error"]["details"]["fields"]
    assert api.get(f"/orders/{paid_order}").json["status"] == "02"


def test_an_unpaid_or_shipped_order_is_409(api, sku, paid_order):
    factories.CarrierFactory(code="ZTO", name="中通快递")
    api.post(f"/orders/{paid_order}/shipments", json={"carrier": "SF", "waybill_no": "SF1"})
    unpaid = api.post("/orders", json=order_body(external_id="U-1", lines=[{"sku": "SKU-001", "qty": 1}])).json

    assert api.post(f"/orders/{paid_order}/shipments", json={"carrier": "SF", "waybill_no": "SF2"}).status_code == 409
    assert api.post(f"/orders/{unpaid['order_no']}/shipments",
                    json={"carrier": "SF", "waybill_no": "SF3"}).status_code == 409


def test_shipping_needs_the_scope_and_a_warehouse_the_channel_manages(api, client, make_token, other_channel,
                                                                     paid_order):
    without_scope = Api(client, make_token(["orders"]))
    other = Api(client, make_token(["fulfilment"], for_channel=other_channel))

    assert without_scope.post(f"/orders/{paid_order}/shipments",
                              json={"carrier": "SF", "waybill_no": "SF1"}).status_code == 403
    assert other.post(f"/orders/{paid_order}/shipments", json={"carrier": "SF", "waybill_no": "SF1"}).status_code == 404


@pytest.fixture
def split_order(app, api, sku, warehouse, monkeypatch) -> str:
    """SKU-001 × 2 ships from WH-SH, SKU-002 × 1 from WH-GZ (as routing leaves a split order)."""
    factories.CarrierFactory(code="SF", name="顺丰速运", tracking_code="shunfeng")
    factories.CarrierFactory(code="ZTO", name="中通快递", tracking_code="zhongtong")
    guangzhou = factories.WarehouseFactory(code="WH-GZ", name="华南仓", province="广东省", city="广州市", priority=2)
    second = factories.SkuFactory(code="SKU-002", name="杯套", price_fen=1000)
    receive(guangzhou, second, 5)
    receive(warehouse, second, 5)
    monkeypatch.setitem(app.config, "API_STOCK_WAREHOUSES", {"miniapp": ["WH-SH", "WH-GZ"]})
    created = api.post("/orders", json=order_body(lines=[{"sku": "SKU-001", "qty": 2, "unit_price": "59.00"},
                                                         {"sku": "SKU-002", "qty": 1, "unit_price": "10.00"}])).json
    api.post(f"/orders/{created['order_no']}/pay", json={"paid_amount": "118.00"})
    order = services.get_order(created["order_no"])
    services.move_to_warehouse(order, guangzhou, "拆单", "test", {second.id})
    db.session.commit()
    return created["order_no"]


def test_a_split_order_ships_parcel_by_parcel_and_lists_the_planned_ones(api, split_order):
    planned = api.get(f"/orders/{split_order}").json["shipments"]
    assert [(s["warehouse"], s["status"], s["waybill_no"], s["id"]) for s in planned] == [
        ("WH-SH", "planned", None, None), ("WH-GZ", "planned", None, None)]
    sh_lines = [{"line_id": line["line_id"], "qty": line["qty"]} for line in planned[0]["lines"]]

    unnamed = api.post(f"/orders/{split_order}/shipments", json={"carrier": "SF", "waybill_no": "SF1"})
    assert unnamed.status_code == 422 and "warehouse" in unnamed.json["error"]["details"]["fields"]

    first = api.post(f"/orders/{split_order}/shipments",
                     json={"carrier": "ZTO", "waybill_no": "ZT100", "warehouse": "WH-GZ"})
    assert first.status_code == 201, first.json
    assert (first.json["warehouse"], [line["sku"] for line in first.json["lines"]]) == ("WH-GZ", ["SKU-002"])
    halfway = api.get(f"/orders/{split_order}").json
    assert halfway["status"] == "04"
    assert [(s["warehouse"], s["status"]) for s in halfway["shipments"]] == [("WH-GZ", "shipped"),
                                                                            ("WH-SH", "planned")]

    again = api.post(f"/orders/{split_order}/shipments",
                     json={"carrier": "ZTO", "waybill_no": "ZT101", "warehouse": "WH-GZ"})
    assert again.status_code == 422 and "warehouse" in again.json["error"]["details"]["fields"]

    last = api.post(f"/orders/{split_order}/shipments", json={"carrier": "SF", "waybill_no": "SF200",
                                                               "lines": sh_lines})
    assert last.status_code == 201, last.json
    done = api.get(f"/orders/{split_order}").json
    assert done["status"] == "05"
    assert sorted((s["warehouse"], s["waybill_no"], s["status"]) for s in done["shipments"]) == [
        ("WH-GZ", "ZT100", "shipped"), ("WH-SH", "SF200", "shipped")]
    assert count(StockLevel, StockLevel.on_hand == 8) == 1 and count(StockLevel, StockLevel.on_hand == 4) == 1
