"""Rules for SKUs and bundles, checked at the service layer that views, API and CLI all share."""

import pytest
from sqlalchemy import func, select

from app.domain.catalog.models import BundleComponent, Sku
from app.domain.catalog.services import (
    SkuData,
    create_sku,
    get_sku,
    save_bundle,
    set_bundle_components,
    update_sku,
)
from app.domain.errors import NotFound, ValidationError
from app.extensions import db
from tests import factories

pytestmark = pytest.mark.usefixtures("app_context")


def components_of(bundle: Sku) -> list[tuple[str, int]]:
    db.session.expire(bundle)
    return sorted((item.component.code, item.quantity) for item in bundle.components)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def field_errors(excinfo) -> dict[str, str]:
    return excinfo.value.fields


@pytest.fixture
def nuts() -> Sku:
    return factories.SkuFactory(code="SN-001", name="每日坚果")


@pytest.fixture
def bread() -> Sku:
    return factories.SkuFactory(code="SN-002", name="手撕面包")


@pytest.fixture
def kit(nuts, bread) -> Sku:
    return save_bundle(SkuData("KIT-001", "零食组合装", price_fen=9900), [("SN-001", 1), ("SN-002", 2)])


class TestSku:
    def test_create_sku_stores_every_field(self):
        sku = create_sku(SkuData("SN-100", "开心果", weight_g=560, price_fen=6990, tax_rate_bp=900,
                                 barcode="6923745100145", category="零食", active=False))

        assert db.session.get(Sku, sku.id) is sku
        assert (sku.code, sku.weight_g, sku.price_fen, sku.tax_rate_bp, sku.barcode, sku.active) == (
            "SN-100", 560, 6990, 900, "6923745100145", False)
        assert not sku.is_bundle

    def test_empty_barcode_is_stored_as_none_so_many_skus_may_lack_one(self):
        first = create_sku(SkuData("A-1", "甲", barcode=""))
        second = create_sku(SkuData("A-2", "乙", barcode=""))

        assert first.barcode is None and second.barcode is None

    @pytest.mark.parametrize(("data", "field", "message"), [
        (SkuData("bad code", "x"), "code", "编码只能包含"),
        (SkuData("-leading", "x"), "code", "编码只能包含"),
        (SkuData("A" * 65, "x"), "code", "最长 64 位"),
        (SkuData("OK-1", "   "), "name", "请输入商品名称"),
        (SkuData("OK-1", "x", weight_g=-1), "weight_g", "重量不能为负数"),
        (SkuData("OK-1", "x", price_fen=-1), "price_fen", "价格不能为负数"),
        (SkuData("OK-1", "x", tax_rate_bp=1700), "tax_rate_bp", "税率须为"),
        (SkuData("OK-1", "x", barcode="12ab"), "barcode", "条码应为 8 到 14 位数字"),
    ])
    def test_bad_sku_is_refused_naming_the_field(self, data, field, message):
        with pytest.raises(ValidationError) as excinfo:
            create_sku(data)

        assert message in field_errors(excinfo)[field]
        assert count(Sku) == 0

    def test_all_bad_fields_are_reported_at_once(self):
        with pytest.raises(ValidationError) as excinfo:
            create_sku(SkuData("bad code", "", weight_g=-1, price_fen=-1))

        assert set(field_errors(excinfo)) == {"code", "name", "weight_g", "price_fen"}

    def test_duplicate_code_and_barcode_are_refused(self, nuts):
        nuts.barcode = "6923745100015"
        db.session.flush()

        with pytest.raises(ValidationError) as excinfo:
            create_sku(SkuData("SN-001", "又一个", barcode="6923745100015"))

        assert field_errors(excinfo) == {"code": "编码 SN-001 已被使用", "barcode": "条码 6923745100015 已被使用"}

    def test_update_may_keep_its_own_code_but_not_take_anothers(self, nuts, bread):
        update_sku(nuts, SkuData("SN-001", "每日坚果 新包装", price_fen=10990))
        assert (nuts.name, nuts.price_fen) == ("每日坚果 新包装", 10990)

        with pytest.raises(ValidationError) as excinfo:
            update_sku(nuts, SkuData("SN-002", "改名"))
        assert "SN-002 已被使用" in field_errors(excinfo)["code"]
        db.session.refresh(nuts)
        assert nuts.code == "SN-001"

    def test_get_sku_by_code_or_not_found(self, nuts):
        assert get_sku("SN-001") is nuts
        with pytest.raises(NotFound):
            get_sku("NOPE")


