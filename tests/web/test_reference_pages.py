"""Warehouse, channel and carrier pages: the same list / search / create / inline-edit flow as SKUs."""

import pytest
from sqlalchemy import func, select

from app.domain.reference.models import Carrier, Channel, Warehouse
from app.extensions import db
from tests import factories
from tests.conftest import htmx_headers


@pytest.fixture(autouse=True)
def operations_user(login_as):
    login_as("operations")


@pytest.fixture
def warehouse_id(app) -> int:
    with app.app_context():
        warehouse = factories.WarehouseFactory(code="WH-SH", name="华东仓", priority=1)
        db.session.commit()
        return warehouse.id


def warehouse_form(**overrides) -> dict:
    return {"code": "WH-GZ", "name": "华南仓", "province": "广东省", "city": "广州市",
            "address": "白云区人和镇", "latitude": "23.329150", "longitude": "113.290760",
            "daily_capacity": "4000", "priority": "2", "active": "y"} | overrides


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def fetch(app, model, code: str):
    with app.app_context():
        row = db.session.scalar(select(model).where(model.code == code))
        if row is not None:
            db.session.expunge(row)
        return row


@pytest.mark.parametrize("plural", ["warehouses", "channels", "carriers"])
def test_list_page_is_whole_without_htmx_and_rows_only_with_it(client, plural):
    page = client.get(f"/staff/{plural}")
    fragment = client.get(f"/staff/{plural}", headers=htmx_headers())

    assert page.status_code == fragment.status_code == 200
    assert "<html" in page.text and '<tbody id="rows"' in page.text
    assert fragment.text.lstrip().startswith('<tbody id="rows"') and "<html" not in fragment.text
    assert "HX-Request" in page.headers["Vary"] and "HX-Request" in fragment.headers["Vary"]


def test_warehouse_search_matches_province_and_city(app, client):
    with app.app_context():
        factories.WarehouseFactory(code="WH-SH", name="华东仓", province="上海市", city="上海市")
        factories.WarehouseFactory(code="WH-CD", name="西南仓", province="四川省", city="成都市")
        db.session.commit()

    response = client.get("/staff/warehouses", query_string={"q": "四川"}, headers=htmx_headers())

    assert "WH-CD" in response.text
    assert "WH-SH" not in response.text


def test_creating_a_warehouse(app, client):
    response = client.post("/staff/warehouses/new", data=warehouse_form())

    assert response.status_code == 303
    warehouse = fetch(app, Warehouse, "WH-GZ")
    assert (warehouse.name, warehouse.city, warehouse.daily_capacity) == ("华南仓", "广州市", 4000)
    assert warehouse.latitude == pytest.approx(23.32915)
    assert warehouse.longitude == pytest.approx(113.29076)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("latitude", "60.5", "纬度应在中国境内"),
    ("longitude", "-73.9", "经度应在中国境内"),
    ("daily_capacity", "-1", "日处理能力不能为负数"),
    ("priority", "0", "优先级从 1 开始"),
    ("code", "华南 仓", "编码只能包含字母、数字、横线和下划线"),
])
def test_bad_warehouse_is_refused_with_a_chinese_message_and_not_saved(app, client, field, value, message):
    before = count(app, Warehouse)

    response = client.post("/staff/warehouses/new", data=warehouse_form(**{field: value}))

    assert response.status_code == 422
    assert message in response.text
    assert count(app, Warehouse) == before


def test_a_warehouse_code_taken_by_a_concurrent_create_is_a_clear_409(app, client, warehouse_id, monkeypatch):
    # The other request inserts WH-SH right after this one's check: the check sees nothing, the insert fails.
    monkeypatch.setattr("app.domain.reference.services.value_taken", lambda *args: False)
    before = count(app, Warehouse)

    response = client.post("/staff/warehouses/new", data=warehouse_form(code="WH-SH"))

    assert response.status_code == 409
    assert "编码 WH-SH 正被同时创建，请重试" in response.text and "<form" in response.text
    assert count(app, Warehouse) == before


