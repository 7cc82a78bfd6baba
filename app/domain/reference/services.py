"""Creating and changing warehouses, channels and carriers. Validate first, write nothing on error.

Raise ValidationError naming each bad field, or Conflict when a concurrent request created the same
code between the check and the insert."""

import re
from dataclasses import dataclass, field

from sqlalchemy import select

from app.db import db, insert_unless_taken, value_taken
from app.domain.errors import Conflict, NotFound, ValidationError
from app.domain.reference.models import Carrier, Channel, Platform, Warehouse
from app.domain.reference.places import locate
from app.text import N_, Text

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
CODE_MESSAGE = N_("编码只能包含字母、数字、横线和下划线，最长 32 位")
# Mainland China's extent, with a margin: a coordinate outside it is a typo (or swapped lat/long).
CHINA_LATITUDE = (3.8, 53.6)
CHINA_LONGITUDE = (73.4, 135.1)
MAX_UNPAID_TIMEOUT_MINUTES = 7 * 24 * 60
MAX_AUTO_COMPLETE_DAYS = 90
DEFAULT_AUTO_COMPLETE_DAYS = 7
CUTOFF_PATTERN = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
MAX_HANDLING_HOURS = 240
TRACKING_CODE_PATTERN = re.compile(r"^[a-z0-9]{1,32}$")


@dataclass
class WarehouseData:
    code: str
    name: str
    province: str
    city: str
    #: None for both: taken from the city (or district) on the official divisions
    latitude: float | None
    longitude: float | None
    address: str = ""
    daily_capacity: int = 0
    priority: int = 100
    active: bool = True
    district: str = ""
    handling_hours: int = 12
    cutoff_time: str = "16:00"
    unserved_provinces: list[str] = field(default_factory=list)
    carrier_codes: list[str] = field(default_factory=list)


@dataclass
class ChannelData:
    code: str
    platform: str
    shop_name: str
    unpaid_timeout_minutes: int = 30
    default_warehouse_id: int | None = None
    active: bool = True
    auto_complete_days: int = DEFAULT_AUTO_COMPLETE_DAYS


@dataclass
class CarrierData:
    code: str
    name: str
    active: bool = True
    #: the tracking service's company code (shunfeng, zhongtong …); empty: the carrier's own code
    tracking_code: str = ""


def get_by_code(model, code: str):
    row = db.session.scalar(select(model).where(model.code == code))
    if row is None:
        raise NotFound(N_("%(code)s 不存在"), code=code, details={"code": code})
    return row


def save_warehouse(data: WarehouseData, warehouse: Warehouse | None = None) -> Warehouse:
    """Create (no ``warehouse``) or update a warehouse. Raises ValidationError naming each bad field."""
    errors = _code_errors(Warehouse, data.code, warehouse)
    errors |= _required(data, "name", "province", "city")
    errors = _profile_errors(data) | errors  # "required" says more than "cannot be recognised"
    if data.latitude is None or not CHINA_LATITUDE[0] <= data.latitude <= CHINA_LATITUDE[1]:
        errors["latitude"] = N_("纬度应在中国境内（3.8 到 53.6）")
    if data.longitude is None or not CHINA_LONGITUDE[0] <= data.longitude <= CHINA_LONGITUDE[1]:
        errors["longitude"] = N_("经度应在中国境内（73.4 到 135.1）")
    if data.daily_capacity is None or data.daily_capacity < 0:
        errors["daily_capacity"] = N_("日处理能力不能为负数")
    if data.priority is None or data.priority < 1:
        errors["priority"] = N_("优先级从 1 开始，1 最优先")
    return _save(Warehouse, warehouse, data, errors)


def _profile_errors(data: WarehouseData) -> dict:
    """Routing's part of a warehouse: official province names (the rate cards' keys), coordinates from
    the city when none are given, cut-off time, handling hours, unserved provinces, known carriers."""
    errors = {}
    place = locate(data.province, data.city, data.district)
    if place is None:
        errors["province"] = N_("省份无法识别")
    else:
        data.province = place.province
        if data.latitude is None and data.longitude is None:
            data.latitude, data.longitude = place.latitude, place.longitude
    if not CUTOFF_PATTERN.match(data.cutoff_time or ""):
        errors["cutoff_time"] = N_("截单时间格式为 HH:MM，例如 16:00")
    if data.handling_hours is None or not 0 <= data.handling_hours <= MAX_HANDLING_HOURS:
        errors["handling_hours"] = Text(N_("处理时长应在 0 到 %(hours)s 小时之间"), hours=MAX_HANDLING_HOURS)
    unserved = [locate(name) for name in data.unserved_provinces]
    if any(p is None for p in unserved):
        errors["unserved_provinces"] = N_("不配送省份中有无法识别的名称")
    else:
        data.unserved_provinces = sorted({p.province for p in unserved})
    known = set(db.session.scalars(select(Carrier.code)))
    if any(code not in known for code in data.carrier_codes):
        errors["carrier_codes"] = N_("快递公司编码不存在")
    return errors


def save_channel(data: ChannelData, channel: Channel | None = None) -> Channel:
    errors = _code_errors(Channel, data.code, channel)
    errors |= _required(data, "shop_name")
    if data.platform not in set(Platform):
        errors["platform"] = Text(N_("未知平台: %(platform)s"), platform=str(data.platform))
    if not data.unpaid_timeout_minutes or not 1 <= data.unpaid_timeout_minutes <= MAX_UNPAID_TIMEOUT_MINUTES:
        errors["unpaid_timeout_minutes"] = N_("未付款超时应在 1 分钟到 7 天之间")
    if not data.auto_complete_days or not 1 <= data.auto_complete_days <= MAX_AUTO_COMPLETE_DAYS:
        errors["auto_complete_days"] = Text(N_("签收后自动完成天数应在 1 到 %(days)s 天之间"), days=MAX_AUTO_COMPLETE_DAYS)
    if data.default_warehouse_id is not None and db.session.get(Warehouse, data.default_warehouse_id) is None:
        errors["default_warehouse_id"] = N_("默认仓库不存在")
    return _save(Channel, channel, data, errors)


def save_carrier(data: CarrierData, carrier: Carrier | None = None) -> Carrier:
    errors = _code_errors(Carrier, data.code, carrier) | _required(data, "name")
    data.tracking_code = (data.tracking_code or "").strip().lower()
    if data.tracking_code and not TRACKING_CODE_PATTERN.match(data.tracking_code):
        errors["tracking_code"] = N_("快递100 公司编码只能包含小写字母和数字，例如 shunfeng")
    return _save(Carrier, carrier, data, errors)


def _save(model, row, data, errors: dict[str, str]):
    if errors:
        raise ValidationError(errors)
    new = row is None
    if new:
        row = model()
    for name, value in vars(data).items():
        setattr(row, name, value.strip() if isinstance(value, str) else value)
    if not new:
        db.session.flush()
    elif not insert_unless_taken(row):  # the code was free at the check, then a concurrent request took it
        raise Conflict(N_("编码 %(code)s 正被同时创建，请重试"), code=row.code, details={"code": row.code})
    return row


def _code_errors(model, code: str, existing) -> dict[str, str]:
    if not CODE_PATTERN.match(code or ""):
        return {"code": CODE_MESSAGE}
    if value_taken(model.code, code, existing):
        return {"code": Text(N_("编码 %(code)s 已被使用"), code=code)}
    return {}


def _required(data, *names: str) -> dict[str, str]:
    return {name: N_("此项必填") for name in names if not (getattr(data, name) or "").strip()}
