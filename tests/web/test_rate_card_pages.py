"""The rate-card pages: view, edit one row, Excel export, and Excel import with a preview (a file with bad
rows names every one and imports nothing)."""

import html
import io
import re

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from app.domain.reference.models import Carrier
from app.domain.routing import card_sheet, cards
from app.domain.routing.models import RateCard
from app.extensions import db
from tests import factories

HEADER = [header for header, _field, _kind in card_sheet.COLUMNS]


@pytest.fixture
def carrier_id(app) -> int:
    with app.app_context():
        carrier = factories.CarrierFactory(code="zhongtong", name="中通快递")
        cards.replace_card(carrier, [cards.RateRow("上海市", "浙江省", 1000, 600, 200, 1),
                                     cards.RateRow("上海市", "新疆", 1000, 1200, 800, 4, surcharge_fen=1000)], "test")
        db.session.commit()
        return carrier.id


def rows(app, carrier_id) -> dict[str, RateCard]:
    with app.app_context():
        found = db.session.scalars(select(RateCard).where(RateCard.carrier_id == carrier_id)).all()
        for row in found:
            db.session.expunge(row)
        return {row.destination_province: row for row in found}


def sheet(*lines) -> bytes:
    book = Workbook()
    book.active.append(HEADER)
    for line in lines:
        book.active.append(list(line))
    content = io.BytesIO()
    book.save(content)
    return content.getvalue()


GOOD = ("上海", "浙江", 1, 6.5, 2, 1, 8000, 0, 1, "是")


@pytest.fixture
def operations(login_as):
    return login_as("operations")


def test_the_card_lists_every_row_and_the_carrier_list_links_to_it(client, operations, carrier_id):
    page = client.get(f"/staff/carriers/{carrier_id}/rate-card")
    carriers = client.get("/staff/carriers")

    assert page.status_code == 200
    assert "浙江省" in page.text and "新疆维吾尔自治区" in page.text and "¥10.00" in page.text
    assert f"/staff/carriers/{carrier_id}/rate-card" in carriers.text


def test_editing_a_row_saves_it_and_a_bad_value_is_named_on_its_field(app, client, operations, carrier_id):
    row_id = rows(app, carrier_id)["浙江省"].id
    form = {"origin": "上海", "destination": "浙江", "first_kg": "1", "first_price": "7.00",
            "additional_price_per_kg": "2.50", "weight_step_kg": "0.5", "volumetric_divisor": "6000",
            "remote_surcharge": "0", "days": "2", "served": "y"}

    saved = client.post(f"/staff/carriers/{carrier_id}/rate-card/rows/{row_id}", data=form)
    refused = client.post(f"/staff/carriers/{carrier_id}/rate-card/rows/{row_id}", data=form | {"days": "0"})
    clash = client.post(f"/staff/carriers/{carrier_id}/rate-card/rows/new", data=form | {"destination": "新疆"})

    assert saved.status_code == 303
    row = rows(app, carrier_id)["浙江省"]
    assert (row.first_fen, row.extra_fen_per_kg, row.step_g, row.transit_days) == (700, 250, 500, 2)
    assert refused.status_code == 422 and "时效应在 1 到 30 天之间" in refused.text
    assert clash.status_code == 422 and "已有价格" in clash.text
    assert rows(app, carrier_id)["浙江省"].transit_days == 2


def test_export_has_one_row_per_origin_and_destination(client, operations, carrier_id):
    response = client.get(f"/staff/carriers/{carrier_id}/rate-card.xlsx")

    book = load_workbook(io.BytesIO(response.data))
    values = list(book.active.iter_rows(values_only=True))
    assert values[0] == tuple(HEADER)
    xinjiang = next(row for row in values if row[1] == "新疆维吾尔自治区")
    assert xinjiang[:4] == ("上海市", "新疆维吾尔自治区", 1, 12) and xinjiang[7] == 10
    assert len(values) == 3


def test_an_exported_card_imports_back_unchanged(client, operations, carrier_id):
    exported = client.get(f"/staff/carriers/{carrier_id}/rate-card.xlsx").data

    preview = client.post(f"/staff/carriers/{carrier_id}/rate-card/import",
                          data={"file": (io.BytesIO(exported), "card.xlsx")})

    assert preview.status_code == 200
    assert "不变 2 行" in preview.text


def test_import_previews_then_replaces_the_card_when_confirmed(app, client, operations, carrier_id):
    preview = client.post(f"/staff/carriers/{carrier_id}/rate-card/import",
                          data={"file": (io.BytesIO(sheet(GOOD, ("上海", "北京", 1, 9, 3, 1, 8000, 0, 2, "否"))),
                                         "card.xlsx")})
    assert preview.status_code == 200
    assert "新增 1 行，修改 1 行，删除 1 行" in preview.text
    assert set(rows(app, carrier_id)) == {"浙江省", "新疆维吾尔自治区"}  # nothing changes before confirming

    rows_json = re.search(r'name="rows" type="hidden" value="([^"]*)"', preview.text).group(1)
    confirmed = client.post(f"/staff/carriers/{carrier_id}/rate-card/import/confirm",
                            data={"rows": html.unescape(rows_json)})

    assert confirmed.status_code == 303
    card = rows(app, carrier_id)
    assert set(card) == {"浙江省", "北京市"}
    assert (card["浙江省"].first_fen, card["北京市"].served) == (650, False)


def test_a_file_with_bad_rows_names_every_one_and_imports_nothing(app, client, operations, carrier_id):
    bad = sheet(GOOD, ("上海", "火星", 1, 6, 2, 1, 8000, 0, 1, "是"), ("上海", "江苏", 1, "六元", 2, 1, 8000, 0, 1, "是"),
                ("上海", "江西", 1, 6, 2, 1, 8000, 0, 0, "是"), GOOD)

    response = client.post(f"/staff/carriers/{carrier_id}/rate-card/import", data={"file": (io.BytesIO(bad), "c.xlsx")})

    assert response.status_code == 422
    text = response.text
    assert "火星" in text and "不是数字: 六元" in text and "时效应在 1 到 30 天之间" in text and "重复" in text
    for line in ("<td class=\"num\">3</td>", "<td class=\"num\">4</td>", "<td class=\"num\">5</td>",
                 "<td class=\"num\">6</td>"):
        assert line in text
    assert set(rows(app, carrier_id)) == {"浙江省", "新疆维吾尔自治区"}


def test_a_file_that_is_not_excel_is_refused(client, operations, carrier_id):
    response = client.post(f"/staff/carriers/{carrier_id}/rate-card/import",
                           data={"file": (io.BytesIO(b"not a spreadsheet"), "c.xlsx")})

    assert response.status_code == 422
    assert "无法读取 Excel 文件" in response.text


def test_rate_cards_are_for_operations(client, login_as, carrier_id):
    login_as("warehouse")

    assert client.get(f"/staff/carriers/{carrier_id}/rate-card").status_code == 403


def test_the_carrier_keeps_its_tracking_code(app, client, operations):
    client.post("/staff/carriers/new", data={"code": "SF", "name": "顺丰速运", "tracking_code": "shunfeng",
                                             "active": "y"})

    with app.app_context():
        assert db.session.scalar(select(Carrier.tracking_code).where(Carrier.code == "SF")) == "shunfeng"
