"""SKU and bundle pages: live search, create, inline edit, and bad input refused with Chinese messages."""

import pytest
from sqlalchemy import func, select

from app.domain.catalog.models import Sku
from app.extensions import db
from tests import factories
from tests.conftest import htmx_headers


@pytest.fixture(autouse=True)
def operations_user(login_as):
    login_as("operations")


@pytest.fixture
def skus(app) -> dict[str, int]:
    with app.app_context():
        nuts = factories.SkuFactory(code="SN-001", name="每日坚果 750g", category="零食")
        bread = factories.SkuFactory(code="SN-002", name="手撕面包 1000g", category="零食")
        soap = factories.SkuFactory(code="HH-001", name="洗衣凝珠 52颗", category="日用")
        db.session.commit()
        return {sku.code: sku.id for sku in (nuts, bread, soap)}


@pytest.fixture
def bundle_id(app, skus) -> int:
    with app.app_context():
        bundle = factories.SkuFactory(code="KIT-001", name="零食组合装")
        factories.BundleComponentFactory(bundle=bundle, component=db.session.get(Sku, skus["SN-001"]), quantity=1)
        db.session.commit()
        return bundle.id


def sku_form(**overrides) -> dict:
    return {"code": "SN-100", "name": "开心果 500g", "barcode": "", "category": "零食", "weight_g": "560",
            "price_fen": "69.90", "tax_rate_bp": "1300", "active": "y"} | overrides


def count_skus(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Sku))


def find_sku(app, code: str) -> Sku | None:
    with app.app_context():
        sku = db.session.scalar(select(Sku).where(Sku.code == code))
        if sku is not None:
            db.session.expunge(sku)
        return sku


class TestList:
    def test_full_page_lists_plain_skus_and_not_bundles(self, client, skus, bundle_id):
        response = client.get("/staff/skus")

        assert response.status_code == 200
        assert "<html" in response.text
        assert '<tbody id="rows"' in response.text
        assert "SN-001" in response.text and "HH-001" in response.text
        assert "KIT-001" not in response.text
        assert "HX-Request" in response.headers["Vary"]

    def test_live_search_with_htmx_returns_only_the_matching_rows(self, client, skus):
        response = client.get("/staff/skus", query_string={"q": "坚果"}, headers=htmx_headers())

        assert response.status_code == 200
        assert response.text.lstrip().startswith('<tbody id="rows"')
        assert "<html" not in response.text
        assert "SN-001" in response.text
        assert "SN-002" not in response.text and "HH-001" not in response.text
        assert "HX-Request" in response.headers["Vary"]

    def test_search_without_htmx_returns_the_whole_page_filtered(self, client, skus):
        response = client.get("/staff/skus", query_string={"q": "hh-"})

        assert "<html" in response.text
        assert "HH-001" in response.text
        assert "SN-001" not in response.text

    def test_search_matching_nothing_says_so(self, client, skus):
        response = client.get("/staff/skus", query_string={"q": "没有这个"}, headers=htmx_headers())

        assert "没有找到" in response.text

    def test_boosted_navigation_gets_the_whole_page(self, client, skus):
        response = client.get("/staff/skus", headers=htmx_headers(**{"HX-Boosted": "true"}))

        assert "<html" in response.text

    def test_money_and_weight_are_shown_for_people(self, client, skus):
        response = client.get("/staff/skus", query_string={"q": "SN-001"}, headers=htmx_headers())

        assert "¥59.00" in response.text
        assert "500 g" in response.text

    def test_bundle_list_shows_bundles_with_their_components(self, client, bundle_id):
        response = client.get("/staff/bundles", headers=htmx_headers())

        assert "KIT-001" in response.text
        assert "每日坚果 750g × 1" in response.text
        assert "SN-002" not in response.text


