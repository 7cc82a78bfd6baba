"""A warehouse's routing profile: official province names, coordinates from the city, cut-off, handling
hours, unserved provinces and carriers checked before anything is saved."""

import pytest

from app.domain.errors import ValidationError
from app.domain.reference.services import WarehouseData, save_warehouse
from tests import factories


def hangzhou(**overrides) -> WarehouseData:
    values = {"code": "WH-HZ", "name": "杭州仓", "province": "浙江", "city": "杭州", "district": "余杭区",
              "latitude": None, "longitude": None} | overrides
    return WarehouseData(**values)


def test_the_province_is_stored_by_its_official_name_and_coordinates_come_from_the_district(app_context, _transaction):
    warehouse = save_warehouse(hangzhou(unserved_provinces=["西藏", "新疆维吾尔自治区"]))
    assert warehouse.province == "浙江省"
    assert (round(warehouse.latitude, 1), round(warehouse.longitude, 1)) == (30.4, 120.3)
    assert warehouse.unserved_provinces == ["新疆维吾尔自治区", "西藏自治区"]


def test_given_coordinates_are_kept(app_context, _transaction):
    assert save_warehouse(hangzhou(latitude=30.1, longitude=120.1)).latitude == 30.1


@pytest.mark.parametrize("overrides, field", [
    ({"province": "火星"}, "province"),
    ({"cutoff_time": "25:00"}, "cutoff_time"),
    ({"cutoff_time": "4pm"}, "cutoff_time"),
    ({"handling_hours": -1}, "handling_hours"),
    ({"unserved_provinces": ["亚特兰蒂斯"]}, "unserved_provinces"),
    ({"carrier_codes": ["no-such-carrier"]}, "carrier_codes"),
])
def test_a_bad_profile_is_refused_naming_the_field(app_context, _transaction, overrides, field):
    factories.CarrierFactory(code="zhongtong")
    with pytest.raises(ValidationError) as refused:
        save_warehouse(hangzhou(**overrides))
    assert field in refused.value.fields
