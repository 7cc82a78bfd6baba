"""The API's response bodies, one pydantic model each: the model is both the serializer (``of(...)`` builds
it from the domain's objects, ``body()`` is the JSON) and, through ``component_schemas()``, the schema the
OpenAPI document publishes, so the two cannot drift apart.

Values are held JSON-ready: money as yuan strings ("59.00"), times in ISO 8601 at +08:00 (China time),
states as their code plus the Chinese name. The field names here are the contract (API.md).
"""

from datetime import datetime
from decimal import Decimal
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from app.domain.catalog import models as catalog
from app.domain.inventory import models as inventory
from app.domain.inventory.queries import WarehouseStock
from app.domain.invoicing import models as invoicing
from app.domain.invoicing.states import InvoiceStatus
from app.domain.invoicing.tax import rate_text
from app.domain.logistics import models as shipments
from app.domain.logistics import queries as logistics
from app.domain.logistics.shipments import PlannedParcel, is_split, planned_parcels
from app.domain.orders import models as orders
from app.domain.orders.states import ACTION_LABELS, STATUS_LABELS, Action
from app.domain.reference import models as reference
from app.domain.routing import models as routing
from app.domain.routing import services as routing_services
from app.money import fen_to_yuan

SHANGHAI = ZoneInfo("Asia/Shanghai")
BASIS_POINTS = Decimal(10_000)

Money = Annotated[str, Field(pattern=r"^\d+\.\d{2}$", examples=["59.00"],
                             description="人民币金额，单位元，字符串，两位小数；绝不使用浮点数。")]
Time = Annotated[str, Field(json_schema_extra={"format": "date-time"}, examples=["2026-11-25T10:00:00+08:00"],
                            description="ISO 8601，固定为 +08:00（北京时间）。")]
Status = Annotated[str, Field(json_schema_extra={"enum": [str(status) for status in STATUS_LABELS]},
                              description="订单状态码: " + "，".join(f"{code} {name}"
                                                                for code, name in STATUS_LABELS.items()))]
Count = Annotated[int, Field(ge=0)]
#: Money that may be negative: a red-letter invoice's amounts.
SignedMoney = Annotated[str, Field(pattern=r"^-?\d+\.\d{2}$", examples=["118.00", "-118.00"],
                                   description="人民币金额，单位元，字符串，两位小数；红字发票为负数。")]


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds") if moment else None


class Schema(BaseModel):
    """A response body: every field is always sent (``null`` where the schema allows it)."""

    model_config = ConfigDict(frozen=True, serialize_by_alias=True, validate_by_name=True)

    def body(self) -> dict:
        return self.model_dump(mode="json")


# ---- catalog and reference data -------------------------------------------------------------------

class Component(Schema):
    sku: str
    name: str
    qty: Annotated[int, Field(ge=1)]


class Sku(Schema):
    code: str
    name: str
    weight_g: Annotated[int, Field(ge=0, description="单件重量（克）；组合装为其子商品之和")]
    length_cm: Count
    width_cm: Count
    height_cm: Count
    price: Money
    tax_rate: Annotated[str, Field(examples=["0.13"], description="增值税率，字符串")]
    tax_code: Annotated[str, Field(examples=["1060512990000000000"], description="税收分类编码（19 位；未设置为空）")]
    tax_name: Annotated[str, Field(examples=["日用杂品"], description="税收分类简称")]
    barcode: str | None
    category: str
    active: bool
    is_bundle: bool
    components: list[Component]
    created_at: Time | None
    updated_at: Time | None

    @classmethod
    def of(cls, sku: catalog.Sku) -> "Sku":
        return cls(code=sku.code, name=sku.name, weight_g=sku.parcel_weight_g, length_cm=sku.length_cm,
                   width_cm=sku.width_cm, height_cm=sku.height_cm, price=fen_to_yuan(sku.price_fen),
                   tax_rate=f"{Decimal(sku.tax_rate_bp) / BASIS_POINTS:.2f}", tax_code=sku.tax_code,
                   tax_name=sku.tax_name, barcode=sku.barcode,
                   category=sku.category, active=sku.active, is_bundle=sku.is_bundle,
                   components=[Component(sku=item.component.code, name=item.component.name, qty=item.quantity)
                               for item in sku.components],
                   created_at=iso(sku.created_at), updated_at=iso(sku.updated_at))


