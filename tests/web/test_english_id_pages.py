"""The pages that need an id (an order in each state, a shop, an invoice, a SKU, a warehouse, a carrier's
rate card, a batch, the portal's order page …) read in English with no Chinese outside data: the
URL map's rules with arguments are filled from the demo merchant's rows, for every role.

A rule added later without a way to fill it here fails the test, so new pages are not left out."""

import re

import pytest
from flask import url_for
from sqlalchemy import select

from app import privacy
from app.auth.models import User
from app.auth.roles import Role
from app.domain.catalog.models import BundleComponent, Sku
from app.domain.channels.models import ImportRun
from app.domain.invoicing.models import Invoice
from app.domain.orders.models import Order
from app.domain.orders.portal_queries import RECEIVER
from app.domain.reference.models import Carrier, Channel, Warehouse
from app.domain.routing.models import Backtest, RateCard
from app.domain.workbench import merging
from app.domain.workbench.models import OrderBatch
from app.extensions import db
from app.web.customer import links
from tests.web.test_english_pages import AREAS, DEMO_USERS, demo, untranslated  # noqa: F401

#: Text marked as Chinese on purpose: what a customer was sent, shown to staff as the customer read it.
CHINESE_PASSAGE = re.compile(r'<(\w+)[^>]*\blang="zh-CN"[^>]*>.*?</\1>', re.S)
#: Files rather than pages (Excel, PDF) and forms on their own (the import's steps need an upload first).
NOT_PAGES = {"staff.export_rate_card", "staff.download_export", "staff.download_print", "staff.export_backtest",
             "customer.download_invoice"}


def _first(model, *where, limit: int = 1) -> list:
    return list(db.session.scalars(select(model).where(*where).order_by(model.id).limit(limit)))


def _one_per_status(model) -> list:
    seen = {}
    for row in db.session.scalars(select(model).order_by(model.id)):
        seen.setdefault(row.status, row)
    return list(seen.values())


def _orders() -> list[Order]:
    """One order per state, and one with another order of its receiver to merge with when there is one."""
    chosen = _one_per_status(Order)
    mergeable = next((order for order in db.session.scalars(
        select(Order).where(Order.status.in_(merging.MERGEABLE)).limit(200)) if merging.candidates(order)), None)
    return chosen + ([mergeable] if mergeable else [])


def _bundle_ids():
    return select(BundleComponent.bundle_id)


def _safety() -> list[dict]:
    sku = _first(Sku, Sku.active)[0]
    return [{"warehouse_id": warehouse.id, "sku_id": sku.id} for warehouse in _first(Warehouse, limit=2)]


def _rate_rows() -> list[dict]:
    return [{"carrier_id": card.carrier_id, "row_id": card.id} for card in _first(RateCard)]


