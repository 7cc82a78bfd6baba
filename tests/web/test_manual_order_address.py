"""The manual order's receiver: paste recognition, province / city / district pickers, and an address
that cannot be placed refused naming the part, nothing saved."""

from tests.conftest import htmx_headers
from tests.web.conftest import count_orders, order_state
from tests.web.test_staff_orders import manual_order


def test_a_pasted_address_fills_the_receiver_fields(client, login_as, shop):
    login_as("customer_service")

    response = client.post("/staff/orders/new/address", headers=htmx_headers(),
                           data={"address_text": "张三 13800138000 浙江省杭州市西湖区文三路90号"})

    assert response.status_code == 200
    for value in ('value="张三"', 'value="13800138000"', 'value="浙江省"', 'value="杭州市"', 'value="西湖区"',
                  'value="文三路90号"'):
        assert value in response.text, value
    assert '<option value="余杭区">' in response.text  # the district picker knows 杭州's districts


def test_a_paste_without_phone_or_province_says_which_part(client, login_as, shop):
    login_as("customer_service")

    response = client.post("/staff/orders/new/address", headers=htmx_headers(), data={"address_text": "张三 文三路"})

    assert "没有找到电话号码" in response.text and "没有找到省份" in response.text


def test_the_pickers_offer_the_cities_of_the_province(client, login_as, shop):
    login_as("customer_service")

    response = client.get("/staff/orders/new/places?receiver_province=广东省", headers=htmx_headers())

    assert '<option value="广州市">' in response.text and '<option value="杭州市">' not in response.text


def test_an_unplaced_city_names_the_part_and_saves_nothing(app, client, login_as, shop):
    login_as("customer_service")

    response = client.post("/staff/orders/new", data=manual_order(channel_id=shop.channel_id, receiver_city="广州市"))

    assert response.status_code == 422
    assert "浙江省没有城市「广州市」" in response.text
    assert count_orders(app) == 0


def test_short_names_are_saved_as_the_official_ones(app, client, login_as, shop):
    login_as("customer_service")

    response = client.post("/staff/orders/new", data=manual_order(
        channel_id=shop.channel_id, receiver_province="浙江", receiver_city="杭州", receiver_district="西湖区"))

    assert response.status_code == 303
    order = order_state(app, response.location.rsplit("/", 1)[-1])
    assert (order.receiver_province, order.receiver_city, order.receiver_district) == ("浙江省", "杭州市", "西湖区")
