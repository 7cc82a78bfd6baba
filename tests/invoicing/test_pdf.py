"""The invoice PDF: amounts in capital numerals, the text a reader gets out of the PDF, the CJK font
embedded, the QR code, and a renderer that fetches nothing but the app's own assets."""

import io
from types import SimpleNamespace

import pytest
from pypdf import PdfReader

from app.domain.invoicing import pdf, services
from app.domain.invoicing.issuing import Seller
from app.domain.invoicing.models import Invoice
from app.domain.invoicing.titles import Title
from app.extensions import db
from tests.invoicing.conftest import ACTOR, COMPANY


@pytest.mark.parametrize(("fen", "words"), [
    (18800, "壹佰捌拾捌圆整"),
    (0, "零圆整"),
    (5, "零圆零伍分"),
    (10050, "壹佰圆伍角"),
    (100005, "壹仟圆零伍分"),
    (140950, "壹仟肆佰零玖圆伍角"),
    (100000100, "壹佰万零壹圆整"),
    (1000001000, "壹仟万零壹拾圆整"),
    (10000000000, "壹亿圆整"),
    (1010000000, "壹仟零壹拾万圆整"),
    (-11800, "负壹佰壹拾捌圆整"),
])
def test_amount_in_words(fen, words):
    assert pdf.amount_in_words(fen) == words


@pytest.fixture
def issued(shop, rules):
    order = shop.completed([(shop.cup.code, 2), (shop.book.code, 1)], shipping_fen=1000)  # 173.00
    [invoice] = services.request_invoice([order], Title(*COMPANY), ACTOR, "staff", rules)
    invoice.number, invoice.issued_at = "26310000000000000042", invoice.created_at
    invoice.verify_content = "01,32,,26310000000000000042,173.00,20261204,,"
    db.session.flush()
    return invoice


def test_the_pdf_reads_correctly_in_chinese_with_its_font_embedded(app, issued):
    seller = Seller.from_config(app.config)
    content = pdf.render(issued, seller, app.template_folder, app.static_folder)

    reader = PdfReader(io.BytesIO(content))
    text = "".join(page.extract_text() for page in reader.pages).replace(" ", "")
    for expected in ("电子发票（普通发票）", "26310000000000000042", COMPANY[1], COMPANY[2], seller.name, seller.tax_id,
                     "*日用杂品*保温杯500ml", "*图书*儿童绘本", "*运输服务*运费", "壹佰柒拾叁圆整", "¥173.00",
                     "13%", "9%", "开票人", seller.clerk):
        assert expected in text, expected
    fonts = [font.get_object() for page in reader.pages for font in page["/Resources"]["/Font"].values()]
    descriptors = [font["/DescendantFonts"][0].get_object()["/FontDescriptor"] if "/DescendantFonts" in font
                   else font["/FontDescriptor"] for font in fonts]
    assert any("CJK" in str(font["/BaseFont"]) for font in fonts)
    assert all({"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor.keys()) for descriptor in descriptors)


def test_the_qr_code_carries_the_verification_content(app, issued):
    page = pdf.html(issued, Seller.from_config(app.config), app.template_folder)
    assert "<svg" in page and issued.number in page


def test_the_renderer_fetches_only_the_apps_assets(app, tmp_path):
    fetcher = pdf.AssetFetcher(tmp_path.resolve())
    (tmp_path / "ok.css").write_text("body {}")
    assert fetcher.fetch((tmp_path / "ok.css").as_uri()).url
    for url in ("file:///etc/passwd", "http://169.254.169.254/latest/meta-data", (tmp_path / "../x.css").as_uri()):
        with pytest.raises(pdf.AssetRefused):
            fetcher.fetch(url)


def test_a_red_invoice_says_so_and_names_the_blue_number(app, issued):
    red = SimpleNamespace(**{name: getattr(issued, name) for name in (
        "number", "issued_at", "created_at", "verify_content", "request_no", "kind", "title", "tax_id", "remark",
        "lines", "excluding_fen", "tax_fen")}, is_red=True, total_fen=-issued.total_fen, reverses=issued)
    page = pdf.html(red, Seller.from_config(app.config), app.template_folder)
    assert "（红字）" in page and "负壹佰柒拾叁圆整" in page and f"被红冲蓝字数电发票号码：{issued.number}" in page


def test_the_pdf_job_tells_the_customer_and_the_email_carries_the_pdf(app, issued, tmp_path, monkeypatch):
    from app.domain.notifications.adapters.email import SmtpEmail
    from app.domain.notifications.models import Message
    from app.domain.notifications.outbox import Outgoing
    from workers import einvoice as jobs

    issued.email = "finance@example.cn"
    db.session.commit()
    invoice_id = issued.id  # (the job ends its session: rows loaded before are detached)
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    name = jobs.render_pdf(invoice_id)
    assert (tmp_path / "invoices" / name).read_bytes().startswith(b"%PDF")

    [email] = db.session.query(Message).filter_by(template="invoice_issued", channel="email").all()
    mail = SmtpEmail("localhost", 25, "", "", "none", "小满生活 <noreply@orderhub.local>").compose(
        Outgoing(email.id, "email", email.recipient, email.template, email.params, 1, False))
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_filename() == name and attachment.get_content().startswith(b"%PDF")
    assert "26310000000000000042" in mail.get_body().get_content()
    assert jobs.render_pdf(invoice_id) == name  # again: the same file, no second message
    assert db.session.query(Message).filter_by(template="invoice_issued", channel="email").count() == 1
    assert [event.action for event in db.session.get(Invoice, invoice_id).events].count("notify") == 1
