"""A customer on a phone requests an invoice for a completed order and downloads its PDF."""

import re

import pytest
from sqlalchemy import select

from app.db import utcnow
from app.domain.invoicing import pdf
from app.domain.invoicing.issuing import Seller
from app.domain.invoicing.models import Invoice, InvoiceProfile, invoice_orders
from app.domain.invoicing.states import InvoiceStatus
from app.extensions import db
from tests.browser.test_portal_flow import look_up_on_phone, place_committed

TITLE, TAX_ID = "上海某某科技有限公司", "91310115MA1K4Q6N6T"


@pytest.fixture
def completed(app, created, unique):
    """A completed order with a phone of its own; its invoices, their links and the saved titles are
    removed afterwards (the link table has no single key, and titles hang on the phone, not a foreign key)."""
    order, phone = place_committed(app, created, unique, "completed")
    yield order, phone
    with app.app_context():
        invoice_ids = set(db.session.scalars(select(invoice_orders.c.invoice_id)
                                             .where(invoice_orders.c.order_id == order.id)))
        db.session.execute(invoice_orders.delete().where(invoice_orders.c.order_id == order.id))
        db.session.execute(InvoiceProfile.__table__.delete().where(InvoiceProfile.phone == phone))
        db.session.commit()
    created.add("invoices", *invoice_ids)


def issue_with_pdf(app, order_id: int) -> None:
    """What the platform and the PDF worker do (tested on their own in tests/invoicing)."""
    with app.app_context():
        invoice = db.session.scalar(select(Invoice).join(invoice_orders).where(invoice_orders.c.order_id == order_id))
        invoice.status, invoice.number, invoice.issued_at = InvoiceStatus.ISSUED, f"2631{order_id:016d}", utcnow()
        invoice.pdf_path = pdf.write(invoice, Seller.from_config(app.config), pdf.storage_dir(app.instance_path),
                                     app.template_folder, app.static_folder)
        db.session.commit()


def test_customer_requests_an_invoice_and_downloads_the_pdf(app, browser, live_server, completed, screenshot, tmp_path):
    order, phone = completed
    context, page = look_up_on_phone(browser, live_server, order.order_no, phone)
    assert "可开票金额" in page.get_by_test_id("invoice-preview").inner_text()

    page.check("input[name=title_type][value=company]")
    page.fill("#title", TITLE)
    page.fill("#tax_id", "91310115MA1K4Q6N6X")  # a wrong check character first
    page.fill("#email", "finance@example.cn")
    page.click("text=提交开票申请")
    page.wait_for_selector("text=统一社会信用代码")
    screenshot(page, "portal-invoice-bad-tax-id")

    page.fill("#tax_id", TAX_ID)
    page.click("text=提交开票申请")
    page.wait_for_selector("[data-testid=invoice-status]")
    assert page.get_by_test_id("invoice-status").inner_text() == "开票中"
    screenshot(page, "portal-invoice-requested")

    issue_with_pdf(app, order.id)
    page.reload()
    assert page.get_by_test_id("invoice-status").inner_text() == "已开票"
    with page.expect_download() as download:
        page.get_by_test_id("invoice-pdf").click()
    saved = tmp_path / "invoice.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    assert re.fullmatch(r"2631\d{16}\.pdf", download.value.suggested_filename)
    screenshot(page, "portal-invoice-issued")
    context.close()
