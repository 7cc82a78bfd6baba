"""Order edits, manual orders and refund approval in Chromium, in both languages: customer service
changes a receiver's address, operations build a manual order from a pasted address with the product
picker, mark it paid and ship it, and finance approves a refund above the approval amount."""

import re

import pytest
from sqlalchemy import select

from app.domain.orders.models import Order
from app.extensions import db
from tests import factories
from tests.browser.test_portal_flow import random_mobile
from tests.browser.test_workbench import sign_in
from tests.portal import orders

LANGUAGES = ["zh_Hans_CN", "en"]


@pytest.fixture
def shop(app, created, unique):
    with app.app_context():
        shop = orders.open_shop(unique)
        db.session.commit()
    created.add("warehouses", shop.warehouse_id)
    created.add("channels", shop.channel_id)
    created.add("carriers", shop.carrier_id)
    created.add("skus", *shop.sku_ids)
    return shop


def place(app, created, shop, state: str) -> str:
    with app.app_context():
        order = orders.place_order(shop, state)
        db.session.commit()
    created.add("orders", order.id)
    return order.order_no


def stored(app, number: str) -> Order:
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.order_no == number))
        db.session.expunge(order)
        return order


def choose_language(page, language: str) -> None:
    if language == "en":
        page.click("form.language-switch button[formaction$='/language/en']")
        page.wait_for_load_state()


@pytest.mark.parametrize("language", LANGUAGES)
def test_customer_service_changes_the_address(app, browser, live_server, created, unique, shop, screenshot,
                                              language):
    number = place(app, created, shop, "paid")
    context, page = sign_in(browser, live_server, app, created, unique, "customer_service")
    page.goto(f"{live_server}/staff/orders/{number}")
    choose_language(page, language)

    page.click("#edit-edit_address summary")
    page.fill("input[name='edit_address-province']", "浙江")
    page.fill("input[name='edit_address-city']", "杭州")
    page.fill("input[name='edit_address-district']", "西湖区")
    page.fill("input[name='edit_address-address']", "文三路 90 号")
    page.fill("input[name='edit_address-reason']", "顾客来电")
    page.click("#edit-edit_address button[type=submit]")
    page.wait_for_selector("text=" + ("Change address" if language == "en" else "修改收货地址") + " >> nth=-1")
    page.wait_for_selector(".timeline >> text=浙江省")
    screenshot(page, f"staff-order-address-edit-{language}")
    context.close()

    order = stored(app, number)
    assert (order.receiver_province, order.receiver_city, order.receiver_district) == ("浙江省", "杭州市", "西湖区")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_manual_order_from_a_pasted_address_is_marked_paid_and_shipped(app, browser, live_server, created, unique,
                                                                        shop, screenshot, language):
    with app.app_context():
        manual = factories.ChannelFactory(code=f"m-{unique}", platform="manual", shop_name="电话订单")
        db.session.commit()
        created.add("channels", manual.id)
        manual_id = manual.id
    phone = random_mobile()
    created.phones.add(phone)
    context, page = sign_in(browser, live_server, app, created, unique, "operations")
    page.goto(f"{live_server}/staff/orders/new")
    choose_language(page, language)

    page.select_option("select[name=channel_id]", value=str(manual_id))
    page.fill("textarea[name=address_text]", f"张三 {phone} 浙江省杭州市西湖区文三路90号")
    page.click("button.recognise-address")
    page.wait_for_selector("input[name=receiver_district][value='西湖区']")
    assert page.input_value("input[name=receiver_name]") == "张三"
    assert page.input_value("input[name=receiver_phone]") == phone
    assert page.input_value("input[name=receiver_city]") == "杭州市"
    assert page.input_value("input[name=receiver_address]") == "文三路90号"
    page.fill(".product-picker input[name=q]", shop.sku_code)
    page.click(f"button.pick-sku[data-sku='{shop.sku_code}']")
    screenshot(page, f"staff-manual-order-paste-{language}")
    page.click(".order-form button[type=submit].primary")
    page.wait_for_url(re.compile(r".*/staff/orders/OH\d+$"))
    number = page.url.rsplit("/", 1)[-1]
    with app.app_context():
        created.add("orders", db.session.scalar(select(Order.id).where(Order.order_no == number)))

    page.click("details:has(form[action$='/pay']) summary")
    page.fill("input[name='pay-payment_ref']", f"BANK-{unique}")
    page.click("form[action$='/pay'] button[type=submit]")
    page.click("form[action$='/approve'] button[type=submit]")
    page.click("form[action$='/pack'] button[type=submit]")
    page.click("details:has(form[action$='/ship_out']) summary")
    page.select_option("select[name='ship_out-carrier_id']", value=str(shop.carrier_id))
    page.fill("input[name='ship_out-waybill_no']", f"SF{unique}")
    page.click("form[action$='/ship_out'] button[type=submit]")
    page.wait_for_selector("form[action$='/hand_over']")
    screenshot(page, f"staff-manual-order-shipped-{language}")
    context.close()

    order = stored(app, number)
    assert (order.status, order.payment_ref, order.waybill_no) == ("05", f"BANK-{unique}", f"SF{unique}")
    assert (order.receiver_province, order.receiver_city) == ("浙江省", "杭州市")


@pytest.mark.parametrize("language", LANGUAGES)
def test_finance_approves_a_large_refund(app, browser, live_server, created, unique, shop, screenshot, language):
    number = place(app, created, shop, "paid")  # ¥256.00: above the ¥200 approval amount
    context, page = sign_in(browser, live_server, app, created, unique, "customer_service")
    page.goto(f"{live_server}/staff/orders/{number}")
    page.click("details:has(form[action$='/refund']) summary")
    page.fill("input[name='refund-amount']", "256.00")
    page.fill("input[name='refund-reason']", "顾客不要了")
    page.click("form[action$='/refund'] button[type=submit]")
    page.wait_for_selector(".refund-request")
    context.close()
    assert stored(app, number).status == "02"

    context, page = sign_in(browser, live_server, app, created, unique, "finance")
    page.goto(f"{live_server}/finance/refunds")
    choose_language(page, language)
    row = page.locator("tr", has_text=number)
    screenshot(page, f"finance-refund-queue-{language}")
    row.locator("form[action$='/approve'] button").click()
    page.wait_for_selector(f"#flash >> text={number}")
    context.close()

    order = stored(app, number)
    assert (order.status, order.refunded_fen) == ("R1", 25600)