class Warehouse(Schema):
    code: str
    name: str
    province: str
    city: str
    active: bool

    @classmethod
    def of(cls, warehouse: reference.Warehouse) -> "Warehouse":
        return cls(code=warehouse.code, name=warehouse.name, province=warehouse.province, city=warehouse.city,
                   active=warehouse.active)


class WarehouseList(Schema):
    warehouses: list[Warehouse]


# ---- stock ------------------------------------------------------------------------------------------

class WarehouseFigures(Schema):
    warehouse: str
    on_hand: Count
    reserved: Count
    locked: Count
    safety: Count
    available: Annotated[int, Field(ge=0, description="可售 = on_hand − reserved − locked − safety，不小于 0")]


class StockLevel(WarehouseFigures):
    sku: str

    @classmethod
    def fields_of(cls, level: inventory.StockLevel) -> dict:
        return {"warehouse": level.warehouse.code, "sku": level.sku.code, "on_hand": level.on_hand,
                "reserved": level.reserved, "locked": level.locked, "safety": level.safety,
                "available": level.available}

    @classmethod
    def of(cls, level: inventory.StockLevel) -> "StockLevel":
        return cls(**cls.fields_of(level))


class Adjustment(StockLevel):
    counted: Count
    reason: str


class Receipt(Schema):
    warehouse: str
    reference: str
    levels: list[StockLevel]


class Stock(Schema):
    sku: str
    is_bundle: bool
    available: Annotated[int, Field(ge=0, description="各仓可售之和；组合装为子商品库存能凑齐的套数")]
    warehouses: list[WarehouseFigures]

    @classmethod
    def of(cls, sku: catalog.Sku, rows: list[WarehouseStock]) -> "Stock":
        return cls(sku=sku.code, is_bundle=sku.is_bundle, available=sum(row.available for row in rows),
                   warehouses=[WarehouseFigures(warehouse=row.warehouse.code, on_hand=row.on_hand,
                                                reserved=row.reserved, locked=row.locked, safety=row.safety,
                                                available=row.available) for row in rows])


# ---- orders -----------------------------------------------------------------------------------------

class Person(Schema):
    name: str
    phone: str


class Receiver(Person):
    province: str
    city: str
    district: str
    address: str


class Invoice(Schema):
    title_type: Annotated[str, Field(json_schema_extra={"enum": ["personal", "company"]})]
    title: str
    tax_id: str | None
    email: str | None


class OrderLine(Schema):
    line_id: Annotated[int, Field(description="行号: 退款时用 lines[].line_id 指明退哪一行")]
    sku: str
    name: str
    qty: Annotated[int, Field(ge=1)]
    unit_price: Money
    discount: Money
    amount: Money
    is_gift: bool
    refunded_qty: Count
    # Sent only on bundle lines.
    components: list[Component] = Field(default_factory=list, exclude_if=lambda parts: not parts,
                                        description="仅组合装: 子商品及总数量")

    @classmethod
    def of(cls, line: orders.OrderLine, components: list[orders.OrderLine]) -> "OrderLine":
        return cls(line_id=line.id, sku=line.sku.code, name=line.sku.name, qty=line.quantity,
                   unit_price=fen_to_yuan(line.unit_price_fen), discount=fen_to_yuan(line.discount_fen),
                   amount=fen_to_yuan(line.amount_fen), is_gift=line.is_gift, refunded_qty=line.refunded_quantity,
                   components=[Component(sku=part.sku.code, name=part.sku.name, qty=part.quantity)
                               for part in components])


class Amounts(Schema):
    goods: Money
    discount: Money
    shipping: Money
    payable: Money
    paid: Money
    refunded: Money


