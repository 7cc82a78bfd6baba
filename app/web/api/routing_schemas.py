"""Request and response bodies of the warehouse, carrier, rate-card, routing-plan and shipment endpoints
(the same pattern as ``bodies.py`` and ``responses.py``: each model parses or serializes and is the schema
the OpenAPI document publishes)."""

import math
from decimal import Decimal, InvalidOperation
from typing import Annotated

from pydantic import Field

from app.domain.reference.models import Carrier as CarrierRow
from app.domain.reference.models import Warehouse as WarehouseRow
from app.domain.routing import engine, services
from app.domain.routing.planning import Result
from app.money import fen_to_yuan
from app.web.api.responses import Money, Schema
from app.web.api.schema import Body, MoneyIn, StrictBool, StrictInt, StrictText

Name = Annotated[StrictText, Field(max_length=64)]
Province = Annotated[StrictText, Field(max_length=32, examples=["浙江省"], description="简称或全称均可: 浙江 = 浙江省")]
Kilograms = Annotated[StrictText, Field(pattern=r"^\d{1,3}(\.\d{1,3})?$", examples=["1"],
                                        description="公斤，字符串，最多三位小数")]
Quantity = Annotated[StrictInt, Field(ge=1, le=100_000)]


def grams(kilograms: str) -> int:
    """ "1.5" → 1500 (the pattern has already let only plain decimals through)."""
    try:
        return int(Decimal(kilograms) * 1000)
    except InvalidOperation:  # pragma: no cover - the pattern refuses it first
        return 0


