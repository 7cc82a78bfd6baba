"""The 工作台 in Chromium, in Chinese and in English: the counts of what waits and the charts drawn by
ECharts; then a screenshot of each main staff page at 1440 × 900 and of the portal pages at 390 × 844,
under test-reports/screenshots/ (CI keeps test-reports/)."""

import re

from flask import url_for

from app.extensions import db
from app.web.navigation import NAVIGATION
from tests.browser.conftest import PHONE
from tests.browser.test_portal_flow import random_mobile
from tests.browser.test_workbench import sign_in
from tests.portal import orders

CJK = re.compile(r"[\u4e00-\u9fff]")


def placed(app, created, unique, states):
    """Orders of a shop of this test's own, one per state; returns (shop, numbers, phone)."""
    phone = random_mobile()
    with app.app_context():
        shop = orders.open_shop(unique)
        made = [orders.place_order(shop, state, receiver_phone=phone, buyer_phone=phone) for state in states]
        db.session.commit()
    created.add("warehouses", shop.warehouse_id)
    created.add("channels", shop.channel_id)
    created.add("carriers", shop.carrier_id)
    created.add("skus", *shop.sku_ids)
    created.add("orders", *(order.id for order in made))
    created.phones.add(phone)
    return shop, [order.order_no for order in made], phone


def tile_count(page, name: str) -> int:
    return int(page.locator(f"[data-count={name}] b").inner_text())


def test_the_dashboard_shows_counts_and_charts_in_both_languages(app, browser, live_server, created, unique,
                                                                 screenshot):
    placed(app, created, unique, ["approved", "approved", "paid"])
    context, page = sign_in(browser, live_server, app, created, unique, "warehouse")

    page.goto(f"{live_server}/staff/")
    page.wait_for_selector("[data-chart-ready]")
    assert tile_count(page, "to_pack") >= 2 and tile_count(page, "pending_review") >= 1
    assert page.locator("[data-count=to_pack]").get_attribute("href") == "/staff/orders?status=03"
    page.wait_for_function("document.querySelectorAll('[data-chart-ready]').length === 3")
    assert page.locator("[data-testid=chart-orders-per-hour] canvas").count() >= 1
    assert "待打包" in page.locator("#dashboard").inner_text()
    screenshot(page, "staff-dashboard-charts")

    page.click(".language-switch button:has-text('English')")
    page.wait_for_selector("html[lang=en]")
    page.wait_for_function("document.querySelectorAll('[data-chart-ready]').length === 3")
    tiles = page.locator("#dashboard").inner_text()
    assert "To pack" in tiles and not CJK.search(tiles), tiles
    page.click("[data-count=to_pack]")
    page.wait_for_url(re.compile(r".*/staff/orders\?status=03$"))
    screenshot(page, "staff-dashboard-to-pack-en")
    context.close()


def test_a_screenshot_of_each_main_staff_page(app, browser, live_server, created, unique, screenshot):
    placed(app, created, unique, ["packing"])
    shown = []
    for role in ("admin", "finance"):
        context, page = sign_in(browser, live_server, app, created, unique, role)
        with app.test_request_context():
            paths = {item.endpoint: url_for(item.endpoint) for item in NAVIGATION}
        for item in NAVIGATION:
            link = page.locator(f".mainnav a[href='{paths[item.endpoint]}']")
            if not link.count():
                continue
            response = page.goto(f"{live_server}{paths[item.endpoint]}")
            assert response.status == 200, item.endpoint
            screenshot(page, "staff-" + item.endpoint.replace(".", "-").replace("_", "-"))
            shown.append(item.endpoint)
        context.close()
    assert set(shown) == {item.endpoint for item in NAVIGATION}


def test_screenshots_of_the_portal_pages_on_a_phone(app, browser, live_server, created, unique, screenshot):
    _shop, (number,), phone = placed(app, created, unique, ["in_transit"])
    context = browser.new_context(**PHONE)
    page = context.new_page()

    page.goto(f"{live_server}/portal")
    screenshot(page, "portal-lookup")
    page.fill("input[name=order_no]", number)
    page.fill("input[name=phone]", phone)
    page.click("button[type=submit].primary.wide")
    page.wait_for_selector("[data-testid=order-status]")
    assert page.locator("#order-live[data-polling]").count() == 1  # a moving order keeps itself current
    screenshot(page, "portal-order-in-transit")

    page.goto(f"{live_server}/portal/code")
    screenshot(page, "portal-code-login")
    context.close()
