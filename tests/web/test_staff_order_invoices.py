"""The order page's invoice section: customer service requests an invoice (the same service as the
portal), bad titles are named on the form with nothing saved, the order's invoices are listed, and
roles without the right get no form and a 403."""

import re

from sqlalchemy import select

from app.domain.invoicing.models import Invoice
from app.extensions import db
from tests.conftest import htmx_headers

COMPANY = {"title_type": "company", "kind": "normal", "title": "杭州某某贸易有限公司", "tax_id": "91330106MA2H3K7P6X",
           "email": "caiwu@example.cn"}


def invoices(app) -> list[Invoice]:
    with app.app_context():
        rows = db.session.scalars(select(Invoice).order_by(Invoice.id)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def test_the_order_panel_loads_its_invoice_section(client, login_as, make_order):
    login_as("customer_service")
    number = make_order("02")

    page = client.get(f"/staff/orders/{number}")
    section = client.get(f"/staff/orders/{number}/invoices", headers=htmx_headers())

    assert f'hx-get="/staff/orders/{number}/invoices"' in page.text
    assert section.status_code == 200
    assert "申请开票" in section.text and "¥199.80" in section.text


def test_customer_service_requests_an_invoice_and_sees_it_listed(app, client, login_as, make_order):
    login_as("customer_service", username="kefu-1")
    number = make_order("02")

    response = client.post(f"/staff/orders/{number}/invoices", data=COMPANY, headers=htmx_headers())

    assert response.status_code == 200, response.text
    [invoice] = invoices(app)
    assert (invoice.source, invoice.requested_by, invoice.title, invoice.total_fen) == (
        "staff", "user:kefu-1", COMPANY["title"], 19980)
    assert "等待订单完成" in response.text and "已提交开票申请" in response.text
    assert "<form" not in response.text  # covered now: no second request offered


def test_a_special_invoice_without_bank_details_names_the_fields_and_saves_nothing(app, client, login_as, make_order):
    login_as("customer_service")
    number = make_order("02")

    response = client.post(f"/staff/orders/{number}/invoices", data=COMPANY | {"kind": "special", "tax_id": "91330106MA2H3K7P6Y"},
                           headers=htmx_headers())

    assert response.status_code == 422
    for message in ("统一社会信用代码", "购方地址", "购方电话", "开户银行", "银行账号"):
        assert message in response.text, message
    assert invoices(app) == []


def test_the_section_reads_in_english(client, login_as, make_order):
    login_as("customer_service")
    number = make_order("02")

    client.post("/language/en", data={"next": "/staff/"})
    section = client.get(f"/staff/orders/{number}/invoices", headers=htmx_headers()).text

    assert "Request an invoice" in section and "Special VAT invoice" in section
    assert not re.search(r"[\u4e00-\u9fff]", section), "Chinese left on the English page"


def test_the_warehouse_may_see_the_invoices_but_not_request_one(client, login_as, make_order):
    login_as("warehouse")
    number = make_order("02")

    assert "<form" not in client.get(f"/staff/orders/{number}/invoices", headers=htmx_headers()).text
    assert client.post(f"/staff/orders/{number}/invoices", data=COMPANY).status_code == 403