def test_inline_edit_of_a_warehouse_with_htmx(app, client, warehouse_id):
    form = warehouse_form(code="WH-SH", name="华东一号仓", latitude="31.247812", longitude="121.226534")

    editor = client.get(f"/staff/warehouses/{warehouse_id}/edit", headers=htmx_headers())
    saved = client.post(f"/staff/warehouses/{warehouse_id}/edit", data=form, headers=htmx_headers())

    assert editor.text.lstrip().startswith(f'<tr id="warehouse-{warehouse_id}" class="editing"')
    assert saved.status_code == 200
    assert saved.text.lstrip().startswith(f'<tr id="warehouse-{warehouse_id}">')
    assert "华东一号仓" in saved.text
    assert fetch(app, Warehouse, "WH-SH").name == "华东一号仓"


def test_inline_edit_of_a_warehouse_without_htmx_redirects(app, client, warehouse_id):
    form = warehouse_form(code="WH-SH", name="华东一号仓")

    editor = client.get(f"/staff/warehouses/{warehouse_id}/edit")
    saved = client.post(f"/staff/warehouses/{warehouse_id}/edit", data=form)

    assert "<html" in editor.text
    assert saved.status_code == 303
    assert saved.location.endswith("/staff/warehouses")


def test_moving_a_warehouse_out_of_china_is_refused_inline(app, client, warehouse_id):
    form = warehouse_form(code="WH-SH", latitude="31.2", longitude="151.2")

    response = client.post(f"/staff/warehouses/{warehouse_id}/edit", data=form, headers=htmx_headers())

    assert response.status_code == 422
    assert response.text.lstrip().startswith(f'<tr id="warehouse-{warehouse_id}" class="editing"')
    assert "经度应在中国境内" in response.text
    assert fetch(app, Warehouse, "WH-SH").longitude == pytest.approx(121.47)


def test_creating_a_channel_with_a_default_warehouse(app, client, warehouse_id):
    form = {"code": "tmall", "platform": "tmall", "shop_name": "小满生活旗舰店", "unpaid_timeout_minutes": "30",
            "default_warehouse_id": str(warehouse_id), "active": "y"}

    response = client.post("/staff/channels/new", data=form)

    assert response.status_code == 303
    channel = fetch(app, Channel, "tmall")
    assert (channel.platform, channel.default_warehouse_id) == ("tmall", warehouse_id)
    listing = client.get("/staff/channels", headers=htmx_headers()).text
    assert "天猫" in listing and "华东仓" in listing


def test_channel_form_offers_automatic_warehouse_choice(app, client):
    form = {"code": "pos-1", "platform": "pos", "shop_name": "南京西路门店", "unpaid_timeout_minutes": "15",
            "default_warehouse_id": ""}

    response = client.post("/staff/channels/new", data=form)

    assert response.status_code == 303
    assert fetch(app, Channel, "pos-1").default_warehouse_id is None


def test_channel_with_a_too_long_unpaid_timeout_is_refused(app, client):
    form = {"code": "jd", "platform": "jd", "shop_name": "京东店", "unpaid_timeout_minutes": str(8 * 24 * 60),
            "default_warehouse_id": ""}

    response = client.post("/staff/channels/new", data=form)

    assert response.status_code == 422
    assert "未付款超时应在 1 分钟到 7 天之间" in response.text
    assert fetch(app, Channel, "jd") is None


def test_creating_a_carrier_and_refusing_its_duplicate(app, client):
    first = client.post("/staff/carriers/new", data={"code": "sf", "name": "顺丰速运", "active": "y"})
    second = client.post("/staff/carriers/new", data={"code": "sf", "name": "又一个顺丰", "active": "y"})

    assert first.status_code == 303
    assert second.status_code == 422
    assert "编码 sf 已被使用" in second.text
    assert fetch(app, Carrier, "sf").name == "顺丰速运"
    assert count(app, Carrier) == 1


def test_inline_edit_of_a_carrier_with_and_without_htmx(app, client):
    with app.app_context():
        carrier_id = factories.CarrierFactory(code="yto", name="圆通").id
        db.session.commit()

    fragment = client.post(f"/staff/carriers/{carrier_id}/edit", data={"code": "yto", "name": "圆通速递"},
                           headers=htmx_headers())
    redirect = client.post(f"/staff/carriers/{carrier_id}/edit", data={"code": "yto", "name": "圆通快递"})

    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith(f'<tr id="carrier-{carrier_id}">')
    assert "圆通速递" in fragment.text
    assert redirect.status_code == 303
    assert fetch(app, Carrier, "yto").name == "圆通快递"
    assert fetch(app, Carrier, "yto").active is False  # an unticked checkbox is not sent at all
