"""Staff edits of an order: address (placed and re-routed), warehouse and carrier, gifts, notes — each
with its event, each refused with a reason once the order is past the point where it makes sense."""

from sqlalchemy import select

from app.domain.logistics.models import Shipment
from app.domain.orders import services
from app.domain.orders.models import OrderEvent
from app.extensions import db
from tests.conftest import htmx_headers
from tests.web.conftest import assert_stock_consistent, level, order_state


def edit(client, number: str, name: str, data: dict, htmx: bool = True):
    return client.post(f"/staff/orders/{number}/edit/{name}", data={f"{name}-{k}": v for k, v in data.items()},
                       headers=htmx_headers() if htmx else {})


def events(app, number: str, action: str) -> list[OrderEvent]:
    with app.app_context():
        order = services.get_order(number)
        return list(db.session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id,
                                                                OrderEvent.action == action)))


ADDRESS = {"name": "李四", "phone": "139 0013 9000", "province": "浙江", "city": "杭州", "district": "西湖区",
           "address": "文三路 90 号", "reason": "顾客来电改地址"}


def test_the_address_is_placed_on_official_names_with_an_event(app, client, login_as, make_order):
    login_as("customer_service")
    number = make_order("02")

    response = edit(client, number, "edit_address", ADDRESS)

    assert response.status_code == 200
    order = order_state(app, number)
    assert (order.receiver_name, order.receiver_phone, order.receiver_province, order.receiver_city,
            order.receiver_district) == ("李四", "13900139000", "浙江省", "杭州市", "西湖区")
    [event] = events(app, number, "edit_address")
    assert event.reason == "顾客来电改地址" and event.details["changes"]["receiver_province"] == ["上海市", "浙江省"]
    assert "修改收货地址" in client.get(f"/staff/orders/{number}").text


def test_an_address_that_cannot_be_placed_names_the_part_and_changes_nothing(app, client, login_as, make_order):
    login_as("customer_service")
    number = make_order("02")

    response = edit(client, number, "edit_address", {**ADDRESS, "city": "广州市"})

    assert response.status_code == 422
    assert "浙江省没有城市「广州市」" in response.text
    assert order_state(app, number).receiver_province == "上海市"
    assert events(app, number, "edit_address") == []


def test_the_address_cannot_change_once_packing(app, client, login_as, make_order):
    login_as("customer_service")
    number = make_order("04")

    response = edit(client, number, "edit_address", ADDRESS)

    assert response.status_code == 409
    assert "不能修改收货地址" in response.text
    assert order_state(app, number).receiver_name == "张三"


def test_changing_the_warehouse_moves_the_locked_stock_and_the_carrier(app, client, login_as, make_order, shop):
    login_as("warehouse")
    number = make_order("02", lines=(("SN-001", 1),))

    response = edit(client, number, "edit_shipping", {"warehouse_id": shop.spare_warehouse_id,
                                                       "carrier_id": shop.carrier_id, "reason": "就近发货"})

    assert response.status_code == 200
    order = order_state(app, number)
    assert (order.warehouse_id, order.carrier_id) == (shop.spare_warehouse_id, shop.carrier_id)
    assert level(app, "SN-001", "WH-B")["locked"] == 1 and level(app, "SN-001")["locked"] == 0
    assert events(app, number, "change_carrier") and events(app, number, "move_warehouse")
    assert_stock_consistent(app)


def test_a_warehouse_short_of_stock_refuses_and_nothing_moves(app, client, login_as, make_order, shop):
    login_as("warehouse")
    number = make_order("02", lines=(("SN-001", 2),))  # WH-B holds 1

    response = edit(client, number, "edit_shipping", {"warehouse_id": shop.spare_warehouse_id,
                                                       "carrier_id": shop.carrier_id, "reason": "就近发货"})

    assert response.status_code == 409
    assert order_state(app, number).warehouse_id == shop.warehouse_id
    assert level(app, "SN-001")["locked"] == 2
    assert_stock_consistent(app)


