"""Scan to verify and ship (扫描验货): the warehouse scans a parcel's waybill (the label printed from the
pool), then each item's barcode; the parcel ships only when what was scanned is exactly what the
order holds. A code that is not in the parcel (or one item too many) is flagged and blocks shipping.

The scans so far travel with the page (a keyboard-wedge scanner types the code and Enter): nothing is
stored until the parcel ships, so an abandoned check leaves no trace.
"""

from dataclasses import dataclass, field

from sqlalchemy import func, or_, select

from app.db import db
from app.domain.catalog.models import Sku
from app.domain.errors import Conflict, NotFound, ValidationError
from app.domain.logistics import shipments
from app.domain.orders import services as orders
from app.domain.orders.models import Order
from app.domain.orders.states import OrderStatus
from app.domain.reference.models import Carrier
from app.domain.workbench.models import PoolWaybill
from app.domain.workbench.printing import parcel_lines
from app.text import N_

SHIPPABLE = {OrderStatus.APPROVED, OrderStatus.PACKING}


@dataclass
class Row:
    sku: Sku
    expected: int
    scanned: int = 0

    @property
    def missing(self) -> int:
        return max(0, self.expected - self.scanned)

    @property
    def extra(self) -> int:
        return max(0, self.scanned - self.expected)


@dataclass
class Check:
    """The parcel as scanned so far: a row per SKU in it, and the codes that belong to none of them."""

    order: Order
    carrier: Carrier
    waybill_no: str  # "" for a parcel found by its order number: the waybill is typed before shipping
    rows: list[Row]
    unknown: list[str] = field(default_factory=list)

    @property
    def missing(self) -> int:
        return sum(row.missing for row in self.rows)

    @property
    def extra(self) -> int:
        return sum(row.extra for row in self.rows) + len(self.unknown)

    @property
    def matches(self) -> bool:
        return self.missing == 0 and self.extra == 0


def parcel_for(waybill_no: str) -> tuple[Order, Carrier, str]:
    """The order waiting to ship under ``waybill_no``: a pool number its label was printed with, or the
    order number (the packing slip's barcode) of an order whose carrier's label was made elsewhere — its
    waybill is then typed or scanned before shipping ("" here)."""
    waybill_no = (waybill_no or "").strip()
    pooled = db.session.scalar(select(PoolWaybill).where(PoolWaybill.waybill_no == waybill_no,
                                                         PoolWaybill.order_id.is_not(None)))
    by_number = db.session.scalar(select(Order).where(Order.order_no == waybill_no)) if pooled is None else None
    if by_number is not None and by_number.shipped_at is None:
        return _by_order_number(by_number)
    if pooled is None:
        shipped = db.session.scalar(select(Order.order_no).where(Order.waybill_no == waybill_no)) if waybill_no else None
        if shipped:
            raise Conflict(N_("面单 %(waybill)s 的订单 %(order_no)s 已发货"), waybill=waybill_no, order_no=shipped)
        raise NotFound(N_("没有找到面单号 %(waybill)s 对应的订单，请先打印面单"), waybill=waybill_no)
    order = db.session.get(Order, pooled.order_id)
    if order.shipped_at is not None:
        raise Conflict(N_("面单 %(waybill)s 的订单 %(order_no)s 已发货"), waybill=waybill_no, order_no=order.order_no)
    if order.status not in SHIPPABLE:
        raise Conflict(N_("订单 %(order_no)s 当前状态不能发货"), order_no=order.order_no)
    return order, pooled.carrier, waybill_no


def _by_order_number(order: Order) -> tuple[Order, Carrier, str]:
    if order.merged_into_id:
        lead = db.session.get(Order, order.merged_into_id)
        raise Conflict(N_("订单已合并到 %(order_no)s，请扫该订单的发货单"), order_no=lead.order_no)
    if order.status not in SHIPPABLE:
        raise Conflict(N_("订单 %(order_no)s 当前状态不能发货"), order_no=order.order_no)
    if order.carrier is None:
        raise Conflict(N_("订单还没有指定快递公司，不能发货"))
    pooled = db.session.scalar(select(PoolWaybill.waybill_no).where(PoolWaybill.order_id == order.id))
    return order, order.carrier, pooled or ""


def check(waybill_no: str, scanned: list[str]) -> Check:
    """Compare the scanned codes (SKU barcode or SKU code, any case) with the parcel's items."""
    order, carrier, waybill_no = parcel_for(waybill_no)
    rows: dict[int, Row] = {}
    for line in parcel_lines(order):
        row = rows.setdefault(line.sku_id, Row(line.sku, 0))
        row.expected += line.quantity
    result = Check(order, carrier, waybill_no, list(rows.values()))
    for code in scanned:
        sku = sku_for(code)
        if sku is not None and sku.id in rows:
            rows[sku.id].scanned += 1
        else:
            result.unknown.append(code)
    return result


def without_extras(waybill_no: str, scanned: list[str]) -> list[str]:
    """The scans once the wrong items were taken out: unknown codes and scans beyond a SKU's count dropped."""
    result = check(waybill_no, [])
    room = {row.sku.id: row.expected for row in result.rows}
    kept = []
    for code in scanned:
        sku = sku_for(code)
        if sku is not None and room.get(sku.id, 0) > 0:
            room[sku.id] -= 1
            kept.append(code)
    return kept


def sku_for(code: str) -> Sku | None:
    code = (code or "").strip()
    if not code:
        return None
    return db.session.scalar(select(Sku).where(or_(Sku.barcode == code, func.lower(Sku.code) == code.lower()))
                             .order_by(Sku.id).limit(1))


def ship(waybill_no: str, scanned: list[str], actor: str, typed_waybill: str = "") -> Order:
    """Ship the parcel when the scans match it exactly; Conflict (nothing changed) when they do not.
    A parcel found by its order number ships under ``typed_waybill`` (the carrier's label)."""
    result = check(waybill_no, scanned)
    if not result.matches:
        raise Conflict(N_("验货未通过：缺 %(missing)s 件，多 %(extra)s 件，不能发货"), missing=result.missing,
                       extra=result.extra)
    waybill = result.waybill_no or (typed_waybill or "").strip()
    if not waybill:
        raise ValidationError({"typed_waybill": N_("请扫描或填写快递面单上的运单号")})
    order = orders.get_order(result.order.order_no, for_update=True)
    shipments.refuse_split(order)
    if order.status == OrderStatus.APPROVED:
        orders.pack(order, actor)
    return shipments.ship_order(order, result.carrier, waybill, actor)