class OrderEvent(Schema):
    at: Time
    actor: Annotated[str, Field(examples=["api:miniapp"])]
    action: str
    action_name: str
    from_: Status | None = Field(alias="from")
    to: Status | None
    note: str

    @classmethod
    def of(cls, event: orders.OrderEvent) -> "OrderEvent":
        return cls(at=iso(event.at), actor=event.actor, action=event.action, action_name=_action_name(event.action),
                   from_=event.from_status, to=event.to_status, note=event.reason)


# ---- parcels and routing of an order ---------------------------------------------------------------

class TrackingEntry(Schema):
    at: Time
    state: str
    context: str


class ShipmentLine(Schema):
    line_id: int
    sku: str
    qty: Annotated[int, Field(ge=1)]


class Shipment(Schema):
    id: int | None = Field(description="planned 包裹出库前没有 id")
    warehouse: str | None
    carrier: str
    waybill_no: str | None = Field(description="planned 包裹尚无运单号")
    lines: list[ShipmentLine]
    status: Annotated[str, Field(examples=["in_transit"], description="planned、shipped、collected、in_transit、"
                                                                       "delivering、signed、problem、returning …")]
    shipped_at: Time | None
    estimated_cost: Money | None
    tracking: list[TrackingEntry]

    @classmethod
    def of(cls, shipment: shipments.Shipment) -> "Shipment":
        return cls(id=shipment.id, warehouse=shipment.warehouse.code if shipment.warehouse else None,
                   carrier=shipment.carrier.code, waybill_no=shipment.waybill_no or None,
                   lines=[ShipmentLine(line_id=line.order_line_id, sku=line.order_line.sku.code, qty=line.quantity)
                          for line in shipment.lines],
                   status=shipment.status, shipped_at=iso(shipment.shipped_at) if shipment.waybill_no else None,
                   estimated_cost=fen_to_yuan(shipment.estimated_cost_fen)
                   if shipment.estimated_cost_fen is not None else None,
                   tracking=[TrackingEntry(at=iso(event.occurred_at), state=str(event.status_name),
                                           context=event.context) for event in shipment.events])

    @classmethod
    def planned(cls, parcel: PlannedParcel, order: orders.Order) -> "Shipment":
        """A split order's parcel that has not left yet: its warehouse, carrier and lines as planned."""
        codes = {line.id: line.sku.code for line in order.lines}
        return cls(id=None, warehouse=parcel.warehouse.code, carrier=parcel.carrier.code if parcel.carrier else "",
                   waybill_no=None, status="planned", shipped_at=None, tracking=[],
                   lines=[ShipmentLine(line_id=line_id, sku=codes[line_id], qty=quantity)
                          for line_id, quantity in parcel.lines.items()],
                   estimated_cost=fen_to_yuan(parcel.estimated_cost_fen)
                   if parcel.estimated_cost_fen is not None else None)


class OrderRouting(Schema):
    strategy: str
    outcome: Annotated[str, Field(json_schema_extra={"enum": ["routed", "split", "parked", "manual", "pending"]})]
    decided_at: Time
    reason: str

    @classmethod
    def of(cls, decision: routing.RoutingDecision | None) -> "OrderRouting | None":
        if decision is None:
            return None
        return cls(strategy=decision.strategy, outcome=decision.outcome, decided_at=iso(decision.decided_at),
                   reason=_reason(decision))


def _reason(decision: routing.RoutingDecision) -> str:
    """Why it went where it went, in the contract's Chinese: the parked reasons, or the parcels chosen."""
    if decision.outcome == "parked":
        return "、".join(str(routing_services.REASON_LABELS.get(reason, reason)) for reason in decision.reasons)
    sites = "、".join(f"{parcel['site']}/{parcel['carrier']}" for parcel in decision.plan.get("parcels", ()))
    strategy = str(routing_services.STRATEGY_LABELS.get(decision.strategy, decision.strategy))
    return f"{strategy}：{sites}"


