"""Through the staff pages: an order for more of a SKU than any one warehouse has is taken, held in two
warehouses, shown as two parcels of that SKU's units and shipped parcel by parcel; a line refunded in
part before shipping is packed and shipped for what is left. The books stay consistent throughout."""

from sqlalchemy import select

from app.domain.logistics.models import Shipment
from app.domain.orders import services
from app.extensions import db
from tests.web.conftest import assert_stock_consistent, level, order_state
from tests.web.test_order_edits import edit
from tests.web.test_staff_order_actions import act, become, refund_data


def shipped(app, number: str) -> dict[int, list[int]]:
    """warehouse id → the quantities of its shipment's lines."""
    with app.app_context():
        order = services.get_order(number)
        return {s.warehouse_id: [line.quantity for line in s.lines]
                for s in db.session.scalars(select(Shipment).where(Shipment.order_id == order.id))}


def test_eleven_units_over_two_warehouses_ship_as_two_parcels(app, client, login_as, make_order, shop):
    login_as("warehouse")
    number = make_order("04", lines=(("SN-001", 11),))  # WH-A has 10, WH-B 1: nobody has 11
    assert level(app, "SN-001")["locked"] == 10 and level(app, "SN-001", "WH-B")["locked"] == 1

    page = client.get(f"/staff/orders/{number}").text
    assert 'data-testid="planned-parcels"' in page
    assert page.count('data-testid="planned-parcel"') == 2
    assert "SN-001</code> × 10" in page and "SN-001</code> × 1" in page

    first = edit(client, number, "ship_parcel", {"warehouse_id": shop.spare_warehouse_id,
                                                 "carrier_id": shop.carrier_id, "waybill_no": "SF3000000001"})
    assert first.status_code == 200
    assert order_state(app, number).status == "04"
    assert level(app, "SN-001", "WH-B") == {"on_hand": 0, "reserved": 0, "locked": 0, "damaged": 0}

    last = edit(client, number, "ship_parcel", {"warehouse_id": shop.warehouse_id,
                                                "carrier_id": shop.carrier_id, "waybill_no": "SF3000000002"})
    assert last.status_code == 200
    assert order_state(app, number).status == "05"
    assert shipped(app, number) == {shop.spare_warehouse_id: [1], shop.warehouse_id: [10]}
    assert level(app, "SN-001")["on_hand"] == 0
    assert_stock_consistent(app)


def test_a_line_refunded_in_part_while_packing_ships_what_is_left(app, client, login_as, make_order, shop):
    become(client, login_as, "customer_service")
    number = make_order("04", lines=(("SN-001", 3),))

    refunded = act(client, number, "refund", refund_data("99.90", scope="lines", lines={"SN-001": 1}))
    assert refunded.status_code == 303
    assert level(app, "SN-001")["locked"] == 2

    become(client, login_as, "warehouse")
    shipped_out = act(client, number, "ship_out", {"ship_out-carrier_id": shop.carrier_id,
                                                   "ship_out-waybill_no": "SF3000000003"}, htmx=True)
    assert shipped_out.status_code == 200
    assert order_state(app, number).status == "05"
    assert shipped(app, number) == {shop.warehouse_id: [2]}
    assert level(app, "SN-001") == {"on_hand": 8, "reserved": 0, "locked": 0, "damaged": 0}
    assert_stock_consistent(app)