#: endpoint → the URL arguments to try, from the demo's rows.
FILLERS = {
    "staff.show_order": lambda: [{"order_no": order.order_no} for order in _orders()],
    "staff.assign_order": lambda: [{"order_no": order.order_no} for order in _one_per_status(Order)],
    "staff.order_invoices": lambda: [{"order_no": order.order_no} for order in _one_per_status(Order)],
    # htmx's "show more" of the timeline: opened as a page it sends the reader to the whole timeline.
    "staff.order_timeline": lambda: [{"order_no": order.order_no, "shown": 50} for order in _one_per_status(Order)],
    "staff.merge_orders": lambda: [{"order_no": order.order_no} for order in _orders()
                                   if order.status in merging.MERGEABLE],
    "staff.show_batch": lambda: [{"batch_id": batch.id} for batch in _first(OrderBatch, limit=3)],
    "finance.show_invoice": lambda: [{"invoice_id": invoice.id} for invoice in _one_per_status(Invoice)],
    "customer.show_order": lambda: [{"token": links.issue(order.id, RECEIVER)} for order in _one_per_status(Order)],
    "customer.show_invoice_section": lambda: [{"token": links.issue(order.id, RECEIVER)}
                                              for order in _one_per_status(Order)],
    "staff.show_bundle": lambda: [{"row_id": sku.id} for sku in _first(Sku, Sku.id.in_(_bundle_ids()), limit=2)],
    "staff.edit_bundle": lambda: [{"row_id": sku.id} for sku in _first(Sku, Sku.id.in_(_bundle_ids()))],
    "staff.show_sku": lambda: [{"row_id": sku.id} for sku in _first(Sku, ~Sku.id.in_(_bundle_ids()), limit=2)],
    "staff.edit_sku": lambda: [{"row_id": sku.id} for sku in _first(Sku, ~Sku.id.in_(_bundle_ids()))],
    "staff.show_carrier": lambda: [{"row_id": carrier.id} for carrier in _first(Carrier, limit=2)],
    "staff.edit_carrier": lambda: [{"row_id": carrier.id} for carrier in _first(Carrier)],
    "staff.show_rate_card": lambda: [{"carrier_id": carrier.id} for carrier in _first(Carrier, limit=2)],
    "staff.import_rate_card": lambda: [{"carrier_id": carrier.id} for carrier in _first(Carrier)],
    "staff.edit_rate_row": lambda: _rate_rows() + [{"carrier_id": carrier.id} for carrier in _first(Carrier)],
    "staff.show_channel": lambda: [{"row_id": channel.id} for channel in _first(Channel, limit=8)],
    "staff.edit_channel": lambda: [{"row_id": channel.id} for channel in _first(Channel, limit=2)],
    "staff.authorise_channel": lambda: [{"row_id": channel.id} for channel in _first(Channel, limit=8)],
    "staff.configure_channel": lambda: [{"row_id": channel.id} for channel in _first(Channel, limit=8)],
    "staff.show_import": lambda: [{"run_id": run.id} for run in _first(ImportRun)],
    "staff.map_import_columns": lambda: [{"run_id": run.id} for run in _first(ImportRun)],
    "staff.preview_import": lambda: [{"run_id": run.id} for run in _first(ImportRun)],
    "staff.show_backtest": lambda: [{"backtest_id": backtest.id} for backtest in _first(Backtest)],
    "staff.show_safety": _safety,
    "staff.edit_safety": _safety,
    "staff.edit_user": lambda: [{"user_id": user.id} for user in _first(User, limit=2)],
    "staff.show_warehouse": lambda: [{"row_id": warehouse.id} for warehouse in _first(Warehouse, limit=2)],
    "staff.edit_warehouse": lambda: [{"row_id": warehouse.id} for warehouse in _first(Warehouse)],
}


def id_pages(app) -> list[str]:
    """Every GET page with arguments, as URLs filled from the demo's rows."""
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or not rule.arguments or not rule.rule.startswith(AREAS) \
                    or rule.endpoint in NOT_PAGES:
                continue
            assert rule.endpoint in FILLERS, f"no demo row to open {rule.rule} with"
            urls.extend(url_for(rule.endpoint, **arguments) for arguments in FILLERS[rule.endpoint]())
    return sorted(set(urls))


@pytest.mark.parametrize("role", list(Role))
def test_every_page_with_an_id_reads_in_english(app, client, demo, role):  # noqa: F811
    urls = id_pages(app)
    assert any("/staff/orders/" in url for url in urls) and any("/finance/invoices/" in url for url in urls)
    response = client.post("/login", data={"username": DEMO_USERS[role], "password": "orderhub-demo"})
    assert response.status_code == 302
    client.post("/language/en", data={"next": "/staff/"})
    data = sorted({*demo, *(privacy.mask_name(value) for value in demo)}, key=len, reverse=True)  # the portal masks names
    found, opened = {}, 0
    for url in urls:
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        opened += 1
        left = untranslated(CHINESE_PASSAGE.sub(" ", response.text), data)
        if left:
            found[url] = sorted(left)
    assert opened, "the role opened none of the pages"
    assert not found, "\n".join(f"{url}: {words}" for url, words in found.items())