class OrderSummary(Schema):
    order_no: str
    external_id: str | None
    channel: str
    status: Status
    status_name: str
    created_at: Time
    updated_at: Time
    payment_due_at: Time | None
    paid_at: Time | None
    shipped_at: Time | None
    signed_at: Time | None
    completed_at: Time | None
    closed_at: Time | None
    buyer: Person
    receiver: Receiver
    lines: list[OrderLine]
    amounts: Amounts
    invoice: Invoice | None
    remark: str
    warehouse: str | None
    carrier: str | None
    waybill_no: str | None
    payment_ref: str | None

    @classmethod
    def fields_of(cls, order: orders.Order) -> dict:
        return {
            "order_no": order.order_no, "external_id": order.external_id, "channel": order.channel.code,
            "status": order.status, "status_name": order.status_name, "created_at": iso(order.created_at),
            "updated_at": iso(order.updated_at), "payment_due_at": iso(order.payment_due_at),
            "paid_at": iso(order.paid_at), "shipped_at": iso(order.shipped_at), "signed_at": iso(order.signed_at),
            "completed_at": iso(order.completed_at), "closed_at": iso(order.closed_at),
            "buyer": Person(name=order.buyer_name, phone=order.buyer_phone),
            "receiver": Receiver(name=order.receiver_name, phone=order.receiver_phone,
                                 province=order.receiver_province, city=order.receiver_city,
                                 district=order.receiver_district, address=order.receiver_address),
            "lines": _lines(order), "amounts": _amounts(order), "invoice": _invoice(order), "remark": order.remark,
            "warehouse": order.warehouse.code if order.warehouse else None,
            "carrier": order.carrier.code if order.carrier else None,
            "waybill_no": order.waybill_no or None, "payment_ref": order.payment_ref or None,
        }

    @classmethod
    def of(cls, order: orders.Order) -> "OrderSummary":
        return cls(**cls.fields_of(order))


class Order(OrderSummary):
    """One order with its change log, its routing decision and its parcels."""

    events: list[OrderEvent]
    routing: OrderRouting | None = Field(description="分仓结果；未分仓时为 null")
    shipments: list[Shipment]

    @classmethod
    def of(cls, order: orders.Order) -> "Order":
        return cls(**cls.fields_of(order), events=[OrderEvent.of(event) for event in order.events],
                   routing=OrderRouting.of(routing_services.latest_decision(order)),
                   shipments=[Shipment.of(shipment) for shipment in logistics.parcels_of(order.id)]
                   + [Shipment.planned(parcel, order) for parcel in (planned_parcels(order) if is_split(order) else ())
                      if not parcel.shipped])


class OrderList(Schema):
    orders: list[OrderSummary]
    next_page: Annotated[int, Field(ge=2)] | None = Field(description="下一页页码；没有更多时为 null")
    next_cursor: str | None = Field(description="下一页的游标（不透明字符串，作为 cursor 传回）；没有更多时为 null。"
                                                "用游标翻页，翻页期间新到的订单不会造成重复或漏单")


def _action_name(action: str) -> str:
    try:
        return ACTION_LABELS[Action(action)]
    except ValueError:
        return action  # not a transition: create, partial_refund, a timeout warning …


def _lines(order: orders.Order) -> list[OrderLine]:
    components: dict[int, list[orders.OrderLine]] = {}
    for line in order.lines:
        if line.is_component:
            components.setdefault(line.parent_line_id, []).append(line)
    return [OrderLine.of(line, components.get(line.id, [])) for line in order.lines if not line.is_component]


def _amounts(order: orders.Order) -> Amounts:
    return Amounts(goods=fen_to_yuan(order.goods_fen), discount=fen_to_yuan(order.discount_fen),
                   shipping=fen_to_yuan(order.shipping_fen), payable=fen_to_yuan(order.payable_fen),
                   paid=fen_to_yuan(order.paid_fen), refunded=fen_to_yuan(order.refunded_fen))


def _invoice(order: orders.Order) -> Invoice | None:
    if not order.invoice_title_type:
        return None
    return Invoice(title_type=order.invoice_title_type, title=order.invoice_title,
                   tax_id=order.invoice_tax_id or None, email=order.invoice_email or None)


# ---- invoices ---------------------------------------------------------------------------------------

