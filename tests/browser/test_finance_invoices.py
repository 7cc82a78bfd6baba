"""Finance in the browser, in Chinese and in English: the queue shows a large invoice awaiting approval,
财务 approves it, and once issued it is reversed (红冲) with a reason; the timeline shows each step.
合并开票: two completed orders of one buyer are previewed and requested as one invoice."""

import re

import pytest
from sqlalchemy import select

from app.db import utcnow
from app.domain.invoicing import services
from app.domain.invoicing.models import Invoice, invoice_orders
from app.domain.invoicing.rules import InvoicingRules
from app.domain.invoicing.states import InvoiceAction, InvoiceStatus
from app.domain.invoicing.titles import Title
from app.domain.orders.models import Order
from app.extensions import db
from tests.browser.test_portal_flow import place_committed, random_mobile
from tests.browser.test_workbench import sign_in
from tests.portal import orders

TITLE = Title("company", "上海某某科技有限公司", "91310115MA1K4Q6N6T", "finance@example.cn")


@pytest.fixture
def awaiting_approval(app, created, unique):
    """A completed order's invoice, requested by customer service, waiting for a 财务 approval."""
    order, _phone = place_committed(app, created, unique, "completed")
    with app.app_context():
        [invoice] = services.request_invoice([db.session.get(Order, order.id)], TITLE, "user:kefu", "staff",
                                             InvoicingRules.from_config(app.config))
        # One 财务 approval, whatever thresholds the tests before this one left in the shared database.
        invoice.approvals_needed = 1
        invoice.status = InvoiceStatus.PENDING_APPROVAL
        db.session.commit()
        invoice_id = invoice.id
    yield invoice_id, order.order_no
    with app.app_context():
        ids = set(db.session.scalars(select(invoice_orders.c.invoice_id).where(invoice_orders.c.order_id == order.id)))
        db.session.execute(invoice_orders.delete().where(invoice_orders.c.order_id == order.id))
        db.session.commit()
    created.add("invoices", *ids)


def issued(app, invoice_id: int) -> None:
    """What the platform answers (tested against the simulator in tests/invoicing)."""
    with app.app_context():
        invoice = db.session.get(Invoice, invoice_id)
        services.transition(invoice, InvoiceAction.ISSUED, "platform")
        invoice.number, invoice.issued_at = f"2631{invoice_id:016d}", utcnow()
        db.session.commit()


@pytest.mark.parametrize("language", ["zh", "en"])
def test_finance_approves_a_large_invoice_then_reverses_it(app, browser, live_server, created, unique,
                                                          awaiting_approval, screenshot, language):
    invoice_id, order_no = awaiting_approval
    english = language == "en"
    context, page = sign_in(browser, live_server, app, created, unique, "finance")
    if english:
        page.click("form.language-switch button:has-text('English')")
        page.wait_for_load_state()

    page.goto(f"{live_server}/finance/invoices?status=pending_approval")
    row = page.locator("tr", has_text=order_no)
    assert ("Awaiting approval" if english else "待审批") in row.inner_text()
    screenshot(page, f"finance-queue-{language}")

    page.goto(f"{live_server}/finance/invoices/{invoice_id}")
    page.click("button:has-text('Approve')" if english else "button:has-text('审批通过')")
    # The header's status badge: the timeline below may name the status already (an earlier release).
    page.wait_for_selector("#invoice-panel h1 >> text=Issuing" if english else "#invoice-panel h1 >> text=开票中")
    with app.app_context():
        assert db.session.get(Invoice, invoice_id).status == InvoiceStatus.REQUESTED

    issued(app, invoice_id)
    page.goto(f"{live_server}/finance/invoices/{invoice_id}")
    page.click("summary:has-text('Reverse')" if english else "summary:has-text('红冲')")
    page.fill("textarea[name$=note]", "抬头开错" if not english else "wrong title")
    page.click("button:has-text('Confirm reversal')" if english else "button:has-text('确认红冲')")
    page.wait_for_selector("#invoice-panel h1 >> text=Being reversed" if english else "#invoice-panel h1 >> text=红冲中")
    screenshot(page, f"finance-red-letter-{language}")
    with app.app_context():
        blue = db.session.get(Invoice, invoice_id)
        red = db.session.scalar(select(Invoice).where(Invoice.reverses_id == invoice_id))
        assert blue.status == InvoiceStatus.RED_PENDING and red.total_fen == -blue.total_fen
    if english:
        content = page.content()  # (the reason finance typed stays as written; everything else is English)
        assert all(text not in content for text in ("确认红冲", "红冲原因", "驳回原因", "时间线", "级审批通过"))
        assert "Level 1 approval given" in content
    context.close()


