"""Stock pages: levels, the ledger, goods received, counts, purchase reminders and safety stock."""

import re

import pytest
from sqlalchemy import select

from app.db import utcnow
from app.domain.catalog.models import Sku
from app.domain.errors import Conflict
from app.domain.inventory.models import PurchaseReminder, SafetyStockFigure, StockLevel, StockMovement
from app.extensions import db
from tests.conftest import htmx_headers
from tests.web.conftest import assert_stock_consistent, level


@pytest.fixture(autouse=True)
def warehouse_user(login_as):
    login_as("warehouse")


def sku_codes(html: str) -> list[str]:
    return re.findall(r"<td><code>([A-Z0-9-]+)</code>", html)


def movement_count(app) -> int:
    with app.app_context():
        return len(db.session.scalars(select(StockMovement.id)).all())


class TestLevels:
    def test_full_page_lists_every_level_with_its_buckets(self, client, shop):
        response = client.get("/staff/stock")

        assert response.status_code == 200 and "<html" in response.text
        assert sku_codes(response.text) == ["GIFT-01", "SN-001", "SN-002", "SN-001"]  # WH-A by code, then WH-B
        assert "HX-Request" in response.headers["Vary"]

    def test_htmx_filter_returns_only_the_table(self, client, shop):
        response = client.get("/staff/stock", query_string={"warehouse": shop.warehouse_id, "q": "面包"},
                              headers=htmx_headers())

        assert response.text.lstrip().startswith('<section id="stock-levels">')
        assert "<html" not in response.text
        assert sku_codes(response.text) == ["SN-002"]

    def test_columns_show_reserved_locked_and_available(self, client, make_order, shop):
        make_order("02", lines=(("SN-001", 3),))
        make_order("01", lines=(("SN-001", 1),))

        html = client.get("/staff/stock", query_string={"warehouse": shop.warehouse_id, "q": "SN-001"}).text

        cells = re.findall(r'<td class="num">(?:<strong>)?(\d*)', html.split("<tbody>")[1])
        assert cells[:7] == ["10", "1", "3", "0", "6", "", ""]  # on hand, reserved, locked, safety, available, …

    def test_low_stock_is_highlighted_and_filterable(self, client, make_order, shop):
        make_order("02", lines=(("SN-002", 6),))  # nothing left to sell

        html = client.get("/staff/stock", query_string={"low": "y"}).text

        assert sku_codes(html) == ["SN-002"]
        assert '<tr class="low">' in html and "库存偏低" in html

    def test_customer_service_may_not_open_stock(self, client, login_as, shop):
        client.post("/logout")
        login_as("customer_service")

        for url in ("/staff/stock", "/staff/stock/movements", "/staff/stock/receive", "/staff/stock/count",
                    "/staff/stock/reminders", "/staff/stock/safety"):
            assert client.get(url).status_code == 403, url

    def test_anonymous_goes_to_login(self, client, shop):
        client.post("/logout")

        response = client.get("/staff/stock")

        assert response.status_code == 302 and response.location.startswith("/login")


class TestMovements:
    def test_ledger_page_and_fragment(self, client, make_order, shop):
        number = make_order("02")

        page = client.get("/staff/stock/movements")
        fragment = client.get("/staff/stock/movements", query_string={"order_no": number}, headers=htmx_headers())

        assert "<html" in page.text and "期初库存" in page.text and "OPENING" in page.text
        assert "员工 warehouse-user" not in page.text and "test" in page.text  # who did it
        assert "不是有效的" not in page.text
        assert fragment.text.lstrip().startswith('<section id="stock-movements">')
        assert fragment.text.count(f"<code>{number}</code>") == 2  # reserve, then lock
        assert "期初库存" not in fragment.text

    def test_filters_by_warehouse_sku_and_kind(self, client, make_order, shop):
        make_order("02")

        by_warehouse = client.get("/staff/stock/movements", query_string={"warehouse": shop.spare_warehouse_id})
        by_kind = client.get("/staff/stock/movements", query_string={"kind": "lock", "sku": "SN-001"})

        assert "华南仓" in by_warehouse.text and by_warehouse.text.count("<tr>") == 1 + 1  # header + one row
        assert by_kind.text.count("锁定 +2") == 1 and "期初库存" not in by_kind.text


