"""Finance in the browser, in Chinese and in English: the queue shows a large invoice awaiting approval,
财务 approves it, and once issued it is reversed (红冲) with a reason; the timeline shows each step."""

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
from tests.browser.test_portal_flow import place_committed
from tests.browser.test_workbench import sign_in

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
    page.wait_for_selector("text=Issuing" if english else "text=开票中")
    with app.app_context():
        assert db.session.get(Invoice, invoice_id).status == InvoiceStatus.REQUESTED

    issued(app, invoice_id)
    page.goto(f"{live_server}/finance/invoices/{invoice_id}")
    page.click("summary:has-text('Reverse')" if english else "summary:has-text('红冲')")
    page.fill("textarea[name$=note]", "抬头开错" if not english else "wrong title")
    page.click("button:has-text('Confirm reversal')" if english else "button:has-text('确认红冲')")
    page.wait_for_selector("text=Being reversed" if english else "text=红冲中")
    screenshot(page, f"finance-red-letter-{language}")
    with app.app_context():
        blue = db.session.get(Invoice, invoice_id)
        red = db.session.scalar(select(Invoice).where(Invoice.reverses_id == invoice_id))
        assert blue.status == InvoiceStatus.RED_PENDING and red.total_fen == -blue.total_fen
    if english:
        content = page.content()  # (timeline notes are stored as written; the page's own words are English)
        assert all(text not in content for text in ("确认红冲", "红冲原因", "驳回原因", "时间线"))
    context.close()
