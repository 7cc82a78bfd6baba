"""The 工作台: each role sees the counts of what waits for it, each a link to its filtered list, and the
counts refresh as an htmx fragment."""

import re

from sqlalchemy import update

from app.domain.orders.models import Order
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
