"""Receiver addresses placed on the official divisions, whatever form the province arrives in."""

import pytest

from app.domain.reference.places import locate


@pytest.mark.parametrize("given, province, adcode", [
    (("浙江",), "浙江省", "330000"),
    (("浙江省", "杭州", "西湖区"), "浙江省", "330106"),
    (("广西壮族自治区",), "广西壮族自治区", "450000"),
    (("广西", "南宁市"), "广西壮族自治区", "450100"),
    (("上海",), "上海市", "310000"),
    (("上海市", "上海市", "浦东新区"), "上海市", "310115"),
])
def test_provinces_in_any_form_resolve_to_the_official_division(given, province, adcode):
    place = locate(*given)
    assert (place.province, place.adcode) == (province, adcode)
    assert 18 < place.latitude < 54 and 73 < place.longitude < 136


def test_an_unknown_province_is_not_placed_even_with_a_known_city():
    assert locate("火星") is None
    assert locate("火星", "上海市") is None
    assert locate("") is None


def test_a_city_of_another_province_does_not_move_the_place():
    assert locate("浙江省", "广州市").adcode == "330000"