class TestReceipt:
    def test_form_and_add_line(self, client, shop):
        page = client.get("/staff/stock/receive")
        row = client.get("/staff/stock/receive/line", query_string={"index": 3}, headers=htmx_headers())
        no_htmx = client.get("/staff/stock/receive/line", query_string={"index": 3})

        assert page.status_code == 200 and 'name="lines-2-sku"' in page.text
        assert 'name="lines-3-sku"' in row.text and 'hx-swap-oob="true"' in row.text and "<html" not in row.text
        assert no_htmx.status_code == 302

    def test_receiving_goods_raises_on_hand_with_a_ledger_row(self, app, client, shop):
        response = client.post("/staff/stock/receive", data={
            "warehouse_id": shop.spare_warehouse_id, "reference": "PO-2026-001", "reason": "采购入库",
            "lines-0-sku": "SN-002", "lines-0-quantity": "12", "lines-1-sku": "SN-001", "lines-1-quantity": "3"})

        assert response.status_code == 303
        assert level(app, "SN-002", "WH-B")["on_hand"] == 12 and level(app, "SN-001", "WH-B")["on_hand"] == 4
        assert "已入库 2 个商品，共 15 件" in client.get(response.location).text
        with app.app_context():
            assert db.session.scalar(select(StockMovement).where(StockMovement.reference == "PO-2026-001")
                                     .limit(1)).actor == "user:warehouse-user"
        assert_stock_consistent(app)

    @pytest.mark.parametrize(("lines", "message"), [
        ({"lines-0-sku": "NOPE", "lines-0-quantity": "1"}, "商品 NOPE 不存在"),
        ({"lines-0-sku": "SN-001", "lines-0-quantity": "0"}, "数量必须大于 0"),
        ({"lines-0-sku": "SN-001", "lines-0-quantity": ""}, "请填写数量"),
        ({}, "至少要填一行"),
        ({"lines-0-sku": "KIT-001", "lines-0-quantity": "1"}, "组合装没有自己的库存"),
    ])
    def test_bad_lines_are_refused_and_nothing_is_received(self, app, client, shop, lines, message):
        before = movement_count(app)

        response = client.post("/staff/stock/receive", data={"warehouse_id": shop.warehouse_id, **lines})

        assert response.status_code == 422
        assert message in response.text
        assert movement_count(app) == before


class TestCount:
    def test_form_opened_from_a_row_is_filled_in_and_shows_the_books(self, client, shop):
        response = client.get("/staff/stock/count", query_string={"warehouse_id": shop.warehouse_id, "sku": "SN-001"})

        assert response.status_code == 200
        assert 'value="SN-001"' in response.text
        assert "账面：在库 10，预占 0，锁定 0" in response.text

    def test_a_count_sets_on_hand_and_ledgers_the_difference(self, app, client, shop):
        response = client.post("/staff/stock/count", data={"warehouse_id": shop.warehouse_id, "sku": "SN-001",
                                                           "counted": "7", "reason": "月度盘点"})

        assert response.status_code == 303
        assert level(app, "SN-001")["on_hand"] == 7
        with app.app_context():
            movement = db.session.scalar(select(StockMovement).where(StockMovement.kind == "adjustment"))
            assert movement.on_hand_delta == -3 and movement.reason == "月度盘点"
        assert_stock_consistent(app)

    @pytest.mark.parametrize(("data", "message"), [
        ({"sku": "NOPE", "counted": "1"}, "商品 NOPE 不存在"),
        ({"sku": "SN-001", "counted": "-1"}, "不能为负数"),
        ({"sku": "SN-001", "counted": ""}, "此项必填"),
        ({"sku": "KIT-001", "counted": "1"}, "组合装没有自己的库存"),
    ])
    def test_bad_counts_are_refused(self, app, client, shop, data, message):
        response = client.post("/staff/stock/count", data={"warehouse_id": shop.warehouse_id, "reason": "盘点", **data})

        assert response.status_code == 422
        assert message in response.text
        assert level(app, "SN-001")["on_hand"] == 10

    def test_stock_that_moved_during_the_count_is_a_409(self, app, client, shop, monkeypatch):
        def moved(*args, **kwargs):
            raise Conflict("库存在盘点期间发生了变化，请刷新后重新录入")

        monkeypatch.setattr("app.web.staff.stock.views.inventory.adjust_to_count", moved)

        response = client.post("/staff/stock/count", data={"warehouse_id": shop.warehouse_id, "sku": "SN-001",
                                                           "counted": "7", "reason": "盘点"})

        assert response.status_code == 409
        assert "库存在盘点期间发生了变化" in response.text
        assert level(app, "SN-001")["on_hand"] == 10