class TestCreate:
    def test_create_form_page_renders(self, client):
        response = client.get("/staff/skus/new")

        assert response.status_code == 200
        assert "新建" in response.text

    def test_creating_a_sku_saves_it_and_goes_back_to_the_list(self, app, client):
        response = client.post("/staff/skus/new", data=sku_form(barcode="6923745100145"))

        assert response.status_code == 303
        assert response.location.endswith("/staff/skus")
        sku = find_sku(app, "SN-100")
        assert (sku.name, sku.price_fen, sku.weight_g, sku.barcode) == ("开心果 500g", 6990, 560, "6923745100145")
        assert "已创建 SN-100" in client.get("/staff/skus").text

    def test_dimensions_are_saved_and_a_bad_one_is_named_on_its_field(self, app, client):
        saved = client.post("/staff/skus/new", data=sku_form(length_cm="30", width_cm="20", height_cm="10"))
        refused = client.post("/staff/skus/new", data=sku_form(code="SN-101", length_cm="900"))

        assert saved.status_code == 303
        sku = find_sku(app, "SN-100")
        assert (sku.length_cm, sku.width_cm, sku.height_cm) == (30, 20, 10)
        assert refused.status_code == 422 and "尺寸应在 0 到 500 厘米之间" in refused.text
        assert find_sku(app, "SN-101") is None

    def test_creating_a_bundle_from_component_lines(self, app, client, skus):
        form = sku_form(code="KIT-009", name="早餐组合装", components="SN-001 2\nSN-002 × 1\n")

        response = client.post("/staff/bundles/new", data=form)

        assert response.status_code == 303
        bundle = find_sku(app, "KIT-009")
        with app.app_context():
            bundle = db.session.get(Sku, bundle.id)
            assert sorted((item.component.code, item.quantity) for item in bundle.components) == [
                ("SN-001", 2), ("SN-002", 1)]

    def test_duplicate_code_is_refused_and_nothing_is_saved(self, app, client, skus):
        before = count_skus(app)

        response = client.post("/staff/skus/new", data=sku_form(code="SN-001"))

        assert response.status_code == 422
        assert "编码 SN-001 已被使用" in response.text
        assert count_skus(app) == before

    def test_negative_weight_is_refused(self, app, client):
        response = client.post("/staff/skus/new", data=sku_form(weight_g="-5"))

        assert response.status_code == 422
        assert "重量不能为负数" in response.text
        assert find_sku(app, "SN-100") is None

    def test_weight_that_is_not_a_number_is_refused_in_chinese(self, app, client):
        response = client.post("/staff/skus/new", data=sku_form(weight_g="五百"))

        assert response.status_code == 422
        assert "不是有效的整数" in response.text
        assert find_sku(app, "SN-100") is None

    def test_price_with_three_decimals_is_refused(self, app, client):
        response = client.post("/staff/skus/new", data=sku_form(price_fen="69.999"))

        assert response.status_code == 422
        assert "请输入金额" in response.text
        assert find_sku(app, "SN-100") is None

    def test_missing_name_is_refused(self, app, client):
        response = client.post("/staff/skus/new", data=sku_form(name=""))

        assert response.status_code == 422
        assert "此项必填" in response.text

    def test_bundle_that_contains_itself_is_refused_and_nothing_is_saved(self, app, client, skus):
        before = count_skus(app)
        form = sku_form(code="KIT-009", components="SN-001 1\nKIT-009 1")

        response = client.post("/staff/bundles/new", data=form)

        assert response.status_code == 422
        assert "组合装不能包含自己" in response.text
        assert count_skus(app) == before

    def test_bundle_with_an_unknown_component_is_refused(self, app, client, skus):
        response = client.post("/staff/bundles/new", data=sku_form(code="KIT-009", components="XX-404 1"))

        assert response.status_code == 422
        assert "子商品不存在: XX-404" in response.text
        assert find_sku(app, "KIT-009") is None

    def test_badly_written_component_line_is_refused_with_its_line_number(self, app, client, skus):
        response = client.post("/staff/bundles/new",
                               data=sku_form(code="KIT-009", components="SN-001 1\nSN-002 two"))

        assert response.status_code == 422
        assert "第 2 行" in response.text
        assert find_sku(app, "KIT-009") is None


