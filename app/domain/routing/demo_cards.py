"""Demo rate cards for 顺丰, 中通, 圆通, 申通, 韵达, 京东物流 and EMS: plausible prices and days from each
origin province to every province, by distance band between the provincial capitals."""

from app.domain.reference.places import Place, locate
from app.domain.routing.engine import distance_km

#: Every province-level division of the mainland (official full names come from the division dataset).
PROVINCES = ("北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江", "安徽",
             "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州", "云南",
             "西藏", "陕西", "甘肃", "青海", "宁夏", "新疆")
REMOTE = {"新疆维吾尔自治区": 1500, "西藏自治区": 2000, "青海省": 800, "内蒙古自治区": 600, "宁夏回族自治区": 400}
#: carrier → (首重 fen, 续重 fen per kg, days faster (−) or slower (+) than the band, unserved provinces)
CARRIERS = {
    "shunfeng": (1200, 400, -1, ()),
    "jd": (1100, 350, -1, ()),
    "zhongtong": (600, 200, 0, ("西藏自治区",)),
    "yuantong": (600, 220, 0, ()),
    "shentong": (550, 200, 1, ("西藏自治区",)),
    "yunda": (550, 180, 1, ()),
    "ems": (900, 300, 1, ()),
}
#: (distance up to km, extra fen on 首重, extra fen per kg, transit days)
BANDS = ((0, 0, 0, 1), (600, 200, 100, 2), (1500, 400, 300, 3), (100000, 800, 600, 4))


def provinces() -> list[Place]:
    return [locate(name) for name in PROVINCES]


def card_rows(origins: list[str]) -> list[dict]:
    """One row per carrier × origin × destination (origins as official full province names)."""
    places = {place.province: place for place in provinces()}
    rows = []
    for carrier, (first_fen, extra_fen, day_shift, unserved) in CARRIERS.items():
        for origin in origins:
            for destination, place in places.items():
                rows.append(_row(carrier, places[origin], place, first_fen, extra_fen, day_shift,
                                 destination not in unserved))
    return rows


def _row(carrier, origin: Place, destination: Place, first_fen, extra_fen, day_shift, served) -> dict:
    km = 0 if origin.province == destination.province else distance_km(
        origin.latitude, origin.longitude, destination.latitude, destination.longitude)
    _limit, band_first, band_extra, days = next(band for band in BANDS if km <= band[0] or band is BANDS[-1])
    remote = REMOTE.get(destination.province, 0)
    return {"carrier": carrier, "origin_province": origin.province, "destination_province": destination.province,
            "first_weight_g": 1000, "first_fen": first_fen + band_first, "extra_fen_per_kg": extra_fen + band_extra,
            "step_g": 1000, "volumetric_divisor": 6000 if carrier in ("shunfeng", "jd") else 8000,
            "surcharge_fen": remote, "transit_days": max(1, days + day_shift + (2 if remote else 0)),
            "served": served}
