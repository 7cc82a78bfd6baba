"""The 工作台: each role sees the counts of what waits for it, each a link to its filtered list, and the
counts refresh as an htmx fragment."""

import json
import re
from datetime import timedelta

from sqlalchemy import select, update

from app.db import utcnow
from app.domain.catalog.models import Sku
from app.domain.inventory.models import SafetyStockFigure, StockLevel
from app.domain.orders.models import Order
from app.domain.workbench.models import AutoReview
from app.extensions import db
from tests.conftest import htmx_headers
from tests.web.test_staff_orders import order_numbers


def tiles(html: str) -> dict[str, tuple[str, int]]:
    """name → (link, count) for each count tile on the page."""
    found = re.findall(r'<a class="count-tile[^"]*" href="([^"]+)" data-count="(\w+)">\s*<b>(\d+)</b>', html)
    return {name: (link.replace("&amp;", "&"), int(count)) for link, name, count in found}


def test_the_warehouse_sees_its_order_counts_and_each_links_to_its_list(app, client, login_as, make_order):
    paid, approved = make_order("02"), make_order("03")
    make_order("E1")
    late = make_order("04")
    with app.app_context():
        db.session.execute(update(Order).where(Order.order_no == late).values(sla_flag="pack_overdue"))
        db.session.commit()
    login_as("warehouse")

    page = client.get("/staff/")

    assert page.status_code == 200 and "<html" in page.text
    counts = tiles(page.text)
    assert set(counts) == {"pending_review", "to_pack", "overdue", "exceptions", "short_stock"}
    assert counts["pending_review"] == ("/staff/orders?status=02", 1)
    assert counts["to_pack"][1] == 1 and counts["exceptions"][1] == 1 and counts["overdue"][1] == 1
    assert order_numbers(client.get(counts["to_pack"][0]).text) == [approved]
    assert order_numbers(client.get(counts["overdue"][0]).text) == [late]
    assert order_numbers(client.get(counts["pending_review"][0]).text) == [paid]


def test_counts_refresh_as_a_fragment_and_finance_sees_its_own(client, login_as, make_order):
    login_as("customer_service")
    fragment = client.get("/staff/", headers=htmx_headers())
    assert "<html" not in fragment.text and 'hx-trigger="every 30s"' in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]
    assert "sync_errors" in tiles(fragment.text) and "short_stock" not in tiles(fragment.text)

    client.post("/logout")
    login_as("finance", username="caiwu-dash")
    counts = tiles(client.get("/staff/").text)
    assert set(counts) == {"to_invoice", "to_approve"}
    assert counts["to_approve"] == ("/finance/invoices?status=pending_approval", 0)


def chart_options(html: str) -> dict[str, dict]:
    """chart id → its ECharts options, as the page carries them for static/js/charts.js."""
    found = re.findall(r'<script type="application/json" id="([\w-]+)-options">(.*?)</script>', html, re.S)
    return {chart_id: json.loads(data) for chart_id, data in found}


def test_charts_show_orders_per_hour_shipping_on_time_and_stock_cover(app, client, login_as, shop, make_order):
    on_time, late = make_order("05"), make_order("05")
    make_order("02")
    now = utcnow()
    with app.app_context():
        db.session.execute(update(Order).where(Order.order_no == late).values(
            paid_at=now - timedelta(hours=50), shipped_at=now - timedelta(minutes=1)))
        db.session.execute(update(Order).where(Order.order_no == on_time).values(
            paid_at=now - timedelta(hours=3), shipped_at=now - timedelta(minutes=1)))
        nuts = db.session.scalar(select(Sku.id).where(Sku.code == "SN-001"))
        db.session.add(SafetyStockFigure(warehouse_id=shop.warehouse_id, sku_id=nuts, days_sampled=28,
                                         units_shipped=56, mean_daily=2.0, computed_at=now))
        db.session.commit()
    login_as("warehouse")

    charts = chart_options(client.get("/staff/").text)

    assert set(charts) == {"orders-per-hour", "shipping-on-time", "stock-cover"}
    hourly = charts["orders-per-hour"]
    assert len(hourly["xAxis"]["data"]) == 24 and [s["name"] for s in hourly["series"]] == ["手工单"]
    assert sum(hourly["series"][0]["data"]) == 3 and hourly["series"][0]["data"][-1] == 3
    shipping = charts["shipping-on-time"]
    assert shipping["title"]["text"] == "近 7 天按时发货：50%"
    assert [sum(series["data"]) for series in shipping["series"]] == [1, 1]
    cover = charts["stock-cover"]
    level = db_level(app, shop.warehouse_id, nuts)
    assert cover["yAxis"]["data"] == ["SN-001"]
    assert cover["series"][0]["data"] == [round(level / 2.0, 1)]


def db_level(app, warehouse_id: int, sku_id: int) -> int:
    with app.app_context():
        row = db.session.scalar(select(StockLevel).where(StockLevel.warehouse_id == warehouse_id,
                                                         StockLevel.sku_id == sku_id))
        return row.on_hand - row.reserved - row.locked


def test_customer_service_sees_sync_lag_and_finance_no_charts(client, login_as, shop):
    login_as("customer_service")
    charts = chart_options(client.get("/staff/", headers=htmx_headers()).text)
    assert set(charts) == {"orders-per-hour", "shipping-on-time", "sync-lag"}
    assert charts["sync-lag"]["xAxis"]["data"] == ["淘宝店"] and charts["sync-lag"]["series"][0]["data"] == [None]

    client.post("/logout")
    login_as("finance", username="caiwu-charts")
    assert chart_options(client.get("/staff/").text) == {}


def test_english_dashboard_labels_its_charts_in_english(client, login_as, shop):
    login_as("operations")
    client.post("/language/en", data={"next": "/staff/"})
    html = client.get("/staff/").text
    titles = [options["title"]["text"] for options in chart_options(html).values()]
    assert titles and not any(re.search(r"[\u4e00-\u9fff]", title) for title in titles), titles


def test_the_share_of_todays_orders_auto_review_approved_is_shown_to_those_who_review(app, client, login_as,
                                                                                      make_order):
    order_numbers_made = [make_order("02") for _ in range(4)]
    with app.app_context():
        orders = db.session.scalars(select(Order).where(Order.order_no.in_(order_numbers_made))).all()
        verdicts = (True, True, False)
        for order, approved in zip(orders, verdicts, strict=False):
            db.session.add(AutoReview(order_id=order.id, approved=approved, failed_rules=[] if approved else ["remark"]))
        yesterday = orders[3]  # judged before today's midnight in Shanghai: not today's share
        db.session.add(AutoReview(order_id=yesterday.id, approved=False, failed_rules=["remark"],
                                  reviewed_at=utcnow() - timedelta(days=1, hours=1)))
        db.session.commit()
    login_as("customer_service")

    page = client.get("/staff/").text
    assert 'data-review-share="2/3"' in page and "今天自动审单通过 2 / 3 单（67%）" in page
    assert 'href="/staff/auto-review"' not in page  # customer service may not change the rules

    client.post("/language/en", data={"next": "/staff/"})
    assert "Auto-review approved 2 of 3 orders today (67%)" in client.get("/staff/").text

    client.post("/logout")
    login_as("finance", username="caiwu-share")
    assert "data-review-share" not in client.get("/staff/").text  # finance does not review orders
