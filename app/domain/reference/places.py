"""Receiver and warehouse addresses placed on the official divisions (行政区划).

Uses cpca (GB/T 2260 adcodes with coordinates): `浙江` / `浙江省` / `广西壮族自治区` / `上海` with or
without city and district all resolve to the full official names, the adcode and the coordinates of the
most precise division found. The dataset ships with the package; nothing is hand-written here.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

import cpca

from app.domain.errors import ValidationError
from app.text import N_, Text


@dataclass(frozen=True)
class Place:
    adcode: str
    province: str
    city: str
    district: str
    latitude: float
    longitude: float


def locate(province: str, city: str = "", district: str = "") -> Place | None:
    """The division these names denote, or None when the province cannot be placed."""
    return _locate((province or "").strip(), (city or "").strip(), (district or "").strip())


@lru_cache(maxsize=4096)
def _locate(province: str, city: str, district: str) -> Place | None:
    """The province must be recognised on its own; city and district only refine a place inside it
    (a city from another province does not rescue an unknown province)."""
    region = _place(province) if province else None
    if region is None or not (city or district):
        return region
    finer = _place(" ".join(part for part in (province, city, district) if part))
    return finer if finer is not None and finer.province == region.province else region


def _place(text: str) -> Place | None:
    row = cpca.transform([text]).iloc[0]
    adcode = row["adcode"]
    info = cpca.ad_2_addr_dict.get(adcode.ljust(12, "0")) if isinstance(adcode, str) and adcode else None
    if info is None:
        return None
    return Place(adcode=adcode, province=_name(row["省"]), city=_name(row["市"]), district=_name(row["区"]),
                 latitude=float(info.latitude), longitude=float(info.longitude))


def _name(value) -> str:
    """cpca leaves a level it did not find as NaN (a float); "市辖区" is not a city name."""
    return value if isinstance(value, str) and value != "市辖区" else ""


def placed_receiver(province: str, city: str, district: str = "", prefix: str = "receiver.") -> Place:
    """The division a receiver's province / city / district denote, each part checked: raises
    ValidationError naming the first part that cannot be placed (``receiver.city``: a city not in that
    province), so a form can say which one is wrong."""
    place = locate(province, city, district)
    if place is None:
        raise ValidationError({prefix + "province": Text(N_("无法识别省份「%(name)s」"), name=province or "")})
    if (city or "").strip() and not _is_municipality(place, city) and not _same(city, place.city):
        raise ValidationError({prefix + "city": Text(N_("%(province)s没有城市「%(name)s」"), province=place.province,
                                                      name=city)})
    if (district or "").strip() and not _same(district, place.district):
        raise ValidationError({prefix + "district": Text(N_("无法识别区县「%(name)s」"), name=district)})
    return place


def _same(typed: str, official: str) -> bool:
    """"杭州" names 杭州市; a name cpca found from the other parts (the district) does not count."""
    return bool(official) and official.startswith(typed.strip().rstrip("市区县"))


def _is_municipality(place: Place, city: str) -> bool:
    """上海市 / 北京市 …: the city is the province itself (cpca leaves that level out)."""
    return place.adcode[:2] in MUNICIPALITIES and city.strip().rstrip("市") == place.province.rstrip("市")


MUNICIPALITIES = ("11", "12", "31", "50")  # 北京 天津 上海 重庆: adcode prefixes


@dataclass(frozen=True)
class PastedAddress:
    name: str
    phone: str
    province: str
    city: str
    district: str
    street: str


PHONE_PATTERN = re.compile(r"(?:\+?86[-\s]?)?(1\d{10})|(0\d{2,3}-?\d{7,8})")
SEPARATORS = re.compile(r"[\s,，;；:：、]+")


def recognise(text: str) -> PastedAddress:
    """Split a pasted "张三 13800138000 浙江省杭州市西湖区文三路90号" into name, phone and the address's
    parts. Raises ValidationError naming what could not be recognised (phone, province, street)."""
    text = (text or "").strip()
    match = PHONE_PATTERN.search(text)
    phone = (match.group(1) or match.group(2)).replace("-", "") if match else ""
    rest = (text[:match.start()] + " " + text[match.end():]) if match else text
    parts = [part for part in SEPARATORS.split(rest) if part]
    address = max(parts, key=lambda part: (_place(part) is not None, len(part)), default="")
    row = cpca.transform([address]).iloc[0] if address else None
    errors = {}
    if not phone:
        errors["phone"] = N_("没有找到电话号码")
    if row is None or _name(row["省"]) == "":
        errors["province"] = N_("没有找到省份")
    elif not isinstance(row["地址"], str) or not row["地址"].strip():
        errors["street"] = N_("没有找到详细地址")
    if errors:
        raise ValidationError(errors, N_("无法识别这段地址"))
    name = "".join(part for part in parts if part != address)
    province = _name(row["省"])
    city = _name(row["市"]) or (province if str(row["adcode"])[:2] in MUNICIPALITIES else "")
    return PastedAddress(name=name, phone=phone, province=province, city=city,
                         district=_name(row["区"]), street=row["地址"].strip())


@dataclass(frozen=True)
class Divisions:
    provinces: list[str]
    cities: list[str]
    districts: list[str]


def divisions(province: str = "", city: str = "") -> Divisions:
    """The choices for the province / city / district pickers: every province, the cities of
    ``province``, the districts of ``city`` (a municipality's districts directly)."""
    rows = _divisions()
    place = locate(province, city) if province else None
    cities, districts = [], []
    if place is not None:
        prefix = place.adcode[:2]
        municipality = prefix in MUNICIPALITIES
        cities = [place.province] if municipality else [name for code, name, rank in rows
                                                         if rank == 1 and code[:2] == prefix and name != "市辖区"]
        if municipality or place.city:
            within = prefix if municipality else place.adcode[:4]
            districts = [name for code, name, rank in rows
                         if rank == 2 and code.startswith(within) and name != "市辖区"]
    return Divisions([name for _code, name, rank in rows if rank == 0], cities, districts)


@lru_cache(maxsize=1)
def _divisions() -> list[tuple[str, str, int]]:
    return sorted((info.adcode, info.name, int(info.rank)) for info in cpca.ad_2_addr_dict.values())
