"""Search that finds a caller's order: waybill, SKU code or product name, buyer name, and the phone's
last four digits — also for platform orders whose phones arrive masked."""

from app.domain.orders.inputs import Receiver
from app.domain.orders.models import phone_tail
from tests.conftest import htmx_headers
from tests.web.test_staff_orders import order_numbers


def search(client, text: str, htmx: bool = False):
    return client.get("/staff/orders", query_string={"q": text}, headers=htmx_headers() if htmx else {})


def test_phone_tail_finds_masked_platform_orders_and_plain_ones(client, login_as, make_order, shop):
    login_as("customer_service")
    masked = make_order("02", channel_id=shop.other_channel_id, masked_pii=True, buyer_phone="139****0000",
                        receiver=Receiver(name="李**", phone="138****5678", province="浙江省", city="杭州市",
                                          address="西湖区***"))
    plain = make_order("02", receiver=Receiver(name="王五", phone="13700005678", province="上海市",
                                               city="上海市", address="世纪大道 1 号"))
    other = make_order("02")  # 13800138000

    found = search(client, "5678")
    assert sorted(order_numbers(found.text)) == sorted([masked, plain])
    assert order_numbers(search(client, "0000", htmx=True).text) == [masked]  # the buyer's tail too
    assert other not in order_numbers(found.text)


def test_waybill_sku_and_product_name_find_the_order(client, login_as, make_order):
    login_as("customer_service")
    shipped = make_order("05", lines=(("SN-002", 1),))  # waybill SF100200300
    nuts = make_order("02")

    assert order_numbers(search(client, "SF100200300").text) == [shipped]
    assert order_numbers(search(client, "sn-002").text) == [shipped]  # SKU codes ignore case
    assert order_numbers(search(client, "坚果").text) == [nuts]
    assert sorted(order_numbers(search(client, "张先生", htmx=True).text)) == sorted([shipped, nuts])  # buyer name


def test_phone_tail_is_the_last_four_digits_or_nothing():
    assert phone_tail("138****5678") == "5678"
    assert phone_tail("13800138000") == "8000"
    assert phone_tail("1*********5") == ""
    assert phone_tail(None) == ""
