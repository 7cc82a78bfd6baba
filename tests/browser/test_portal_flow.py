"""A customer on a phone follows an order while the warehouse ships it from the staff pages."""

import random
import re

import pytest
from sqlalchemy import select

from app.domain.notifications.models import Message
from app.extensions import db
from tests import factories
from tests.browser.conftest import signed_in_staff
from tests.portal import orders

WAYBILL = "SF9876543210987"


def random_mobile() -> str:
    """A phone no other test data uses, so the committed rows are unmistakably this test's."""
    return f"139{random.randrange(10**8):08d}"


def place_committed(app, created, unique: str, state: str):
    """An order walked to ``state``, committed, with a phone of its own, recorded for clean-up;
    returns (order, phone)."""
    phone = random_mobile()
    with app.app_context():
        shop = orders.open_shop(unique)
        order = orders.place_order(shop, state, receiver_phone=phone, buyer_phone=phone)
        db.session.commit()
    created.add("warehouses", shop.warehouse_id)
    created.add("channels", shop.channel_id)
    created.add("carriers", shop.carrier_id)
    created.add("skus", *shop.sku_ids)
    created.add("orders", order.id)
    created.phones.add(phone)
    return order, phone


@pytest.fixture
def placed(app, created, unique):
    """An order in 打包中 (packing)."""
    return place_committed(app, created, unique, "packing")


@pytest.fixture
def warehouse_user(app, created, unique):
    with app.app_context():
        user = factories.UserFactory(username=f"wh-{unique}", display_name="仓库小王", role="warehouse")
        db.session.commit()
        created.add("users", user.id)
        return user.username


def look_up_on_phone(browser, live_server, order_no: str, phone: str):
    context = browser.new_context(**_phone())
    page = context.new_page()
    page.goto(f"{live_server}/portal/")
    page.fill("#order_no", order_no)
    page.fill("#phone", phone)
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r".*/portal/o/[^/]+$"))
    return context, page


def _phone() -> dict:
    from tests.browser.conftest import PHONE

    return PHONE


def test_customer_follows_the_order_while_the_warehouse_ships_it(browser, live_server, placed, warehouse_user,
                                                                  screenshot):
    order, phone = placed
    customer_context, customer = look_up_on_phone(browser, live_server, order.order_no, phone)

    assert customer.get_by_test_id("order-status").inner_text() == "打包中"
    assert customer.get_by_test_id("receiver-name").inner_text() == "张*"
    assert customer.get_by_test_id("receiver-phone").inner_text() == f"{phone[:3]}****{phone[-4:]}"
    assert customer.get_by_test_id("receiver-address").inner_text() == "上海市 上海市 浦东新区 ****"
    assert phone not in customer.content()
    assert "包裹出库后" in customer.inner_text("#parcel")
    screenshot(customer, "portal-order-packing")

    staff_context, staff = signed_in_staff(browser, live_server, warehouse_user)
    staff.goto(f"{live_server}/staff/orders/{order.order_no}")
    staff.click("summary:has-text('出库')")
    staff.select_option("select[name='ship_out-carrier_id']", label="顺丰速运")
    staff.fill("input[name='ship_out-waybill_no']", WAYBILL)
    staff.click("button:has-text('确认出库')")
    staff.wait_for_selector(f"text={WAYBILL}")
    screenshot(staff, "staff-order-shipped")
    staff_context.close()

    customer.click("button.refresh")  # htmx swaps the live part of the page in place
    customer.wait_for_selector("[data-testid=parcel-waybill]")  # the parcel the shipment created
    assert customer.get_by_test_id("parcel-waybill").inner_text() == WAYBILL[:2] + "*" * 9 + WAYBILL[-4:]
    assert customer.get_by_test_id("order-status").inner_text() == "已出库"
    assert "顺丰速运" in customer.inner_text("#parcel")
    assert "等待快递公司揽收" in customer.inner_text("#parcel")
    assert f"包裹已出库，运单号 {WAYBILL}" in customer.inner_text("#order-live")
    assert phone not in customer.content()
    screenshot(customer, "portal-order-shipped")

    customer.click("text=不再接收催付提醒")
    customer.wait_for_selector("[data-testid=reminders-off]")
    customer_context.close()


def test_a_wrong_phone_gets_the_message_in_the_form(browser, live_server, placed, screenshot):
    order, _phone_number = placed
    context = browser.new_context(**_phone())
    page = context.new_page()
    page.goto(f"{live_server}/portal/")
    page.fill("#order_no", order.order_no)
    page.fill("#phone", "13700001111")
    page.click("button[type=submit].primary")

    page.wait_for_selector("text=没有找到匹配的订单，请核对订单号和手机号")
    assert page.url.endswith("/portal/")
    assert page.input_value("#phone") == ""
    screenshot(page, "portal-lookup-refused")
    context.close()


def test_customer_signs_in_with_an_sms_code_and_opens_an_order(app, browser, live_server, placed, screenshot):
    order, phone = placed
    context = browser.new_context(**_phone())
    page = context.new_page()
    page.goto(f"{live_server}/portal/code")
    page.fill("#phone", phone)
    page.click("button[type=submit].primary")
    page.wait_for_selector("#code")
    with app.app_context():
        code = db.session.scalar(select(Message.params).where(Message.recipient == phone)
                                 .order_by(Message.id.desc()))["code"]
        db.session.remove()
    page.fill("#code", code)
    page.click("button[type=submit].primary")
    page.wait_for_selector(f"text={order.order_no}")
    screenshot(page, "portal-my-orders")

    page.click(f"text={order.order_no}")
    page.wait_for_url(re.compile(r".*/portal/o/[^/]+$"))
    assert page.get_by_test_id("order-status").inner_text() == "打包中"
    context.close()
