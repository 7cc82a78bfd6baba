"""The staff workbench in Chromium: the warehouse loads a waybill pool and ships a batch of packed orders
from the list, customer service finds a caller's order by the phone's last four digits, and the
工作台 shows what waits. Screenshots at 1440 × 900."""

import re

import pytest
from sqlalchemy import select

from app.domain.orders.models import Order
from app.domain.workbench.models import OrderBatch
from app.extensions import db
from tests import factories
from tests.browser.conftest import signed_in_staff
from tests.browser.test_portal_flow import random_mobile
from tests.conftest import run_worker
from tests.portal import orders


@pytest.fixture
def packed_orders(app, created, unique):
    """Three packed orders of a shop of this test's own, each with its own phone; returns (shop, numbers, phones)."""
    phones = [random_mobile() for _ in range(3)]
    with app.app_context():
        shop = orders.open_shop(unique)
        placed = [orders.place_order(shop, "packing", receiver_phone=phone, buyer_phone=phone) for phone in phones]
        db.session.commit()
    created.add("warehouses", shop.warehouse_id)
    created.add("channels", shop.channel_id)
    created.add("carriers", shop.carrier_id)
    created.add("skus", *shop.sku_ids)
    created.add("orders", *(order.id for order in placed))
    created.phones.update(phones)
    return shop, [order.order_no for order in placed], phones


def sign_in(browser, live_server, app, created, unique: str, role: str):
    with app.app_context():
        user = factories.UserFactory(username=f"{role[:4]}-{unique}", role=role)
        db.session.commit()
        created.add("users", user.id)
        username = user.username
    return signed_in_staff(browser, live_server, username, viewport=(1440, 900))


def test_the_warehouse_ships_a_batch_with_waybills_from_the_pool(app, browser, live_server, created, unique,
                                                                   packed_orders, screenshot):
    shop, numbers, _phones = packed_orders
    context, page = sign_in(browser, live_server, app, created, unique, "warehouse")

    page.goto(f"{live_server}/staff/")
    page.wait_for_selector("[data-count=to_pack]")
    screenshot(page, "staff-dashboard")

    page.goto(f"{live_server}/staff/waybills")
    page.select_option("select[name=carrier_id]", value=str(shop.carrier_id))
    page.fill("textarea[name=numbers]", f"PL{unique}1\nPL{unique}2\nPL{unique}3")
    page.click("button:has-text('加入面单池')")
    page.wait_for_selector("text=已加入 3 个面单号")
    screenshot(page, "staff-waybill-pool")

    page.goto(f"{live_server}/staff/orders?q={shop.sku_code}&status=04")
    page.wait_for_selector(f"text={numbers[0]}")
    page.check("input.select-page")
    assert all(page.is_checked(f"input[value='{number}']") for number in numbers)
    page.select_option("select[name=action]", value="ship_out")
    page.select_option("select[name=carrier_id]", value=str(shop.carrier_id))
    page.check("input[name=waybills][value=pool]")
    screenshot(page, "staff-order-batch-bar")
    page.click("button:has-text('开始批量处理')")
    page.wait_for_url(re.compile(r".*/staff/orders/batches/\d+$"))
    with app.app_context():
        run_worker()
    page.wait_for_selector("#batch-progress:has-text('已完成') >> text=100%", timeout=15000)
    assert page.locator("#batch-progress tr.ok").count() == 3
    screenshot(page, "staff-order-batch-done")
    context.close()

    with app.app_context():
        shipped = db.session.scalars(select(Order).where(Order.order_no.in_(numbers))).all()
        assert sorted(order.waybill_no for order in shipped) == [f"PL{unique}{n}" for n in (1, 2, 3)]
        assert {order.status for order in shipped} == {"05"}
        batch_id = int(page.url.rsplit("/", 1)[-1])
        created.add("order_batches", batch_id)
        assert db.session.get(OrderBatch, batch_id).done == 3


def test_customer_service_finds_the_callers_order_by_the_last_four_digits(app, browser, live_server, created,
                                                                            unique, packed_orders, screenshot):
    _shop, numbers, phones = packed_orders
    context, page = sign_in(browser, live_server, app, created, unique, "customer_service")
    page.goto(f"{live_server}/staff/orders")
    page.fill("input[name=q]", phones[1][-4:])
    page.wait_for_url(re.compile(rf".*q={phones[1][-4:]}"))  # htmx pushes the filtered list's address
    page.wait_for_selector(f"#order-results >> text={numbers[1]}")
    shown = page.inner_text("#order-results")
    assert phones[1] in shown
    assert all(number not in shown for number, phone in zip(numbers, phones, strict=True)
               if phone[-4:] != phones[1][-4:])
    screenshot(page, "staff-order-search-phone-tail")
    context.close()


def test_customer_service_builds_a_manual_order_with_the_picker_and_marks_it_paid(
        app, browser, live_server, created, unique, packed_orders, screenshot):
    shop, _numbers, _phones = packed_orders
    with app.app_context():
        manual = factories.ChannelFactory(code=f"m-{unique}", platform="manual", shop_name="电话订单")
        db.session.commit()
        created.add("channels", manual.id)
        manual_id = manual.id
    phone = random_mobile()
    created.phones.add(phone)
    context, page = sign_in(browser, live_server, app, created, unique, "customer_service")
    page.goto(f"{live_server}/staff/orders/new")
    page.select_option("select[name=channel_id]", value=str(manual_id))
    page.fill("input[name=receiver_name]", "赵六")
    page.fill("input[name=receiver_phone]", phone)
    page.fill("input[name=receiver_province]", "上海市")
    page.fill("input[name=receiver_city]", "上海市")
    page.fill("input[name=receiver_address]", "世纪大道 100 号")
    page.fill(".product-picker input[name=q]", shop.sku_code)
    page.wait_for_selector("#product-results >> text=测试仓")  # stock per warehouse
    page.click(f"button.pick-sku[data-sku='{shop.sku_code}']")
    assert page.input_value("input[name='lines-0-sku']") == shop.sku_code
    assert page.input_value("input[name='lines-0-quantity']") == "1"
    screenshot(page, "staff-manual-order-picker")
    page.click("button:has-text('创建订单')")
    page.wait_for_url(re.compile(r".*/staff/orders/OH\d+$"))
    number = page.url.rsplit("/", 1)[-1]
    with app.app_context():
        created.add("orders", db.session.scalar(select(Order.id).where(Order.order_no == number)))

    page.click("summary:has-text('标记已付款')")
    page.select_option("select[name='pay-method']", value="bank_transfer")
    page.fill("input[name='pay-payment_ref']", f"BANK-{unique}")
    page.click("button:has-text('确认标记已付款')")
    page.wait_for_selector("text=订单现在是「已支付」")
    screenshot(page, "staff-manual-order-paid")
    context.close()
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.order_no == number))
        assert (order.status, order.payment_ref) == ("02", f"BANK-{unique}")