class InvoiceAmounts(Schema):
    excluding_tax: SignedMoney
    tax: SignedMoney
    total: SignedMoney


class InvoiceLine(Schema):
    name: Annotated[str, Field(examples=["*日用杂品*保温杯"])]
    tax_code: str
    rate: Annotated[str, Field(examples=["0.13"], description="税率，字符串；0 为免税")]
    qty: int
    amount_incl: SignedMoney
    amount_excl: SignedMoney
    tax: SignedMoney


class InvoiceRecord(Schema):
    """One invoice, blue or red (``reverses`` names the blue one a red invoice takes back)."""

    id: int
    status: Annotated[str, Field(json_schema_extra={"enum": [str(status) for status in InvoiceStatus]},
                                 description="waiting 等待订单完成，pending_approval 待审批，requested 开票中，"
                                             "issued 已开票，failed 开票失败，rejected 已驳回，red_pending 红冲中，"
                                             "reversed 已红冲，cancelled 已取消")]
    status_name: str
    kind: Annotated[str, Field(json_schema_extra={"enum": ["normal", "special"]})]
    title_type: Annotated[str, Field(json_schema_extra={"enum": ["personal", "company"]})]
    title: str
    tax_id: str | None
    number: Annotated[str, Field(description="数电发票号码（20 位）")] | None
    issued_at: Time | None
    amounts: InvoiceAmounts
    lines: list[InvoiceLine]
    orders: list[str]
    failure: Annotated[str, Field(description="开票失败时平台的代码和说明")] | None
    rejection_reason: str | None
    pdf_url: Annotated[str, Field(description="GET 此地址下载 PDF（需令牌）；尚未生成时为 null")] | None
    reverses: Annotated[int, Field(description="红字发票: 被红冲的蓝字发票 id")] | None
    reversed_by: Annotated[int, Field(description="蓝字发票: 最近一张红字发票的 id")] | None

    @classmethod
    def of(cls, invoice: invoicing.Invoice, pdf_url: str | None, reversed_by: int | None) -> "InvoiceRecord":
        return cls(
            id=invoice.id, status=invoice.status, status_name=invoice.status_name, kind=invoice.kind,
            title_type=invoice.title_type, title=invoice.title, tax_id=invoice.tax_id or None,
            number=invoice.number, issued_at=iso(invoice.issued_at),
            amounts=InvoiceAmounts(excluding_tax=fen_to_yuan(invoice.excluding_fen), tax=fen_to_yuan(invoice.tax_fen),
                                   total=fen_to_yuan(invoice.total_fen)),
            lines=[InvoiceLine(name=line.name, tax_code=line.tax_code, rate=rate_text(line.rate_bp), qty=line.quantity,
                               amount_incl=fen_to_yuan(line.amount_fen), amount_excl=fen_to_yuan(line.excluding_fen),
                               tax=fen_to_yuan(line.tax_fen)) for line in invoice.lines],
            orders=[order.order_no for order in invoice.orders],
            failure=f"{invoice.failure_code} {invoice.failure_message}".strip() or None,
            rejection_reason=invoice.rejection_reason or None, pdf_url=pdf_url, reverses=invoice.reverses_id,
            reversed_by=reversed_by,
        )


class InvoiceList(Schema):
    invoices: list[InvoiceRecord]


class ErrorDetail(Schema):
    code: str = Field(examples=["out_of_stock"],
                      description="validation_error, unauthorized, forbidden, not_found, out_of_stock, "
                                  "invalid_transition, idempotency_conflict, conflict, too_many_requests, …")
    message: str = Field(description="给人看的中文说明")
    details: dict = Field(description="422: fields 按 JSON 路径列出每个错误字段；out_of_stock: lines；"
                                      "invalid_transition: status、status_name")


class Error(Schema):
    """Every refusal (the app's error handlers write it: app/errors.py)."""

    error: ErrorDetail


#: Every response body; each is published under its class name.
PUBLISHED = [Sku, WarehouseList, Stock, Receipt, Adjustment, Order, OrderList, Shipment, InvoiceRecord, InvoiceList,
             Error]