class TestBundle:
    def test_bundle_holds_its_components_with_quantities(self, kit):
        assert kit.is_bundle
        assert components_of(kit) == [("SN-001", 1), ("SN-002", 2)]

    def test_repeated_component_lines_are_added_up(self, nuts):
        bundle = save_bundle(SkuData("KIT-002", "双份坚果"), [("SN-001", 1), ("SN-001", 2)])

        assert components_of(bundle) == [("SN-001", 3)]

    def test_editing_a_bundle_changes_adds_and_removes_components(self, kit):
        factories.SkuFactory(code="SN-003", name="夏威夷果")

        save_bundle(SkuData("KIT-001", "零食组合装 新版"), [("SN-002", 5), ("SN-003", 1)], kit)

        assert kit.name == "零食组合装 新版"
        assert components_of(kit) == [("SN-002", 5), ("SN-003", 1)]
        assert count(BundleComponent) == 2

    def test_editing_a_bundle_can_swap_all_components_in_one_go(self, kit):
        factories.SkuFactory(code="SN-003")

        set_bundle_components(kit, [("SN-003", 1)])
        set_bundle_components(kit, [("SN-001", 4), ("SN-002", 1)])

        assert components_of(kit) == [("SN-001", 4), ("SN-002", 1)]

    def test_a_bundle_cannot_contain_itself(self, kit):
        with pytest.raises(ValidationError) as excinfo:
            save_bundle(SkuData("KIT-001", "零食组合装"), [("KIT-001", 1)], kit)

        assert field_errors(excinfo)["components"] == "组合装不能包含自己"
        assert components_of(kit) == [("SN-001", 1), ("SN-002", 2)]

    def test_a_new_bundle_naming_itself_as_component_is_refused_and_not_created(self, nuts):
        with pytest.raises(ValidationError, match="输入有误") as excinfo:
            save_bundle(SkuData("KIT-009", "自己套自己"), [("SN-001", 1), ("KIT-009", 1)])

        assert field_errors(excinfo)["components"] == "组合装不能包含自己"
        assert db.session.scalar(select(Sku).where(Sku.code == "KIT-009")) is None

    def test_a_bundle_cannot_contain_another_bundle(self, kit):
        with pytest.raises(ValidationError) as excinfo:
            save_bundle(SkuData("KIT-002", "套娃"), [("KIT-001", 1)])

        assert field_errors(excinfo)["components"] == "组合装不能包含组合装: KIT-001"
        assert db.session.scalar(select(Sku).where(Sku.code == "KIT-002")) is None

    def test_a_component_of_a_bundle_cannot_itself_become_a_bundle(self, kit, nuts):
        factories.SkuFactory(code="SN-003")

        with pytest.raises(ValidationError) as excinfo:
            set_bundle_components(nuts, [("SN-003", 1)])

        assert "SN-001 已是其他组合装的子商品" in field_errors(excinfo)["components"]
        assert not nuts.is_bundle

    @pytest.mark.parametrize(("components", "message"), [
        ([], "组合装至少要有一个子商品"),
        ([("SN-001", 0)], "子商品数量必须大于 0"),
        ([("SN-001", 1), ("XX-404", 1), ("XX-405", 2)], "子商品不存在: XX-404, XX-405"),
    ])
    def test_bad_component_lists_are_refused_and_nothing_is_written(self, nuts, components, message):
        before = count(Sku)

        with pytest.raises(ValidationError) as excinfo:
            save_bundle(SkuData("KIT-009", "坏组合"), components)

        assert field_errors(excinfo)["components"] == message
        assert count(Sku) == before
        assert count(BundleComponent) == 0

    def test_a_bad_bundle_edit_changes_nothing_at_all(self, kit):
        with pytest.raises(ValidationError):
            save_bundle(SkuData("KIT-001", "改了名字", price_fen=1), [("XX-404", 1)], kit)

        db.session.refresh(kit)
        assert (kit.name, kit.price_fen) == ("零食组合装", 9900)
        assert components_of(kit) == [("SN-001", 1), ("SN-002", 2)]

    def test_bundle_with_a_bad_sku_field_is_refused_before_components_are_looked_at(self, nuts):
        with pytest.raises(ValidationError) as excinfo:
            save_bundle(SkuData("KIT-009", "负价格", price_fen=-100), [("SN-001", 1)])

        assert "price_fen" in field_errors(excinfo)
        assert count(BundleComponent) == 0

    def test_deleting_a_bundle_removes_its_component_rows_but_not_the_components(self, kit):
        db.session.delete(kit)
        db.session.flush()

        assert count(BundleComponent) == 0
        assert get_sku("SN-001") is not None
