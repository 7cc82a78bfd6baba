"""The warehouse's day in Chromium, in both languages: operations switch the auto-review rules on and an
order with a remark waits showing the rule that stopped it; a waybill label is printed from the order
page (the PDF served, its text read back); a parcel is scanned with a wrong barcode, then the right
ones, and ships."""

import re
from io import BytesIO

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.domain.catalog.models import Sku
from app.domain.orders import services
from app.domain.reference.models import Carrier
from app.domain.workbench import review, waybills
from app.domain.workbench.models import AutoReviewSetting
from app.extensions import db
from tests.browser.test_portal_flow import random_mobile
from tests.browser.test_workbench import sign_in
from tests.conftest import run_worker
from tests.portal import orders

SCANNED_COUNT = """count => {
  const field = document.querySelector("input[name=scanned]");
  return field !== null && field.value.split("\\n").filter(Boolean).length === count;
}"""


@pytest.fixture
def shop(app, created, unique):
    with app.app_context():
        shop = orders.open_shop(unique)
        db.session.commit()
    created.add("warehouses", shop.warehouse_id)
    created.add("channels", shop.channel_id)
    created.add("carriers", shop.carrier_id)
    created.add("skus", *shop.sku_ids)
    return shop


def place(app, created, shop, state: str, **changes) -> str:
    phone = random_mobile()
    created.phones.add(phone)
    with app.app_context():
        placed = orders.place_order(shop, state, receiver_phone=phone, buyer_phone=phone)
        order = services.get_order(placed.order_no)
        for name, value in changes.items():
            setattr(order, name, value)
        db.session.commit()
    created.add("orders", placed.id)
    return placed.order_no


def signed_in(browser, live_server, app, created, unique, role: str, lang: str):
    """Signed in as ``role``, reading the pages in ``lang`` (chosen with the layout's language switch)."""
    context, page = sign_in(browser, live_server, app, created, unique, role)
    if lang == "en":
        page.click(".language-switch button[formaction$='/language/en']")
        page.wait_for_selector("html[lang=en]")
    return context, page


