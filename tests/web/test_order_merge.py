"""合并订单: orders of one receiver from one shop, not yet packed, ship as one parcel — each keeps its own
lines, money and stock; the merge and its undo are events on each order; the list suggests merges."""

from sqlalchemy import select

from app.domain.orders import services
from app.domain.orders.inputs import Receiver
from app.domain.orders.models import OrderEvent
from app.domain.reference.models import Carrier
from app.extensions import db
from tests.web.conftest import assert_stock_consistent, level, order_state


def events(app, number: str, action: str) -> list[OrderEvent]:
    with app.app_context():
        order = services.get_order(number)
        return list(db.session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id,
                                                                OrderEvent.action == action)))


def merge(client, lead: str, *others: str):
    return client.post(f"/staff/orders/{lead}/merge", data={"order_no": list(others)})


def test_the_merge_page_previews_the_parcel_then_merges_with_an_event_on_each(app, client, login_as, make_order):
    login_as("customer_service")
    lead, other = make_order("02"), make_order("02", lines=(("GIFT-01", 3),))

    page = client.get(f"/staff/orders/{lead}/merge")
    assert page.status_code == 200 and other in page.text
    preview = client.get(f"/staff/orders/{lead}/merge", query_string={"order_no": other})
    assert "合并后的包裹" in preview.text and "GIFT-01" in preview.text and "确认合并 2 个订单" in preview.text
    assert order_state(app, other).merged_into_id is None  # a preview changes nothing

    response = merge(client, lead, other)

    assert response.status_code == 303
    with app.app_context():
        assert services.get_order(other).merged_into_id == services.get_order(lead).id
    [lead_event] = events(app, lead, "merge")
    [member_event] = events(app, other, "merge")
    assert lead_event.details == {"orders": [other]} and member_event.details == {"lead": lead}
    assert level(app, "GIFT-01")["locked"] == 3 and level(app, "SN-001")["locked"] == 2  # each order's own
    assert "已合并到订单" in client.get(f"/staff/orders/{other}").text
    assert_stock_consistent(app)


def test_merged_orders_are_approved_packed_and_shipped_together_under_one_waybill(app, client, login_as,
                                                                                  make_order):
    login_as("customer_service")
    lead, other = make_order("02"), make_order("02")
    merge(client, lead, other)

    refused = client.post(f"/staff/orders/{other}/approve")
    assert refused.status_code == 409 and order_state(app, other).status == "02"

    with app.app_context():
        order = services.get_order(lead)
        services.approve(order, "test")
        services.pack(order, "test")
        services.ship_out(order, db.session.scalar(select(Carrier).where(Carrier.code == "shunfeng")), "SF900", "test")
        db.session.commit()

    member = order_state(app, other)
    assert (member.status, member.waybill_no) == ("05", "SF900")
    assert level(app, "SN-001")["locked"] == 0
    assert [event.details.get("merged_into") for event in events(app, other, "ship_out")] == [lead]
    assert_stock_consistent(app)


def test_a_different_receiver_is_refused_with_its_reason_and_nothing_changes(app, client, login_as, make_order):
    login_as("customer_service")
    lead = make_order("02")
    other = make_order("02", receiver=Receiver(name="王五", phone="13900001111", province="上海市", city="上海市",
                                               district="浦东新区", address="世纪大道 1 号"))

    assert other not in client.get(f"/staff/orders/{lead}/merge").text
    response = merge(client, lead, other)

    assert response.status_code == 422
    assert "收货人" in response.text
    assert order_state(app, other).merged_into_id is None and events(app, lead, "merge") == []


def test_a_packing_order_cannot_join(app, client, login_as, make_order):
    login_as("customer_service")
    lead, packing = make_order("03"), make_order("04")

    response = merge(client, lead, packing)

    assert response.status_code == 422 and "打包中" in response.text
    assert order_state(app, packing).merged_into_id is None


def test_undo_before_packing_gives_each_order_back_with_an_event(app, client, login_as, make_order):
    login_as("customer_service")
    lead, other = make_order("02"), make_order("02")
    merge(client, lead, other)

    response = client.post(f"/staff/orders/{other}/unmerge", data={"reason": "买家要分开寄"})

    assert response.status_code == 303
    assert order_state(app, other).merged_into_id is None
    assert events(app, lead, "unmerge")[0].details == {"orders": [other]}
    assert events(app, other, "unmerge")[0].reason == "买家要分开寄"


def test_parking_a_member_takes_it_out_of_the_parcel(app, client, login_as, make_order):
    login_as("customer_service")
    lead, other = make_order("02"), make_order("02")
    merge(client, lead, other)

    with app.app_context():
        services.mark_exception(services.get_order(other), "缺货", "test")
        db.session.commit()

    assert order_state(app, other).merged_into_id is None
    assert events(app, other, "unmerge") and events(app, lead, "unmerge")


def test_merged_orders_cannot_change_address_until_undone(app, client, login_as, make_order):
    login_as("customer_service")
    lead, other = make_order("02"), make_order("02")
    merge(client, lead, other)

    response = client.post(f"/staff/orders/{lead}/edit/edit_address",
                           data={"edit_address-name": "李四", "edit_address-phone": "13900139000",
                                 "edit_address-province": "浙江", "edit_address-city": "杭州",
                                 "edit_address-address": "文三路 90 号"})

    assert response.status_code == 409 and "拆回合并" in response.text


def test_the_list_suggests_orders_of_one_receiver(app, client, login_as, make_order):
    login_as("customer_service")
    lead, other = make_order("02"), make_order("02")

    listed = client.get("/staff/orders")

    assert listed.text.count(">可合并<") == 2
    assert f"/staff/orders/{lead}/merge" in listed.text and f"/staff/orders/{other}/merge" in listed.text


def test_the_warehouse_may_not_merge(client, login_as, make_order):
    login_as("warehouse")
    lead, other = make_order("02"), make_order("02")

    assert merge(client, lead, other).status_code == 403
    assert "可合并" not in client.get("/staff/orders").text
