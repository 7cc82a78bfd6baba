"""Operations in Chromium, in Chinese and in English: edit one route of a carrier's rate card, import a
rate-card file with a bad row (every bad row named, nothing imported) and then a good one, and edit a
warehouse's routing profile (coordinates come from the city)."""

import re

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from app.domain.audit.models import AuditEntry
from app.domain.reference.models import Warehouse
from app.domain.routing import card_sheet, cards
from app.domain.routing.models import RateCard
from app.extensions import db
from tests import factories
from tests.browser.conftest import signed_in_staff

#: (language switch button, words that must show in that language)
LANGUAGES = {
    "中文": {"card": "运费模板", "errors": "处错误，未导入任何数据", "summary": "全部无误", "saved": "已保存"},
    "English": {"card": "Rate card", "errors": "nothing was imported", "summary": "all correct", "saved": "Saved"},
}


@pytest.fixture
def carrier(app, created, unique):
    with app.app_context():
        carrier = factories.CarrierFactory(code=f"zto-{unique}", name="中通快递")
        cards.replace_card(carrier, [cards.RateRow("上海市", "浙江省", 1000, 600, 200, 1)], "test")
        db.session.commit()
        created.add("carriers", carrier.id)
        created.add("rate_cards", *db.session.scalars(select(RateCard.id).where(RateCard.carrier_id == carrier.id)))
        created.add("audit_entries", *db.session.scalars(select(AuditEntry.id).where(
            AuditEntry.actor == "test", AuditEntry.subject == f"carrier:{carrier.code}")))
        return carrier.id, carrier.code


def signed_in(browser, live_server, app, created, unique, language: str):
    with app.app_context():
        user = factories.UserFactory(username=f"ops-{unique}", role="operations")
        db.session.commit()
        created.add("users", user.id)
        username = user.username
    context, page = signed_in_staff(browser, live_server, username)
    page.click(f".language-switch button:text-is('{language}')")
    return context, page


def card_file(path, *rows) -> str:
    book = Workbook()
    book.active.append([header for header, _field, _kind in card_sheet.COLUMNS])
    for row in rows:
        book.active.append(list(row))
    book.save(path)
    return str(path)


def english_only(text: str) -> None:
    """Every word of the page's main part is translated: no Chinese left but names of places and shops."""
    leftover = re.sub(r"(上海市|浙江省|江苏省|北京市|杭州市|余杭区|中通快递|杭州仓)", "", text)
    assert not re.search(r"[\u4e00-\u9fff]", leftover), leftover


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_operations_edit_a_route_and_import_a_card_with_a_bad_row(app, browser, live_server, created, unique,
                                                                  carrier, language, tmp_path, screenshot):
    carrier_id, _code = carrier
    words = LANGUAGES[language]
    context, page = signed_in(browser, live_server, app, created, unique, language)
    try:
        page.goto(f"{live_server}/staff/carriers/{carrier_id}/rate-card")
        assert words["card"] in page.inner_text("h1")
        page.click("[data-testid=rate-card] td.actions a")
        page.fill("input[name=first_price]", "7.50")
        page.fill("input[name=days]", "0")
        page.click("button[type=submit].primary")
        page.wait_for_selector("label.has-error input[name=days]")  # the transit days, named on their field
        assert page.locator("small.error").count() == 1
        page.fill("input[name=days]", "2")
        page.click("button[type=submit].primary")
        page.wait_for_url(re.compile(r".*/rate-card\?origin=.*"))
        assert words["saved"] in page.inner_text("body") and "7.50" in page.inner_text("[data-testid=rate-card]")

        page.goto(f"{live_server}/staff/carriers/{carrier_id}/rate-card/import")
        bad = card_file(tmp_path / "bad.xlsx", ("上海", "江苏", 1, 6, 2, 1, 8000, 0, 1, "是"),
                        ("上海", "火星", 1, "六元", 2, 1, 8000, 0, 1, "是"))
        page.set_input_files("input[name=file]", bad)
        page.click("button[type=submit].primary")
        errors = page.wait_for_selector("[data-testid=import-errors]").inner_text()
        assert words["errors"] in errors and "火星" in errors and "六元" in errors and "\n3\t" in errors
        if language == "English":
            english_only(page.inner_text("main").replace("火星", "").replace("六元", ""))
        screenshot(page, f"rate-card-import-errors-{language}")

        good = card_file(tmp_path / "good.xlsx", ("上海", "江苏", 1, 6, 2, 1, 8000, 0, 1, "是"),
                         ("上海", "北京", 1, 9, 3, 1, 8000, 0, 2, "否"))
        page.set_input_files("input[name=file]", good)
        page.click("button[type=submit].primary")
        assert words["summary"] in page.wait_for_selector("[data-testid=import-summary]").inner_text()
        if language == "English":
            english_only(page.inner_text("main"))
        page.click("form.inline button[type=submit].primary")
        page.wait_for_url(re.compile(rf".*/staff/carriers/{carrier_id}/rate-card$"))
        assert "北京市" in page.inner_text("[data-testid=rate-card]")
    finally:
        context.close()
    with app.app_context():
        destinations = set(db.session.scalars(select(RateCard.destination_province)
                                              .where(RateCard.carrier_id == carrier_id)))
        created.add("rate_cards", *db.session.scalars(select(RateCard.id).where(RateCard.carrier_id == carrier_id)))
    assert destinations == {"江苏省", "北京市"}


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_operations_edit_a_warehouse_profile(app, browser, live_server, created, unique, language, screenshot):
    code = f"WH-{unique}"
    context, page = signed_in(browser, live_server, app, created, unique, language)
    try:
        page.goto(f"{live_server}/staff/warehouses/new")
        page.fill("input[name=code]", code)
        page.fill("input[name=name]", "杭州仓")
        page.fill("input[name=province]", "浙江")
        page.fill("input[name=city]", "杭州市")
        page.fill("input[name=district]", "余杭区")
        page.fill("input[name=cutoff_time]", "17:30")
        page.fill("input[name=handling_hours]", "8")
        page.fill("input[name=unserved_provinces]", "西藏，新疆")
        page.fill("input[name=daily_capacity]", "800")
        if language == "English":
            english_only(page.inner_text("main"))
        screenshot(page, f"warehouse-edit-{language}")
        page.click("button[type=submit].primary")
        page.wait_for_url(re.compile(r".*/staff/warehouses$"))
        row = page.inner_text(f"tr:has-text('{code}')")
        assert "浙江省 杭州市 余杭区" in row and "17:30" in row and "0 / 800" in row
    finally:
        context.close()
    with app.app_context():
        warehouse = db.session.scalar(select(Warehouse).where(Warehouse.code == code))
        created.add("warehouses", warehouse.id)
        assert warehouse.unserved_provinces == ["新疆维吾尔自治区", "西藏自治区"]
        assert 30.0 < warehouse.latitude < 30.6 and warehouse.handling_hours == 8