def _unlink_invoices(app, created, order_ids: list[int]) -> None:
    """Clean-up: invoice_orders has no key of its own for the purge to follow."""
    with app.app_context():
        ids = set(db.session.scalars(select(invoice_orders.c.invoice_id)
                                     .where(invoice_orders.c.order_id.in_(order_ids))))
        db.session.execute(invoice_orders.delete().where(invoice_orders.c.order_id.in_(order_ids)))
        db.session.commit()
    created.add("invoices", *ids)


@pytest.fixture
def one_buyers_orders(app, created, unique):
    """Two completed orders of one buyer in one shop, no invoice yet."""
    phone = random_mobile()
    with app.app_context():
        shop = orders.open_shop(unique)
        placed = [orders.place_order(shop, "completed", receiver_phone=phone, buyer_phone=phone) for _ in range(2)]
        db.session.commit()
    created.add("warehouses", shop.warehouse_id)
    created.add("channels", shop.channel_id)
    created.add("carriers", shop.carrier_id)
    created.add("skus", *shop.sku_ids)
    created.add("orders", *(order.id for order in placed))
    created.phones.add(phone)
    yield phone, [order.order_no for order in placed]
    _unlink_invoices(app, created, [order.id for order in placed])


@pytest.mark.parametrize("language", ["zh", "en"])
def test_finance_merges_two_orders_of_one_buyer_into_one_invoice(app, browser, live_server, created, unique,
                                                                 one_buyers_orders, screenshot, language):
    phone, order_nos = one_buyers_orders
    english = language == "en"
    context, page = sign_in(browser, live_server, app, created, unique, "finance")
    if english:
        page.click("form.language-switch button:has-text('English')")
        page.wait_for_load_state()

    page.goto(f"{live_server}/finance/invoices")
    page.click("a:has-text('Merge into one invoice')" if english else "a:has-text('合并开票')")
    page.fill("input[name=phone]", phone)
    page.click("button:has-text('Find orders')" if english else "button:has-text('查找订单')")
    for order_no in order_nos:
        page.check(f"input[value='{order_no}']")
    page.fill("input[name=title]", TITLE.title)
    page.fill("input[name=tax_id]", TITLE.tax_id)
    page.click("button[value=preview]")
    preview = page.locator("[data-testid=merge-preview]")
    preview.wait_for()
    assert ("Preview: 1 invoice(s)" if english else "预览：1 张发票") in preview.inner_text()
    assert all(order_no in preview.inner_text() for order_no in order_nos)
    screenshot(page, f"finance-merge-preview-{language}")
    if english:
        content = page.content()
        assert all(text not in content for text in ("合并开票", "确认申请开票", "买家手机号", "预览", "价税合计"))

    page.click("button[value=request]")
    page.wait_for_url(re.compile(r".*/finance/invoices/\d+$"))
    assert all(order_no in page.content() for order_no in order_nos)
    with app.app_context():
        invoice = db.session.get(Invoice, int(page.url.rsplit("/", 1)[1]))
        assert sorted(order.order_no for order in invoice.orders) == sorted(order_nos)
        assert invoice.total_fen == sum(order.paid_fen for order in invoice.orders)
    context.close()