def test_a_gift_is_added_locked_and_removed_released(app, client, login_as, make_order):
    login_as("customer_service")
    number = make_order("02")

    added = edit(client, number, "add_gift", {"sku": "gift-01", "quantity": "2"})

    assert added.status_code == 200
    assert level(app, "GIFT-01")["locked"] == 2
    with app.app_context():
        [line] = [line for line in services.get_order(number).lines if line.sku.code == "GIFT-01"]
        assert line.is_gift and line.unit_price_fen == 0
        line_id = line.id
    assert f'value="{line_id}"' in added.text
    assert_stock_consistent(app)

    removed = edit(client, number, "remove_gift", {"line_id": str(line_id)})

    assert removed.status_code == 200
    assert level(app, "GIFT-01")["locked"] == 0
    assert events(app, number, "add_gift") and events(app, number, "remove_gift")
    assert_stock_consistent(app)


def test_a_paid_line_is_not_a_gift_to_remove(app, client, login_as, make_order):
    login_as("customer_service")
    number = make_order("01")
    with app.app_context():
        line_id = services.get_order(number).lines[0].id

    response = edit(client, number, "remove_gift", {"line_id": str(line_id)})

    assert response.status_code == 409
    with app.app_context():
        assert len(services.get_order(number).lines) == 1


def test_a_gift_short_of_stock_is_refused(app, client, login_as, make_order):
    login_as("customer_service")
    number = make_order("01")

    response = edit(client, number, "add_gift", {"sku": "GIFT-01", "quantity": "99"}, htmx=False)
    assert response.status_code == 303  # 100 in stock: fits
    response = edit(client, number, "add_gift", {"sku": "GIFT-01", "quantity": "2"})

    assert response.status_code == 409
    assert level(app, "GIFT-01")["reserved"] == 99
    assert_stock_consistent(app)


def test_a_note_goes_on_the_timeline_in_any_state(app, client, login_as, make_order):
    login_as("warehouse")
    number = make_order("06")

    response = edit(client, number, "add_note", {"note": "顾客要求放门卫"})

    assert response.status_code == 200
    assert "顾客要求放门卫" in response.text
    assert events(app, number, "add_note")[0].reason == "顾客要求放门卫"


def test_the_warehouse_may_not_change_the_address(client, login_as, make_order):
    login_as("warehouse")
    number = make_order("02")

    assert edit(client, number, "edit_address", ADDRESS).status_code == 403
    assert 'edit-edit_address' not in client.get(f"/staff/orders/{number}").text


def split_data(app, number: str, carrier_id: int, second: dict[str, int]) -> dict:
    with app.app_context():
        lines = [(line.id, line.sku.code) for line in services.get_order(number).lines if not line.is_component]
    data = {"carrier_id": carrier_id, "waybill_no": "SF-1", "second_carrier_id": carrier_id, "second_waybill_no": "SF-2"}
    for index, (line_id, code) in enumerate(lines):
        data[f"lines-{index}-line_id"] = str(line_id)
        data[f"lines-{index}-quantity"] = str(second.get(code, 0))
    return data


def test_a_packing_order_ships_out_in_two_parcels(app, client, login_as, make_order, shop):
    login_as("warehouse")
    number = make_order("04", lines=(("SN-001", 2), ("SN-002", 1)))

    response = edit(client, number, "split_ship", split_data(app, number, shop.carrier_id, {"SN-002": 1}))

    assert response.status_code == 200
    assert order_state(app, number).status == "05"
    with app.app_context():
        order = services.get_order(number)
        parcels = db.session.scalars(select(Shipment).where(Shipment.order_id == order.id)
                                     .order_by(Shipment.id)).all()
        assert [p.waybill_no for p in parcels] == ["SF-1", "SF-2"]
        assert [[line.quantity for line in p.lines] for p in parcels] == [[2], [1]]
    assert_stock_consistent(app)


def test_two_parcels_need_goods_in_each_and_a_packing_order(app, client, login_as, make_order, shop):
    login_as("warehouse")
    number = make_order("04", lines=(("SN-001", 2),))

    everything = edit(client, number, "split_ship", split_data(app, number, shop.carrier_id, {"SN-001": 2}))
    assert everything.status_code == 422 and "两个包裹都要有商品" in everything.text

    paid = make_order("02")
    assert edit(client, paid, "split_ship", split_data(app, paid, shop.carrier_id, {"SN-001": 1})).status_code == 409
    assert order_state(app, number).status == "04"
