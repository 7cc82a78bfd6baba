"""Receiver and warehouse addresses placed on the official divisions (行政区划).

Uses cpca (GB/T 2260 adcodes with coordinates): `浙江` / `浙江省` / `广西壮族自治区` / `上海` with or
without city and district all resolve to the full official names, the adcode and the coordinates of the
most precise division found. The dataset ships with the package; nothing is hand-written here.
"""

from dataclasses import dataclass
from functools import lru_cache

import cpca


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