def override(client, shop, sku_id, htmx=False, **data):
    return client.post(f"/staff/stock/safety/{shop.warehouse_id}/{sku_id}/edit", data=data,
                       headers=htmx_headers() if htmx else {})


@pytest.fixture
def sku_ids(app, shop) -> dict[str, int]:
    with app.app_context():
        return {sku.code: sku.id for sku in db.session.scalars(select(Sku))}


class TestReminders:
    @pytest.fixture
    def reminder_id(self, app, client, shop, sku_ids) -> int:
        """SN-002 (6 on hand) gets a reorder point of 10 by hand: one reminder is raised."""
        override(client, shop, sku_ids["SN-002"], reorder_point="10", reason="大促备货")
        with app.app_context():
            return db.session.scalar(select(PurchaseReminder.id))

    def test_open_reminders_are_listed_with_a_counter(self, client, reminder_id):
        page = client.get("/staff/stock/reminders")
        fragment = client.get("/staff/stock/reminders", headers=htmx_headers())

        assert "<html" in page.text and "SN-002" in page.text
        assert '<span id="open-reminders" class="counter">1</span>' in page.text
        assert "<strong>14</strong>" in page.text  # suggested: 2 × 10 − 6
        assert fragment.text.lstrip().startswith('<section id="reminders">')

    def test_dismiss_with_htmx_removes_the_row_and_updates_the_counter(self, app, client, reminder_id):
        response = client.post(f"/staff/stock/reminders/{reminder_id}/dismiss", headers=htmx_headers())

        assert response.status_code == 200
        assert "<tr" not in response.text
        assert 'id="open-reminders" class="counter" hx-swap-oob="true">0<' in response.text
        assert "已忽略 SN-002" in response.text
        with app.app_context():
            assert db.session.get(PurchaseReminder, reminder_id).dismissed_by == "user:warehouse-user"

    def test_dismiss_without_htmx_redirects_and_the_reminder_moves_to_all(self, client, reminder_id):
        response = client.post(f"/staff/stock/reminders/{reminder_id}/dismiss")

        assert response.status_code == 303
        assert "SN-002" not in client.get("/staff/stock/reminders").text.split("<tbody")[1]
        assert "已忽略" in client.get("/staff/stock/reminders", query_string={"show": "all"}).text

    def test_dismissing_an_unknown_reminder_is_404(self, client, shop):
        assert client.post("/staff/stock/reminders/999999/dismiss").status_code == 404


