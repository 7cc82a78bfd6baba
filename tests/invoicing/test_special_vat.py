"""增值税专用发票: the buyer's address and telephone, bank and account are required and checked, kept on
the invoice (and a saved title), sent to the platform and printed on the PDF."""

import io

import pytest
from pypdf import PdfReader

from app.domain.errors import ValidationError
from app.domain.invoicing import issuing, pdf, profiles, services
from app.domain.invoicing.issuing import Seller
from app.domain.invoicing.titles import Title, clean
from app.extensions import db
from tests.invoicing.conftest import ACTOR, BUYER_PHONE, COMPANY

SPECIAL = Title(*COMPANY, email="caiwu@example.cn", kind="special", address="上海市浦东新区世纪大道 100 号",
                phone="021-58881234", bank="中国工商银行上海浦东支行", account="1001 2345 6789 0123 456")


def test_a_special_title_keeps_its_buyer_details_trimmed():
    title = clean(SPECIAL)
    assert (title.address, title.phone, title.bank, title.account) == (
        "上海市浦东新区世纪大道 100 号", "021-58881234", "中国工商银行上海浦东支行", "1001 2345 6789 0123 456")


def test_a_normal_title_drops_the_special_details():
    title = clean(Title(*COMPANY, address="x", phone="021-1", bank="y", account="z"))
    assert (title.address, title.phone, title.bank, title.account) == ("", "", "", "")


@pytest.mark.parametrize(("field", "value"), [
    ("address", ""), ("phone", ""), ("phone", "电话"), ("bank", ""), ("account", ""), ("account", "12ab34"),
])
def test_a_special_title_without_valid_buyer_details_names_the_field(field, value):
    with pytest.raises(ValidationError) as raised:
        clean(Title(**vars(SPECIAL) | {field: value}))
    assert set(raised.value.fields) == {field}


def test_a_special_invoice_carries_the_details_to_the_platform_and_the_pdf(app, shop, rules):
    order = shop.completed([(shop.cup.code, 2)])
    [invoice] = services.request_invoice([order], SPECIAL, ACTOR, "staff", rules)
    assert (invoice.kind, invoice.buyer_bank, invoice.buyer_account) == ("special", SPECIAL.bank, SPECIAL.account)

    seller = Seller.from_config(app.config)
    request = issuing.issue_request(invoice, seller)
    assert (request.buyer_address, request.buyer_tel, request.buyer_bank, request.buyer_account) == (
        SPECIAL.address, SPECIAL.phone, SPECIAL.bank, SPECIAL.account)

    invoice.number, invoice.issued_at = "26310000000000000077", invoice.created_at
    reader = PdfReader(io.BytesIO(pdf.render(invoice, seller, app.template_folder, app.static_folder)))
    text = "".join(page.extract_text() for page in reader.pages).replace(" ", "").replace("\n", "")
    for expected in ("电子发票（增值税专用发票）", "上海市浦东新区世纪大道100号", "021-58881234", "中国工商银行上海浦东支行",
                     "1001234567890123456", seller.bank.replace(" ", "")):
        assert expected in text, expected


def test_a_saved_title_remembers_its_special_details(app_context):
    profiles.save_profile(BUYER_PHONE, SPECIAL)
    db.session.flush()
    [profile] = profiles.profiles_of(BUYER_PHONE)
    assert profiles.as_title(profile, "special") == clean(SPECIAL)
    profiles.save_profile(BUYER_PHONE, Title(*COMPANY))  # a 普票 request later keeps them
    assert profile.bank == SPECIAL.bank
