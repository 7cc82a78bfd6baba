"""Routing pages in Chromium: operations edit the rules and simulate another strategy on the strategy
page, then run a back-test and watch its progress through to the charts — in Chinese, then in English.
Screenshots at 1440 × 900."""

import re

import pytest
from sqlalchemy import select

from app.domain.routing import cards
from app.domain.routing.models import Backtest, RoutingSetting
from app.extensions import db
from tests.browser.test_workbench import sign_in
from tests.conftest import run_worker
from tests.portal import orders


@pytest.fixture
def routed_shop(app, created, unique):
    """A Shanghai shop with a rate card to Shanghai, one order shipped today and one paid, waiting."""
    with app.app_context():
        assert db.session.scalar(select(RoutingSetting)) is None, "another test left routing settings behind"
        shop = orders.open_shop(unique)
        cards.save_rows([{"carrier": f"sf-{unique}", "origin_province": "上海市", "destination_province": "上海市",
                          "first_weight_g": 1000, "first_fen": 800, "extra_fen_per_kg": 200, "step_g": 1000,
                          "volumetric_divisor": 6000, "surcharge_fen": 0, "transit_days": 1, "served": True}])
        placed = [orders.place_order(shop, "shipped_out"), orders.place_order(shop, "paid")]
        db.session.commit()
    created.add("warehouses", shop.warehouse_id)
    created.add("channels", shop.channel_id)
    created.add("carriers", shop.carrier_id)
    created.add("skus", *shop.sku_ids)
    created.add("orders", *(order.id for order in placed))
    return shop, placed


def test_operations_set_rules_simulate_and_back_test(app, browser, live_server, created, unique, routed_shop,
                                                     screenshot):
    shop, (shipped, waiting) = routed_shop
    context, page = sign_in(browser, live_server, app, created, unique, "operations")
    try:
        page.goto(f"{live_server}/staff/routing")
        page.fill("textarea[name=restricted_regions]", f"{shop.sku_code}: 新疆")
        page.click("button:has-text('保存规则')")
        page.wait_for_selector("text=分仓规则已保存")
        assert "新疆维吾尔自治区" in page.input_value("textarea[name=restricted_regions]")
        with app.app_context():
            created.add("routing_settings", db.session.scalar(select(RoutingSetting.id)))

        page.select_option("select[name=simulate]", value="nearest")
        page.click("button:has-text('模拟今日未发货订单')")
        page.wait_for_selector("[data-testid=simulated-orders]")
        assert waiting.order_no in page.inner_text("[data-testid=simulated-orders]")
        assert "¥10.00" in page.inner_text("[data-testid=simulated-orders]")  # 2 cups + a brush: 2 kg
        screenshot(page, "staff-routing-strategy")

        page.click("text=分仓回测")
        page.wait_for_selector("[data-testid=backtest-form]")
        page.select_option("select[name=strategy]", value="fastest")
        page.click("button:has-text('开始回测')")
        page.wait_for_url(re.compile(r".*/staff/routing/backtests/\d+$"))
        backtest_id = int(page.url.rsplit("/", 1)[-1])
        created.add("routing_backtests", backtest_id)
        page.wait_for_selector("[data-testid=backtest-result] progress")
        with app.app_context():
            run_worker()
        page.wait_for_selector("[data-testid=backtest-status]:has-text('已完成')", timeout=15000)
        page.wait_for_selector("[data-testid=chart-backtest-freight][data-chart-ready]")
        page.wait_for_selector("[data-testid=chart-backtest-sites][data-chart-ready]")
        assert shipped.order_no in page.inner_text("[data-testid=backtest-rows]")
        screenshot(page, "staff-routing-backtest")

        page.goto(f"{live_server}/staff/routing/backtests/{backtest_id}?lang=en")
        page.wait_for_selector("[data-testid=chart-backtest-freight][data-chart-ready]")
        text = page.inner_text("main") if page.locator("main").count() else page.inner_text("body")
        assert "Back-test" in text and "Total freight" in text and "Fastest" in text and "Completed" in text
        screenshot(page, "staff-routing-backtest-en")
        page.goto(f"{live_server}/staff/routing?lang=en&simulate=cheapest")
        text = page.inner_text("body")
        assert "Channel and region rules" in text and "Restricted regions" in text
        assert waiting.order_no in page.inner_text("[data-testid=simulated-orders]")
    finally:
        context.close()
    with app.app_context():
        assert db.session.get(Backtest, backtest_id).summary["orders"] == 1
