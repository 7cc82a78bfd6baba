"""POST /orders/{order_no}/shipments (scope ``fulfilment``): a merchant's WMS reports that goods left.

A WMS token may ship the orders of the warehouses its channel manages (the same rule as stock writes:
the channel's own warehouse, or ``API_STOCK_WAREHOUSES``); any other order answers 404, as if missing.
"""

from sqlalchemy import select

from app.auth.api_tokens import Scope
from app.domain.errors import Conflict, NotFound, ValidationError
from app.domain.logistics import queries as logistics
from app.domain.logistics import shipments
from app.domain.orders import services
from app.domain.orders.models import Order
from app.domain.orders.states import OrderStatus
from app.domain.reference.models import Carrier
from app.extensions import db
from app.web.api import bp
from app.web.api.auth import actor, current_channel, manages_warehouse, requires
from app.web.api.idempotency import commit_and_respond, idempotent
from app.web.api.responses import Shipment
from app.web.api.routing_schemas import ShipmentInput
from app.web.api.schema import parse_body

#: The steps a shipment reported from outside skips, recorded as done by the token's channel.
SKIPPED_STEPS = {OrderStatus.PAID: (services.approve, services.pack), OrderStatus.APPROVED: (services.pack,)}


@bp.post("/orders/<order_no>/shipments")
@requires(Scope.FULFILMENT)
@idempotent
def create_shipment(order_no: str):
    body = parse_body(ShipmentInput)
    order = services.get_order(order_no, for_update=True)
    if shipments.is_split(order):
        return _ship_planned_parcel(order, body)
    if order.warehouse is None or not manages_warehouse(current_channel(), order.warehouse.code):
        raise NotFound(f"订单 {order_no} 不存在", details={"order_no": order_no})
    carrier = db.session.scalar(select(Carrier).where(Carrier.code == body.carrier))
    _check(order, body, carrier)
    for step in SKIPPED_STEPS.get(order.status, ()):
        step(order, actor())
    shipments.ship_order(order, carrier, body.waybill_no, actor())
    shipment = logistics.parcels_of(order.id)[-1]
    return commit_and_respond(Shipment.of(shipment).body(), 201)


def _ship_planned_parcel(order: Order, body: ShipmentInput):
    """A split order ships parcel by parcel: the one from ``warehouse``, or the one holding exactly
    ``lines``; the order is 已出库 once the last is out."""
    waiting = [parcel for parcel in shipments.planned_parcels(order) if not parcel.shipped]
    parcel = _parcel_named(waiting, body)
    if not manages_warehouse(current_channel(), parcel.warehouse.code):
        raise NotFound(f"订单 {order.order_no} 不存在", details={"order_no": order.order_no})
    carrier = db.session.scalar(select(Carrier).where(Carrier.code == body.carrier))
    errors = {}
    if carrier is None or not carrier.active:
        errors["carrier"] = f"快递公司 {body.carrier} 不存在或已停用"
    if body.lines is not None and _units(body.lines) != parcel.lines:
        errors["lines"] = f"{parcel.warehouse.code} 的包裹应包含 " + "、".join(
            f"{line_id}×{quantity}" for line_id, quantity in parcel.lines.items())
    if errors:
        raise ValidationError(errors)
    if order.status not in (OrderStatus.PAID, OrderStatus.APPROVED, OrderStatus.PACKING):
        raise Conflict(f"订单状态为 {order.status_name}，不能发货", details={"status": order.status,
                                                                          "status_name": order.status_name})
    for step in SKIPPED_STEPS.get(order.status, ()):
        step(order, actor())
    shipment = shipments.ship_planned_parcel(order, parcel.warehouse, carrier, body.waybill_no, actor())
    return commit_and_respond(Shipment.of(shipment).body(), 201)


def _parcel_named(waiting: list, body: ShipmentInput):
    """The parcel still to ship that ``warehouse`` (else ``lines``) names; a 422 naming ``warehouse`` when
    the body names none."""
    if body.warehouse is not None:
        return next((parcel for parcel in waiting if parcel.warehouse.code == body.warehouse), None) or _no_parcel(
            waiting, body.warehouse)
    if body.lines is not None:
        units = _units(body.lines)
        found = next((parcel for parcel in waiting if parcel.lines == units), None)
        if found is not None:
            return found
    return _no_parcel(waiting, None)


def _no_parcel(waiting: list, named: str | None):
    choices = "、".join(parcel.warehouse.code for parcel in waiting)
    message = (f"订单没有从 {named} 待发的包裹" if named else "订单分仓拆成了多个包裹，请用 warehouse 写明发哪一个") + \
        f"（待发：{choices or '无'}）"
    raise ValidationError({"warehouse": message})


def _check(order: Order, body: ShipmentInput, carrier: Carrier | None) -> None:
    errors = {}
    if carrier is None or not carrier.active:
        errors["carrier"] = f"快递公司 {body.carrier} 不存在或已停用"
    if body.warehouse is not None and body.warehouse != order.warehouse.code:
        errors["warehouse"] = f"订单由 {order.warehouse.code} 发货，不是 {body.warehouse}"
    if body.lines is not None and _units(body.lines) != _units_left(order):
        errors["lines"] = "目前一次发货须包含订单全部商品（分包裹请在后台操作）"
    if errors:
        raise ValidationError(errors)
    if order.status not in (OrderStatus.PAID, OrderStatus.APPROVED, OrderStatus.PACKING):
        raise Conflict(f"订单状态为 {order.status_name}，不能发货", details={"status": order.status,
                                                                          "status_name": order.status_name})


def _units(lines) -> dict[int, int]:
    units: dict[int, int] = {}
    for line in lines:
        units[line.line_id] = units.get(line.line_id, 0) + line.qty
    return units


def _units_left(order: Order) -> dict[int, int]:
    return {line.id: line.quantity - line.refunded_quantity for line in order.lines
            if not line.is_component and line.quantity > line.refunded_quantity}