def batch_id_of(page, created) -> int:
    page.wait_for_url(re.compile(r".*/staff/orders/batches/\d+$"))
    batch_id = int(page.url.rsplit("/", 1)[-1])
    created.add("order_batches", batch_id)
    return batch_id


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_operations_switch_auto_review_on_and_an_order_with_a_remark_waits_with_its_rule(
        app, browser, live_server, created, unique, shop, lang):
    texts = {"zh": ("自动审单", "保存规则", "审单规则已保存", "自动审单未通过：有备注", "自动审单未通过"),
             "en": ("Auto-review", "Save the rules", "Review rules saved", "Auto-review stopped it: has a remark",
                    "Stopped by auto-review")}[lang]
    context, page = signed_in(browser, live_server, app, created, unique, "operations", lang)
    try:
        page.goto(f"{live_server}/staff/auto-review")
        assert page.inner_text("h1") == texts[0]
        page.check("input[name='rules-enabled']")
        page.fill("input[name='rules-max_amount']", "800")
        page.click(f"button:has-text('{texts[1]}')")
        page.wait_for_selector(f"text={texts[2]}")
        with app.app_context():
            created.add("auto_review_settings", db.session.scalar(select(AutoReviewSetting.id)))

        ordinary, remarked = place(app, created, shop, "paid"), place(app, created, shop, "paid", remark="请周末送货")
        with app.app_context():
            run_worker()  # routing, then the rules
        page.goto(f"{live_server}/staff/orders/{remarked}")
        assert texts[3] in page.inner_text("[data-testid=review-stop]")
        assert texts[4] in page.inner_text(".timeline")
        page.goto(f"{live_server}/staff/orders?q={shop.sku_code}")
        page.wait_for_selector(f"text={remarked}")
        assert texts[3] in page.inner_text("#order-results")
        with app.app_context():
            assert services.get_order(ordinary).status == "03"
            assert services.get_order(remarked).status == "02"
    finally:
        with app.app_context():
            setting = review.current_setting()
            if setting.id is not None:
                setting.enabled = False
                db.session.commit()
        context.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_warehouse_prints_a_waybill_label_from_the_order_page(app, browser, live_server, created, unique,
                                                                  shop, lang):
    order_no = place(app, created, shop, "approved", carrier_id=shop.carrier_id)
    with app.app_context():
        waybills.add_numbers(db.session.get(Carrier, shop.carrier_id), f"LB{unique}", "user:test")
        db.session.commit()
    buttons = {"zh": ("打印面单", "打开 PDF 打印"), "en": ("Print waybill labels", "Open the PDF to print")}[lang]
    context, page = signed_in(browser, live_server, app, created, unique, "warehouse", lang)
    try:
        page.goto(f"{live_server}/staff/orders/{order_no}")
        page.click(f"[data-testid=print-actions] button:has-text('{buttons[0]}')")
        batch_id_of(page, created)
        with app.app_context():
            run_worker()
        link = page.wait_for_selector(f"[data-testid=print-pdf]:has-text('{buttons[1]}')", timeout=15000)
        response = page.request.get(live_server + link.get_attribute("href"))
        assert response.status == 200 and response.headers["content-type"] == "application/pdf"
        text = "\n".join(p.extract_text() for p in PdfReader(BytesIO(response.body())).pages)
        assert f"LB{unique}" in text and order_no in text and "张晓雯" in text and "世纪大道100号" in text
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_warehouse_scans_a_wrong_barcode_then_the_right_ones_and_ships(app, browser, live_server, created,
                                                                           unique, shop, lang):
    order_no = place(app, created, shop, "packing", carrier_id=shop.carrier_id)
    barcode = "69" + unique.encode().hex()[:11]
    with app.app_context():
        carrier = db.session.get(Carrier, shop.carrier_id)
        waybills.add_numbers(carrier, f"SC{unique}", "user:test")
        waybills.take(carrier, services.get_order(order_no).id)  # its label was printed
        db.session.scalar(select(Sku).where(Sku.code == shop.sku_code)).barcode = barcode
        db.session.commit()
    words = {"zh": ("不在这个包裹里", "验货通过，发货", "已发货"),
             "en": ("is not in this parcel", "Check passed: ship", "shipped")}[lang]
    context, page = signed_in(browser, live_server, app, created, unique, "warehouse", lang)
    try:
        page.goto(f"{live_server}/staff/scan")
        page.keyboard.type(f"SC{unique}")  # the waybill field has the focus: a scanner types, then Enter
        page.keyboard.press("Enter")
        page.wait_for_selector(f"text={order_no}")
        page.keyboard.type("WRONG-CODE")
        page.keyboard.press("Enter")
        assert words[0] in page.inner_text("[data-testid=scan-flagged]")
        page.click("button[name=drop_extra]")
        page.wait_for_selector("[data-testid=scan-flagged]", state="detached")
        for count, code in enumerate((barcode, barcode, shop.gift_code.lower()), start=1):
            page.fill("input[name=code]", code)
            page.press("input[name=code]", "Enter")
            page.wait_for_function(SCANNED_COUNT, arg=count)  # the panel came back with this scan in it
        page.click(f"[data-testid=ship]:has-text('{words[1]}')")
        assert words[2] in page.inner_text("[data-testid=scan-shipped]")
        with app.app_context():
            order = services.get_order(order_no)
            assert (order.status, order.waybill_no) == ("05", f"SC{unique}")
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_parcel_found_by_its_order_number_ships_under_a_typed_waybill(app, browser, live_server, created, unique,
                                                                        shop, lang):
    order_no = place(app, created, shop, "packing", carrier_id=shop.carrier_id)
    shipped_word = {"zh": "已发货", "en": "shipped"}[lang]
    context, page = signed_in(browser, live_server, app, created, unique, "warehouse", lang)
    try:
        page.goto(f"{live_server}/staff/scan")
        page.keyboard.type(order_no)  # the packing slip's barcode: the carrier's label was made elsewhere
        page.keyboard.press("Enter")
        page.wait_for_selector(f"text={order_no}")
        for count, code in enumerate((shop.sku_code, shop.sku_code, shop.gift_code), start=1):
            page.fill("input[name=code]", code)
            page.press("input[name=code]", "Enter")
            page.wait_for_function(SCANNED_COUNT, arg=count)
        page.fill("[data-testid=typed-waybill]", f"TY{unique}")
        page.press("[data-testid=typed-waybill]", "Enter")
        assert shipped_word in page.inner_text("[data-testid=scan-shipped]")
        with app.app_context():
            order = services.get_order(order_no)
            assert (order.status, order.waybill_no) == ("05", f"TY{unique}")
    finally:
        context.close()