class TestSafetyStock:
    def test_list_page_and_fragment(self, client, shop):
        page = client.get("/staff/stock/safety")
        fragment = client.get("/staff/stock/safety", query_string={"q": "SN-001", "warehouse": shop.warehouse_id},
                              headers=htmx_headers())

        assert "<html" in page.text and "尚未计算" in page.text
        assert fragment.text.lstrip().startswith('<section id="safety-rows">')
        assert sku_codes(fragment.text) == ["SN-001"]

    def test_shows_the_computed_inputs(self, app, client, shop, sku_ids):
        with app.app_context():
            db.session.add(SafetyStockFigure(
                warehouse_id=shop.warehouse_id, sku_id=sku_ids["SN-001"], days_sampled=28, units_shipped=56,
                mean_daily=2.0, stddev_daily=1.5, service_level_pct=95, z=1.645, lead_time_days=7,
                computed_safety=7, computed_reorder_point=21, computed_at=utcnow()))
            db.session.commit()

        html = client.get("/staff/stock/safety", query_string={"q": "SN-001", "warehouse": shop.warehouse_id}).text

        for cell in ("28", "56", "2.00", "1.50", "95%", "7", "21"):
            assert f'<td class="num">{cell}</td>' in html, cell
        assert "σ" not in html and "z ×" not in html and ">z<" not in html
        assert ("近 28 天卖出 56 件，平均每天 2.0 件、起伏约 ±1.5 件；补货要 7 天，为有 95% 的把握不断货，"
                "多备 7 件，库存降到 21 件时补货。") in html

    def test_inline_edit_row_with_htmx_and_a_form_page_without(self, client, shop, sku_ids):
        url = f"/staff/stock/safety/{shop.warehouse_id}/{sku_ids['SN-001']}/edit"

        row = client.get(url, headers=htmx_headers())
        page = client.get(url)

        assert row.text.lstrip().startswith("<tr") and 'class="editing"' in row.text and "<html" not in row.text
        assert "<html" in page.text and "调整安全库存：SN-001（华东仓）" in page.text

    def test_override_with_htmx_returns_the_row_and_changes_the_level(self, app, client, shop, sku_ids):
        response = override(client, shop, sku_ids["SN-001"], htmx=True, safety="3", reorder_point="8",
                            reason="新品首发，先多备")

        assert response.status_code == 200
        assert response.text.lstrip().startswith("<tr") and 'class="overridden"' in response.text
        assert "安全库存 3，补货点 8" in response.text and 'hx-swap-oob="true"' in response.text
        with app.app_context():
            row = db.session.scalar(select(StockLevel).where(StockLevel.sku_id == sku_ids["SN-001"],
                                                             StockLevel.warehouse_id == shop.warehouse_id))
            assert (row.safety, row.reorder_point) == (3, 8)
        assert_stock_consistent(app)

    def test_override_without_htmx_redirects_to_the_list(self, client, shop, sku_ids):
        response = override(client, shop, sku_ids["SN-001"], safety="2", reorder_point="", reason="试销期")

        assert response.status_code == 303
        page = client.get(response.location).text
        assert "已更新 SN-001（华东仓）的安全库存设置" in page and "安全库存 2，补货点 —" in page

    def test_override_without_a_reason_is_refused(self, client, shop, sku_ids):
        response = override(client, shop, sku_ids["SN-001"], htmx=True, safety="3", reason="")

        assert response.status_code == 422
        assert "手工设置需要填写原因" in response.text

    def test_clear_returns_to_the_computed_values(self, client, shop, sku_ids):
        override(client, shop, sku_ids["SN-001"], safety="3", reason="临时")
        url = f"/staff/stock/safety/{shop.warehouse_id}/{sku_ids['SN-001']}/clear"

        cleared = client.post(url, headers=htmx_headers())
        again = client.post(url)

        assert cleared.status_code == 200 and 'class="overridden"' not in cleared.text
        assert "已恢复为计算值" in cleared.text
        assert again.status_code == 303

    def test_show_row_is_for_htmx_only(self, client, shop, sku_ids):
        url = f"/staff/stock/safety/{shop.warehouse_id}/{sku_ids['SN-001']}"

        assert client.get(url, headers=htmx_headers()).text.lstrip().startswith("<tr")
        assert client.get(url).status_code == 302

    def test_unknown_level_is_404(self, client, shop):
        assert client.get(f"/staff/stock/safety/{shop.warehouse_id}/999999/edit").status_code == 404
