"""Province names as the platforms send them → the official names (GB/T 2260), so that an order
from JD (``浙江``) and one from Taobao (``浙江省``) name the same province.

``official_region`` places city and district too, on the shared divisions (``reference.places``, the
cpca data the routing work uses); towns (streets) have no official list there and are kept as sent.
"""

from app.domain.reference import places

PROVINCES = (
    "北京市", "天津市", "上海市", "重庆市", "河北省", "山西省", "辽宁省", "吉林省", "黑龙江省", "江苏省", "浙江省",
    "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省", "海南省", "四川省", "贵州省",
    "云南省", "陕西省", "甘肃省", "青海省", "台湾省", "内蒙古自治区", "广西壮族自治区", "西藏自治区",
    "宁夏回族自治区", "新疆维吾尔自治区", "香港特别行政区", "澳门特别行政区",
)


def official_province(name: str) -> str:
    """``浙江`` → ``浙江省``, ``广西`` → ``广西壮族自治区``; an official or unknown name is kept as given."""
    name = (name or "").strip()
    if not name or name in PROVINCES:
        return name
    for official in PROVINCES:
        if official.startswith(name) and len(name) >= 2:
            return official
    return name


def official_region(province: str, city: str, district: str) -> tuple[str, str, str]:
    """Province, city and district under their official names (``places.locate``: ``杭州`` → ``杭州市``);
    a level the divisions do not know is kept as the platform sent it."""
    province, city, district = (province or "").strip(), (city or "").strip(), (district or "").strip()
    place = places.locate(province, city, district)
    if place is None:
        return official_province(province), city, district
    return place.province, _finer(city, place.city), _finer(district, place.district)


def _finer(given: str, official: str) -> str:
    """The official name when it names the same division as ``given`` (``杭州`` → ``杭州市``)."""
    if given and official and (official.startswith(given) or given.startswith(official)):
        return official
    return given
