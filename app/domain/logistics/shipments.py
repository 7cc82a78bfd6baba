"""Shipping an order as one or more parcels (包裹).

``ship_order`` is the "ship out with a waybill" action: the order leaves the warehouse through the
orders service (which takes its stock off the shelf and keeps the first waybill on the order, as before)
and each parcel becomes a shipment with its lines, whose subscription is queued after the commit.
"""

from dataclasses import dataclass

from app.db import db, utcnow
from app.domain.errors import Conflict, ValidationError
from app.domain.logistics.models import Shipment, ShipmentLine, Subscription
from app.domain.orders import notify, services
from app.domain.orders.models import Order
from app.domain.orders.states import OrderStatus
from app.domain.reference.models import Carrier, Warehouse
from app.domain.routing import services as routing
from app.jobs import enqueue_after_commit
from app.text import N_, Text

MAX_WAYBILL_LENGTH = 40
SUBSCRIBE_JOB = "workers.logistics.subscribe_shipment"


@dataclass(frozen=True)
class Parcel:
    carrier: Carrier
    waybill_no: str
    #: order line id → quantity; None: every line of the order (a single parcel)
    lines: dict[int, int] | None = None
    #: the warehouse it leaves from (a split parcel); None: the order's
    warehouse_id: int | None = None


def ship_order(order: Order, carrier: Carrier, waybill_no: str, actor: str) -> Order:
    """Ship the whole order as one parcel (the staff action, channels reporting a shipment)."""
    return ship_parcels(order, [Parcel(carrier, waybill_no)], actor)


def ship_parcels(order: Order, parcels: list[Parcel], actor: str) -> Order:
    """Ship the order as ``parcels``; the first one's waybill is the order's. An order that has shipped
    already is left alone (the orders service's no-op), so a replayed shipment adds no parcel."""
    if not parcels:
        raise ValidationError({"parcels": N_("至少需要一个包裹")})
    waybills = [_clean_waybill(parcel.waybill_no) for parcel in parcels]
    if len(set(waybills)) != len(waybills):
        raise ValidationError({"waybill_no": N_("同一订单的包裹运单号不能重复")})
    _check_lines(order, parcels)
    already_shipped = order.shipped_at is not None
    services.ship_out(order, parcels[0].carrier, waybills[0], actor)
    if already_shipped or order.status != OrderStatus.SHIPPED_OUT:
        return order
    for index, (parcel, waybill_no) in enumerate(zip(parcels, waybills, strict=True)):
        shipment = _add_shipment(order, parcel, waybill_no)
        if index > 0:  # the first parcel's message is the order's own 已发货 (orders/notify.py)
            notify.parcel_message(order, notify.PARCEL_SHIPPED, shipment.id,
                                  {"carrier": parcel.carrier.name, "waybill_no": waybill_no})
    db.session.flush()
    return order


def _add_shipment(order: Order, parcel: Parcel, waybill_no: str) -> Shipment:
    lines = parcel.lines or {line.id: line.quantity for line in order.lines if not line.is_component}
    warehouse_id = parcel.warehouse_id or order.warehouse_id
    warehouse = db.session.get(Warehouse, warehouse_id) if warehouse_id else None
    planned = routing.estimate(order, warehouse.code) if warehouse else None
    shipment = Shipment(order=order, warehouse_id=warehouse.id if warehouse else None, carrier_id=parcel.carrier.id,
                        estimated_cost_fen=planned[0] if planned else None,
                        estimated_delivery_at=planned[1] if planned else None,
                        waybill_no=waybill_no, shipped_at=order.shipped_at or utcnow(),
                        subscription=Subscription.PENDING,
                        lines=[ShipmentLine(order_line_id=line_id, quantity=quantity)
                               for line_id, quantity in sorted(lines.items())])
    db.session.add(shipment)
    db.session.flush()
    enqueue_after_commit(SUBSCRIBE_JOB, shipment.id, queue="logistics")
    return shipment


def _clean_waybill(waybill_no: str) -> str:
    waybill_no = (waybill_no or "").strip()
    if not waybill_no or len(waybill_no) > MAX_WAYBILL_LENGTH:
        raise ValidationError({"waybill_no": N_("请填写快递单号（最多 40 位）")})
    return waybill_no


def _check_lines(order: Order, parcels: list[Parcel]) -> None:
    """Split parcels name the order's own sold lines, within the quantities sold."""
    if len(parcels) > 1 and any(parcel.lines is None for parcel in parcels):
        raise ValidationError({"parcels": N_("拆分包裹时每个包裹都要写明商品和数量")})
    sold = {line.id: line.quantity for line in order.lines if not line.is_component}
    packed: dict[int, int] = {}
    for parcel in parcels:
        for line_id, quantity in (parcel.lines or {}).items():
            if line_id not in sold or quantity <= 0:
                raise ValidationError({"parcels": Text(N_("订单中没有这一行商品（%(line_id)s），或数量不对"), line_id=line_id)})
            packed[line_id] = packed.get(line_id, 0) + quantity
    if any(quantity > sold[line_id] for line_id, quantity in packed.items()):
        raise Conflict(N_("包裹里的商品数量超过了订单数量"))
