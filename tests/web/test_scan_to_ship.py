"""Scan to verify and ship (扫描验货): the waybill of a printed label finds the parcel; items are scanned
by barcode or SKU code; a code not in the parcel is flagged and blocks shipping; a matching parcel ships."""

from sqlalchemy import select

from app.domain.catalog.models import Sku
from app.domain.orders import services
from app.domain.reference.models import Carrier
from app.domain.workbench import merging, waybills
from app.extensions import db
from tests.web.conftest import order_state


def labelled(app, shop, order_no: str, waybill: str = "SF700001") -> str:
    """The order's label was printed: a pool number is kept for it (what printing does)."""
    with app.app_context():
        order = services.get_order(order_no)
        carrier = db.session.get(Carrier, shop.carrier_id)
        waybills.add_numbers(carrier, waybill, "user:test")
        waybills.take(carrier, order.id)
        db.session.scalar(select(Sku).where(Sku.code == "SN-001")).barcode = "6900000000011"
        db.session.commit()
    return waybill


def scan(client, waybill, scanned=(), **extra):
    return client.post("/staff/scan", data={"waybill_no": waybill, "scanned": "\n".join(scanned), **extra})


def test_a_wrong_barcode_is_flagged_and_the_parcel_ships_once_the_right_items_are_scanned(
        app, client, login_as, make_order, shop):
    order_no = make_order("04", lines=(("SN-001", 2), ("SN-002", 1)))
    waybill = labelled(app, shop, order_no)
    login_as("warehouse")
    assert 'autofocus' in client.get("/staff/scan").text

    found = scan(client, waybill)
    assert found.status_code == 200 and order_no in found.text and "缺 3 件，多 0 件" in found.text

    wrong = scan(client, waybill, code="WRONG-1")
    assert wrong.status_code == 422 and "WRONG-1 不在这个包裹里" in wrong.text
    refused = scan(client, waybill, ["WRONG-1", "6900000000011", "6900000000011", "sn-002"], ship="1")
    assert refused.status_code == 409 and "验货未通过" in refused.text
    assert order_state(app, order_no).status == "04"

    cleared = scan(client, waybill, ["WRONG-1", "6900000000011", "6900000000011"], drop_extra="1")
    assert "WRONG-1" not in cleared.text.split('name="scanned"')[1].split(">")[0]
    done = scan(client, waybill, ["6900000000011", "6900000000011"], code="sn-002")
    assert "缺 0 件，多 0 件" in done.text and "验货通过，发货" in done.text
    shipped = scan(client, waybill, ["6900000000011", "6900000000011", "sn-002"], ship="1")
    assert shipped.status_code == 200 and f"订单 {order_no} 已发货" in shipped.text
    state = order_state(app, order_no)
    assert (state.status, state.waybill_no) == ("05", waybill)

    again = scan(client, waybill)
    assert again.status_code == 409 and "已发货" in again.text


def test_an_unknown_waybill_says_so_and_customer_service_cannot_scan(client, login_as):
    login_as("warehouse")
    missing = scan(client, "NOPE123")
    assert missing.status_code == 404 and "请先打印面单" in missing.text
    client.post("/logout")
    login_as("customer_service")
    assert client.get("/staff/scan").status_code == 403


def test_a_parcel_found_by_its_order_number_ships_under_the_waybill_typed_or_scanned(app, client, login_as,
                                                                                     make_order, shop):
    order_no = make_order("04", lines=(("SN-002", 1),))
    with app.app_context():
        services.get_order(order_no).carrier_id = shop.carrier_id
        db.session.commit()
    login_as("warehouse")

    found = scan(client, order_no, code="SN-002")
    assert found.status_code == 200 and "运单号待录入" in found.text and 'name="typed_waybill"' in found.text

    missing = scan(client, order_no, ["SN-002"], ship="1")
    assert missing.status_code == 422 and "请扫描或填写快递面单上的运单号" in missing.text
    assert order_state(app, order_no).status == "04"

    shipped = scan(client, order_no, ["SN-002"], ship="1", typed_waybill="SF123456789")
    assert shipped.status_code == 200 and "已发货" in shipped.text
    order = order_state(app, order_no)
    assert (order.status, order.waybill_no) == ("05", "SF123456789")


def test_a_merged_parcel_expects_every_merged_order_s_items(app, client, login_as, make_order, shop):
    lead, member = make_order("02", lines=(("SN-001", 1),)), make_order("02", lines=(("SN-002", 1),))
    with app.app_context():
        services.get_order(lead).carrier_id = shop.carrier_id
        merging.merge(services.get_order(lead), [services.get_order(member)], "test")
        services.approve(services.get_order(lead), "test")
        db.session.commit()
    login_as("warehouse")

    assert "已合并到" in scan(client, member).text
    found = scan(client, lead)
    assert "缺 2 件" in found.text and "SN-001" in found.text and "SN-002" in found.text
    shipped = scan(client, lead, ["SN-001", "SN-002"], ship="1", typed_waybill="SF555")
    assert shipped.status_code == 200
    assert order_state(app, member).waybill_no == "SF555" and order_state(app, member).status == "05"