def kilograms(grams_: int) -> str:
    return f"{Decimal(grams_) / 1000:f}".rstrip("0").rstrip(".") if grams_ % 1000 else str(grams_ // 1000)


# ---- requests ----------------------------------------------------------------------------------------

class WarehouseInput(Body):
    """新建时 name、province、city 必填；更新时未传的字段保持原值。"""

    name: Name | None = None
    province: Province | None = None
    city: Annotated[StrictText, Field(max_length=32)] | None = None
    district: Annotated[StrictText, Field(max_length=32)] | None = None
    address: Annotated[StrictText, Field(max_length=200)] | None = None
    latitude: Annotated[float, Field(ge=-90, le=90, description="不传则按城市（区县）查找")] | None = None
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = None
    daily_capacity: Annotated[StrictInt, Field(ge=0, le=10_000_000, description="每日最多处理的订单数；0 为不限")] | None = None
    cutoff: Annotated[StrictText, Field(examples=["16:00"], description="截单时间（北京时间 HH:MM）")] | None = None
    handling_hours: Annotated[StrictInt, Field(ge=0, le=240)] | None = None
    carriers: list[Name] | None = Field(default=None, max_length=50, description="合作快递编码；空数组为全部")
    excluded_provinces: list[Province] | None = Field(default=None, max_length=40, description="不配送的省份")
    priority: Annotated[StrictInt, Field(ge=1, le=1_000_000)] | None = None
    active: StrictBool | None = None


class CarrierInput(Body):
    """新建时 name 必填。"""

    name: Name | None = None
    tracking_code: Annotated[StrictText, Field(max_length=32, examples=["shunfeng"],
                                               description="快递100 的公司编码")] | None = None
    active: StrictBool | None = None


class RateInput(Body):
    from_: Province = Field(alias="from")
    to: Province
    first_kg: Kilograms
    first_price: MoneyIn
    additional_price_per_kg: MoneyIn
    days: Annotated[StrictInt, Field(description="时效（天），1 到 30")]


class RateCardInput(Body):
    volumetric_divisor: Annotated[StrictInt, Field(ge=1000, le=20000, description="抛重系数，如 6000、8000")] = 6000
    weight_step_kg: Kilograms = "1"
    rates: list[RateInput] = Field(min_length=1, max_length=5000)
    remote_surcharge: dict[str, MoneyIn] = Field(default_factory=dict, description="目的省 → 偏远附加费")
    unserved: list[Province] = Field(default_factory=list, max_length=40, description="不配送的目的省")


class PlanReceiver(Body):
    province: Annotated[StrictText, Field(max_length=32)]
    city: Annotated[StrictText, Field(max_length=32)] = ""
    district: Annotated[StrictText, Field(max_length=32)] = ""
    address: Annotated[StrictText, Field(max_length=200)] = ""


class PlanLine(Body):
    sku: Name
    qty: Quantity


class PlanInput(Body):
    receiver: PlanReceiver
    lines: list[PlanLine] = Field(min_length=1, max_length=100)
    strategy: Annotated[StrictText, Field(json_schema_extra={"enum": list(engine.STRATEGIES)},
                                          description="不传则用当前策略")] | None = None


class ShipmentLineInput(Body):
    line_id: Annotated[StrictInt, Field(ge=1)]
    qty: Quantity


class ShipmentInput(Body):
    carrier: Name
    waybill_no: Annotated[StrictText, Field(min_length=1, max_length=40)]
    lines: list[ShipmentLineInput] | None = Field(default=None, max_length=200, description="不传为尚未发出的全部商品")
    warehouse: Name | None = Field(default=None, description="不传为分仓结果的仓库")


# ---- responses ---------------------------------------------------------------------------------------

class WarehouseDetail(Schema):
    code: str
    name: str
    province: str
    city: str
    district: str
    address: str
    latitude: float
    longitude: float
    daily_capacity: Annotated[int, Field(ge=0)]
    cutoff: str
    handling_hours: Annotated[int, Field(ge=0)]
    carriers: list[str]
    excluded_provinces: list[str]
    priority: int
    active: bool

    @classmethod
    def of(cls, warehouse: WarehouseRow) -> "WarehouseDetail":
        return cls(code=warehouse.code, name=warehouse.name, province=warehouse.province, city=warehouse.city,
                   district=warehouse.district, address=warehouse.address, latitude=float(warehouse.latitude),
                   longitude=float(warehouse.longitude), daily_capacity=warehouse.daily_capacity,
                   cutoff=warehouse.cutoff_time, handling_hours=warehouse.handling_hours,
                   carriers=list(warehouse.carrier_codes), excluded_provinces=list(warehouse.unserved_provinces),
                   priority=warehouse.priority, active=warehouse.active)


class Carrier(Schema):
    code: str
    name: str
    tracking_code: str
    active: bool

    @classmethod
    def of(cls, carrier: CarrierRow) -> "Carrier":
        return cls(code=carrier.code, name=carrier.name, tracking_code=carrier.tracking_company, active=carrier.active)


class CarrierList(Schema):
    carriers: list[Carrier]


class RateCardSaved(Schema):
    carrier: str
    rows: Annotated[int, Field(ge=1, description="保存的 始发省 × 目的省 行数")]


class PlanItem(Schema):
    sku: str
    qty: Annotated[int, Field(ge=1)]


class PlanParcel(Schema):
    warehouse: str
    carrier: str
    lines: list[PlanItem]
    weight_g: Annotated[int, Field(ge=0, description="实重")]
    chargeable_kg: Annotated[str, Field(description="计费重（实重与体积重取大，按续重步长进位前）")]
    cost: Money
    eta_days: Annotated[int, Field(ge=0)]
    distance_km: Annotated[int, Field(ge=0)]


class PlanCandidate(Schema):
    warehouse: str
    carrier: str | None
    verdict: Annotated[str, Field(json_schema_extra={"enum": [engine.WON, engine.LOST, engine.NO_STOCK,
                                                              engine.UNSERVED, engine.NO_CAPACITY,
                                                              engine.NO_CARRIER]})]
    reason: str
    cost: Money | None
    eta_days: int | None
    distance_km: int | None


class RoutingPlan(Schema):
    strategy: str
    split: bool
    total_cost: Money
    eta_days: Annotated[int, Field(ge=0)]
    parcels: list[PlanParcel]
    considered: list[PlanCandidate]

    @classmethod
    def of(cls, result: Result) -> "RoutingPlan":
        plan = result.plan
        units = {item.sku_id: item for item in result.items}
        parcels = [PlanParcel(
            warehouse=option.site, carrier=option.carrier,
            lines=[PlanItem(sku=result.skus[sku_id].code, qty=qty) for sku_id, qty in option.units.items()],
            weight_g=sum(units[sku_id].weight_g * qty for sku_id, qty in option.units.items()),
            chargeable_kg=kilograms(option.weight_g), cost=fen_to_yuan(option.cost_fen),
            eta_days=days(option.eta_hours), distance_km=round(option.distance_km)) for option in plan.parcels]
        considered = [PlanCandidate(
            warehouse=candidate.site, carrier=candidate.option.carrier if candidate.option else None,
            verdict=candidate.verdict, reason=str(services.REASON_LABELS[candidate.verdict]),
            cost=fen_to_yuan(candidate.option.cost_fen) if candidate.option else None,
            eta_days=days(candidate.option.eta_hours) if candidate.option else None,
            distance_km=round(candidate.option.distance_km) if candidate.option else None)
            for candidate in plan.candidates]
        return cls(strategy=plan.strategy, split=len(plan.parcels) > 1, total_cost=fen_to_yuan(plan.cost_fen),
                   eta_days=days(plan.eta_hours), parcels=parcels, considered=considered)


def days(hours: int) -> int:
    return math.ceil(hours / 24)


BODIES = [WarehouseInput, CarrierInput, RateCardInput, PlanInput, ShipmentInput]
RESPONSES = [WarehouseDetail, CarrierList, Carrier, RateCardSaved, RoutingPlan]