class TestInlineEdit:
    def test_edit_with_htmx_returns_the_editable_row(self, client, skus):
        sku_id = skus["SN-001"]

        response = client.get(f"/staff/skus/{sku_id}/edit", headers=htmx_headers())

        assert response.status_code == 200
        assert response.text.lstrip().startswith(f'<tr id="sku-{sku_id}" class="editing"')
        assert "<html" not in response.text
        assert 'value="SN-001"' in response.text
        assert "HX-Request" in response.headers["Vary"]

    def test_edit_without_htmx_is_a_whole_form_page(self, client, skus):
        response = client.get(f"/staff/skus/{skus['SN-001']}/edit")

        assert response.status_code == 200
        assert "<html" in response.text
        assert 'value="59.00"' in response.text

    def test_saving_with_htmx_returns_the_updated_row(self, app, client, skus):
        sku_id = skus["SN-001"]

        response = client.post(f"/staff/skus/{sku_id}/edit", data=sku_form(code="SN-001", name="每日坚果 新包装"),
                               headers=htmx_headers())

        assert response.status_code == 200
        assert response.text.lstrip().startswith(f'<tr id="sku-{sku_id}">')
        assert "每日坚果 新包装" in response.text
        assert find_sku(app, "SN-001").name == "每日坚果 新包装"

    def test_saving_without_htmx_redirects_to_the_list(self, app, client, skus):
        response = client.post(f"/staff/skus/{skus['SN-001']}/edit", data=sku_form(code="SN-001", price_fen="88"))

        assert response.status_code == 303
        assert response.location.endswith("/staff/skus")
        assert find_sku(app, "SN-001").price_fen == 8800

    def test_bad_inline_edit_comes_back_as_the_editable_row_with_the_error(self, app, client, skus):
        sku_id = skus["SN-001"]

        response = client.post(f"/staff/skus/{sku_id}/edit", data=sku_form(code="SN-002"), headers=htmx_headers())

        assert response.status_code == 422
        assert response.text.lstrip().startswith(f'<tr id="sku-{sku_id}" class="editing"')
        assert "编码 SN-002 已被使用" in response.text
        assert find_sku(app, "SN-001").name == "每日坚果 750g"

    def test_bad_edit_without_htmx_comes_back_as_the_form_page(self, app, client, skus):
        response = client.post(f"/staff/skus/{skus['SN-001']}/edit", data=sku_form(code="SN-001", weight_g="-1"))

        assert response.status_code == 422
        assert "<html" in response.text
        assert "重量不能为负数" in response.text
        assert find_sku(app, "SN-001").weight_g == 500

    def test_cancel_with_htmx_returns_the_read_only_row(self, client, skus):
        sku_id = skus["SN-001"]

        response = client.get(f"/staff/skus/{sku_id}", headers=htmx_headers())

        assert response.status_code == 200
        assert response.text.lstrip().startswith(f'<tr id="sku-{sku_id}">')
        assert "HX-Request" in response.headers["Vary"]

    def test_row_url_without_htmx_goes_to_the_list_searched_for_it(self, client, skus):
        response = client.get(f"/staff/skus/{skus['SN-001']}")

        assert response.status_code == 302
        assert response.location.endswith("/staff/skus?q=SN-001")
        assert "HX-Request" in response.headers["Vary"]

    def test_editing_a_missing_row_is_404(self, client):
        assert client.get("/staff/skus/999999/edit", headers=htmx_headers()).status_code == 404

    def test_editing_a_bundles_components_inline(self, app, client, bundle_id):
        form = sku_form(code="KIT-001", name="零食组合装", components="SN-001 3\nSN-002 1")

        response = client.post(f"/staff/bundles/{bundle_id}/edit", data=form, headers=htmx_headers())

        assert response.status_code == 200
        assert "每日坚果 750g × 3" in response.text
        assert "手撕面包 1000g × 1" in response.text

    def test_a_bundle_cannot_be_edited_to_contain_itself(self, app, client, bundle_id):
        form = sku_form(code="KIT-001", name="零食组合装", components="KIT-001 1")

        response = client.post(f"/staff/bundles/{bundle_id}/edit", data=form, headers=htmx_headers())

        assert response.status_code == 422
        assert "组合装不能包含自己" in response.text
        with app.app_context():
            bundle = db.session.get(Sku, bundle_id)
            assert [(item.component.code, item.quantity) for item in bundle.components] == [("SN-001", 1)]
