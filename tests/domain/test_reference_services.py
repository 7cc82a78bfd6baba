"""Rules for warehouses, channels and carriers."""

import pytest
from sqlalchemy import func, select

from app.domain.errors import NotFound, ValidationError
from app.domain.reference.models import Carrier, Channel, Warehouse
from app.domain.reference.services import (
    CarrierData,
    ChannelData,
    WarehouseData,
    get_by_code,
    save_carrier,
    save_channel,
    save_warehouse,
)
from app.extensions import db
from tests import factories

pytestmark = pytest.mark.usefixtures("app_context")


def shanghai(**overrides) -> WarehouseData:
    values = {"code": "WH-SH", "name": "华东仓", "province": "上海市", "city": "上海市",
              "latitude": 31.247812, "longitude": 121.226534, "address": "青浦区华新镇",
              "daily_capacity": 5000, "priority": 1}
    return WarehouseData(**values | overrides)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def refused(save, data, *args) -> dict[str, str]:
    with pytest.raises(ValidationError) as excinfo:
        save(data, *args)
    return excinfo.value.fields


class TestWarehouse:
    def test_create_and_find_by_code(self):
        warehouse = save_warehouse(shanghai())

        assert get_by_code(Warehouse, "WH-SH") is warehouse
        assert (warehouse.daily_capacity, warehouse.priority, warehouse.active) == (5000, 1, True)

    def test_coordinates_survive_the_database_to_six_places(self):
        warehouse_id = save_warehouse(shanghai()).id
        db.session.commit()
        db.session.expire_all()

        warehouse = db.session.get(Warehouse, warehouse_id)

        assert round(warehouse.latitude, 6) == 31.247812
        assert round(warehouse.longitude, 6) == 121.226534

    def test_text_fields_are_trimmed(self):
        warehouse = save_warehouse(shanghai(name="  华东仓 ", city=" 上海市"))

        assert (warehouse.name, warehouse.city) == ("华东仓", "上海市")

    @pytest.mark.parametrize(("overrides", "field", "message"), [
        ({"latitude": 60.0}, "latitude", "纬度应在中国境内"),
        ({"latitude": 1.0}, "latitude", "纬度应在中国境内"),
        ({"longitude": 150.0}, "longitude", "经度应在中国境内"),
        ({"latitude": 121.2, "longitude": 31.2}, "latitude", "纬度应在中国境内"),  # swapped by mistake
        ({"latitude": None}, "latitude", "纬度应在中国境内"),
        ({"daily_capacity": -1}, "daily_capacity", "日处理能力不能为负数"),
        ({"priority": 0}, "priority", "优先级从 1 开始"),
        ({"name": " "}, "name", "此项必填"),
        ({"province": ""}, "province", "此项必填"),
        ({"code": "WH SH"}, "code", "编码只能包含字母、数字、横线和下划线"),
        ({"code": "W" * 33}, "code", "最长 32 位"),
    ])
    def test_bad_warehouse_is_refused_and_not_saved(self, overrides, field, message):
        errors = refused(save_warehouse, shanghai(**overrides))

        assert message in errors[field]
        assert count(Warehouse) == 0

    def test_china_edges_are_accepted(self):
        mohe = save_warehouse(shanghai(code="WH-MH", latitude=53.6, longitude=122.5))
        kashgar = save_warehouse(shanghai(code="WH-KS", latitude=39.47, longitude=73.4))

        assert mohe.id and kashgar.id

    def test_duplicate_code_is_refused_but_a_warehouse_may_keep_its_own(self):
        warehouse = save_warehouse(shanghai())

        assert refused(save_warehouse, shanghai(name="另一个")) == {"code": "编码 WH-SH 已被使用"}
        save_warehouse(shanghai(name="华东一号仓"), warehouse)
        assert warehouse.name == "华东一号仓"
        assert count(Warehouse) == 1

    def test_a_refused_update_leaves_the_row_as_it_was(self):
        warehouse = save_warehouse(shanghai())

        refused(save_warehouse, shanghai(name="新名字", longitude=200.0), warehouse)

        assert warehouse.name == "华东仓"

    def test_get_by_code_raises_not_found(self):
        with pytest.raises(NotFound):
            get_by_code(Warehouse, "WH-NONE")


class TestChannel:
    def test_create_with_a_default_warehouse(self):
        warehouse = factories.WarehouseFactory()

        channel = save_channel(ChannelData("miniapp", "miniapp", "小程序商城", default_warehouse_id=warehouse.id))

        assert channel.default_warehouse is warehouse
        assert channel.platform_label == "小程序"

    @pytest.mark.parametrize(("overrides", "field", "message"), [
        ({"platform": "amazon"}, "platform", "未知平台: amazon"),
        ({"unpaid_timeout_minutes": 0}, "unpaid_timeout_minutes", "未付款超时应在 1 分钟到 7 天之间"),
        ({"unpaid_timeout_minutes": 7 * 24 * 60 + 1}, "unpaid_timeout_minutes", "未付款超时应在"),
        ({"default_warehouse_id": 987654}, "default_warehouse_id", "默认仓库不存在"),
        ({"shop_name": ""}, "shop_name", "此项必填"),
    ])
    def test_bad_channel_is_refused_and_not_saved(self, overrides, field, message):
        values = {"code": "tb", "platform": "taobao", "shop_name": "淘宝店"} | overrides

        errors = refused(save_channel, ChannelData(**values))

        assert message in errors[field]
        assert count(Channel) == 0

    def test_a_week_is_the_longest_unpaid_timeout(self):
        channel = save_channel(ChannelData("pos", "pos", "门店", unpaid_timeout_minutes=7 * 24 * 60))

        assert channel.unpaid_timeout_minutes == 10080


class TestCarrier:
    def test_create_update_and_duplicate(self):
        carrier = save_carrier(CarrierData("sf", "顺丰"))
        save_carrier(CarrierData("sf", "顺丰速运", active=False), carrier)

        assert (carrier.name, carrier.active) == ("顺丰速运", False)
        assert refused(save_carrier, CarrierData("sf", "又一个")) == {"code": "编码 sf 已被使用"}
        assert count(Carrier) == 1

    def test_carrier_needs_a_name(self):
        assert refused(save_carrier, CarrierData("zto", "")) == {"name": "此项必填"}
