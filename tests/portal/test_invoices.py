"""申请开票 in the portal: the saved titles, the preview, a bad tax id named on the form, the request
in the customer's name, the invoice's status, and the PDF behind the signed link only."""

from sqlalchemy import select

from app.domain.invoicing import profiles
from app.domain.invoicing.models import Invoice, InvoiceProfile
from app.domain.invoicing.states import InvoiceStatus
from app.domain.invoicing.titles import Title
from app.extensions import db
from tests.conftest import htmx_headers
from tests.portal.conftest import order_link
from tests.portal.orders import RECEIVER_PHONE

COMPANY = {"title_type": "company", "title": "上海某某科技有限公司", "tax_id": "91310115MA1K4Q6N6T",
           "email": "finance@example.cn", "save": "y", "profile": ""}


def invoices(app) -> list[Invoice]:
    with app.app_context():
        rows = list(db.session.scalars(select(Invoice).order_by(Invoice.id)))
        db.session.expunge_all()
        return rows


def test_a_paid_order_offers_the_request_with_a_preview(client, make_order):
    placed = make_order("completed")
    page = client.get(order_link(client, placed.order_no)).text
    assert "申请开票" in page and 'data-testid="invoice-preview"' in page


def test_an_unpaid_order_offers_no_request(client, make_order):
    placed = make_order("pending")
    page = client.get(order_link(client, placed.order_no)).text
    assert "订单付款后可以申请开票" in page


def test_the_customer_requests_an_invoice_and_the_title_is_saved(app, client, make_order):
    placed = make_order("completed")
    link = order_link(client, placed.order_no)
    response = client.post(f"{link}/invoice", data=COMPANY, headers=htmx_headers())
    assert response.status_code == 200 and "已提交开票申请" in response.text
    assert "<html" not in response.text and "申请开票" not in response.text.split("</dl>")[-1]
    [invoice] = invoices(app)
    assert invoice.source == "portal" and invoice.requested_by == f"customer:{RECEIVER_PHONE}"
    assert invoice.status == InvoiceStatus.REQUESTED and invoice.tax_id == COMPANY["tax_id"]
    with app.app_context():
        assert [each.title for each in profiles.profiles_of(RECEIVER_PHONE)] == [COMPANY["title"]]


def test_a_saved_title_is_one_tap(app, client, make_order):
    with app.app_context():
        saved = profiles.save_profile(RECEIVER_PHONE, Title("company", "杭州某某贸易有限公司", "91330106MA2H3K7P6X"))
        db.session.commit()
        profile_id = saved.id
    placed = make_order("completed")
    link = order_link(client, placed.order_no)
    assert "杭州某某贸易有限公司" in client.get(link).text
    response = client.post(f"{link}/invoice", data={"profile": str(profile_id), "title_type": "personal"})
    assert response.status_code == 303
    assert invoices(app)[0].title == "杭州某某贸易有限公司"


def test_a_bad_tax_id_is_named_on_the_form_and_nothing_is_saved(app, client, make_order):
    placed = make_order("completed")
    link = order_link(client, placed.order_no)
    response = client.post(f"{link}/invoice", data=COMPANY | {"tax_id": "91310115MA1K4Q6N6X"}, headers=htmx_headers())
    assert response.status_code == 422 and "统一社会信用代码" in response.text
    assert invoices(app) == []
    with app.app_context():
        assert db.session.scalars(select(InvoiceProfile)).all() == []


def test_the_pdf_downloads_only_through_the_orders_own_link(app, client, make_order, tmp_path):
    placed, other = make_order("completed"), make_order("completed")
    link = order_link(client, placed.order_no)
    client.post(f"{link}/invoice", data=COMPANY)
    [invoice] = invoices(app)
    folder = tmp_path / "invoices"
    folder.mkdir()
    (folder / "26310000000000000001.pdf").write_bytes(b"%PDF-1.7 test")
    with app.app_context():
        row = db.session.get(Invoice, invoice.id)
        row.status, row.number, row.pdf_path = InvoiceStatus.ISSUED, "26310000000000000001", "26310000000000000001.pdf"
        db.session.commit()
    original_instance = app.instance_path
    app.instance_path = str(tmp_path)
    try:
        page = client.get(link).text
        assert "下载发票 PDF" in page and "已开票" in page
        response = client.get(f"{link}/invoices/{invoice.id}.pdf")
        assert response.status_code == 200 and response.data == b"%PDF-1.7 test"
        assert response.mimetype == "application/pdf"
        other_link = order_link(client, other.order_no)
        assert client.get(f"{other_link}/invoices/{invoice.id}.pdf").status_code == 404
        assert client.get(f"/portal/o/not-a-token/invoices/{invoice.id}.pdf").status_code == 404
    finally:
        app.instance_path = original_instance


def test_the_invoice_section_refreshes_itself_while_the_invoice_moves(app, client, make_order):
    placed = make_order("completed")
    link = order_link(client, placed.order_no)
    assert 'hx-trigger="every 15s"' not in client.get(link).text  # nothing on its way yet
    client.post(f"{link}/invoice", data=COMPANY)
    page = client.get(link).text
    assert f'hx-get="{link}/invoice"' in page and 'hx-trigger="every 15s"' in page
    section = client.get(f"{link}/invoice", headers=htmx_headers())
    assert section.status_code == 200 and section.text.lstrip().startswith('<section id="invoice-section"')
    assert "开票中" in section.text


SPECIAL = COMPANY | {"kind": "special", "address": "上海市浦东新区世纪大道 100 号", "phone": "021-58881234",
                     "bank": "中国工商银行上海浦东支行", "account": "1001234567890123456"}


def test_a_special_vat_invoice_takes_the_buyers_bank_details_and_saves_them_with_the_title(app, client, make_order):
    placed = make_order("completed")
    link = order_link(client, placed.order_no)

    response = client.post(f"{link}/invoice", data=SPECIAL, headers=htmx_headers())

    assert response.status_code == 200, response.text
    [invoice] = invoices(app)
    assert (invoice.kind, invoice.buyer_address, invoice.buyer_tel, invoice.buyer_bank, invoice.buyer_account) == (
        "special", SPECIAL["address"], SPECIAL["phone"], SPECIAL["bank"], SPECIAL["account"])
    with app.app_context():
        [profile] = profiles.profiles_of(RECEIVER_PHONE)
        assert (profile.bank, profile.account) == (SPECIAL["bank"], SPECIAL["account"])


def test_a_special_vat_invoice_without_the_bank_is_named_on_the_form(app, client, make_order):
    placed = make_order("completed")
    link = order_link(client, placed.order_no)

    response = client.post(f"{link}/invoice", data=SPECIAL | {"bank": "", "account": ""}, headers=htmx_headers())

    assert response.status_code == 422
    assert "购方开户银行" in response.text and "购方银行账号" in response.text
    assert invoices(app) == []
