"""Shipping an order as one or more parcels (包裹).

``ship_order`` is the "ship out with a waybill" action: the order leaves the warehouse through the
orders service (which takes its stock off the shelf and keeps the first waybill on the order, as before)
and each parcel becomes a shipment with its lines, whose subscription is queued after the commit.

A split order (routing gave its SKUs to several warehouses) leaves as its planned parcels, one per
warehouse, each packed and shipped on its own with its own waybill (``ship_planned_parcel``): that
warehouse's stock leaves the shelf, the parcel becomes a shipment, and the order turns 已出库 when the
last one is out. The plan is not stored apart: it is where the order's stock is held (the reservations,
which routing moved) and the carrier and estimate the routing decision gave each warehouse.
"""

from dataclasses import dataclass

from sqlalchemy import select

from app.db import db, utcnow
from app.domain.errors import Conflict, ValidationError
from app.domain.inventory import services as inventory
from app.domain.inventory.ledger import Change
from app.domain.logistics.models import Shipment, ShipmentLine, Subscription
from app.domain.orders import notify, services
from app.domain.orders.models import Order, OrderLine
from app.domain.orders.states import OrderStatus
from app.domain.reference.models import Carrier, Warehouse
from app.domain.routing import services as routing
from app.jobs import enqueue_after_commit
from app.text import N_, Text

MAX_WAYBILL_LENGTH = 40
SHIP_PARCEL_EVENT = "ship_parcel"
SUBSCRIBE_JOB = "workers.logistics.subscribe_shipment"


@dataclass(frozen=True)
class Parcel:
    carrier: Carrier
    waybill_no: str
    #: order line id → quantity; None: every line of the order (a single parcel)
    lines: dict[int, int] | None = None
    #: the warehouse it leaves from (a split parcel); None: the order's
    warehouse_id: int | None = None


@dataclass(frozen=True)
class PlannedParcel:
    """What leaves one warehouse of a split order: its lines, the carrier and estimate routing gave it,
    and its shipment once it has left."""

    warehouse: Warehouse
    carrier: Carrier | None
    #: order line id → quantity
    lines: dict[int, int]
    estimated_cost_fen: int | None
    shipment: Shipment | None

    @property
    def shipped(self) -> bool:
        return self.shipment is not None


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


def planned_parcels(order: Order) -> list[PlannedParcel]:
    """The order's parcels, one per warehouse holding its stock, the order's own warehouse first, each
    with the units still to ship (net of refunds: a line refunded in full is in none). A bundle whose
    components sit in one warehouse goes whole; one divided by whole bundles goes as bundles from each;
    otherwise as its components. An order whose stock is in one warehouse has one parcel."""
    per_warehouse = _lines_per_warehouse(order)
    warehouses = {w.id: w for w in db.session.scalars(select(Warehouse).where(Warehouse.id.in_(per_warehouse)))}
    decision = routing.latest_decision(order)
    carriers = {parcel["site"]: parcel["carrier"] for parcel in (decision.plan.get("parcels", ()) if decision else ())}
    by_code = {c.code: c for c in db.session.scalars(select(Carrier).where(Carrier.code.in_(list(carriers.values()))))}
    shipped = {shipment.warehouse_id: shipment for shipment in db.session.scalars(
        select(Shipment).where(Shipment.order_id == order.id).order_by(Shipment.id))}
    parcels = []
    for warehouse_id in sorted(per_warehouse, key=lambda wid: (wid != order.warehouse_id, warehouses[wid].code)):
        warehouse = warehouses[warehouse_id]
        planned = routing.estimate(order, warehouse.code)
        parcels.append(PlannedParcel(warehouse, by_code.get(carriers.get(warehouse.code, "")) or order.carrier,
                                     per_warehouse[warehouse_id], planned[0] if planned else None,
                                     shipped.get(warehouse_id)))
    return parcels


def _lines_per_warehouse(order: Order) -> dict[int, dict[int, int]]:
    """warehouse id → {order line id: units}: the order's lines (net of refunds) over the units its
    reservations hold in each warehouse (shipped ones included). A line that holds nothing (pre-sale
    waiting for stock) goes with the order's own warehouse."""
    pools: dict[int, dict[int, int]] = {}  # sku id → warehouse id → units not yet given to a line
    for warehouse_id, sku_id, units, _status in inventory.order_holding_rows(order.id):
        pools.setdefault(sku_id, {})[warehouse_id] = units
    preferred = sorted({w for places in pools.values() for w in places} | {order.warehouse_id} - {None},
                       key=lambda w: (w != order.warehouse_id, w))
    per_warehouse: dict[int, dict[int, int]] = {}

    def put(warehouse_id: int, line: OrderLine, units: int) -> None:
        lines = per_warehouse.setdefault(warehouse_id, {})
        lines[line.id] = lines.get(line.id, 0) + units

    for line in order.lines:
        if line.is_component or line.net_quantity <= 0:
            continue
        parts = [part for part in order.lines if part.parent_line_id == line.id] or [line]
        if all(part.sku_id not in pools for part in parts):
            put(order.warehouse_id, line, line.net_quantity)
            continue
        if len(parts) > 1 or parts[0] is not line:
            shares = _bundle_shares(line, parts, pools, preferred)
        else:
            shares = [(line, w, n) for w, n in _take(pools.get(line.sku_id, {}), line.net_quantity, preferred)]
        for share, warehouse_id, units in shares:
            put(warehouse_id, share, units)
    return per_warehouse


def _bundle_shares(line: OrderLine, parts: list[OrderLine], pools: dict, preferred: list[int]) -> list:
    """How a bundle line leaves: whole bundles from each warehouse that has their components, else each
    component line divided over where its units are."""
    per_unit = {part.id: part.quantity // line.quantity for part in parts}
    left, shares = line.net_quantity, []
    taken: dict[tuple[int, int], int] = {}
    for warehouse_id in preferred:
        bundles = min([left] + [pools.get(part.sku_id, {}).get(warehouse_id, 0) // per_unit[part.id]
                                for part in parts if per_unit[part.id]])
        if bundles > 0:
            shares.append((line, warehouse_id, bundles))
            left -= bundles
            for part in parts:
                key = (part.sku_id, warehouse_id)
                taken[key] = taken.get(key, 0) + bundles * per_unit[part.id]
                pools[part.sku_id][warehouse_id] -= bundles * per_unit[part.id]
    if left == 0:
        return shares
    for (sku_id, warehouse_id), units in taken.items():  # not whole bundles: give the units back
        pools[sku_id][warehouse_id] += units
    return [(part, w, n) for part in parts
            for w, n in _take(pools.get(part.sku_id, {}), part.net_quantity, preferred)]


def _take(pool: dict[int, int], units: int, preferred: list[int]) -> list[tuple[int, int]]:
    """``units`` from ``pool`` (warehouse id → units): all from the first warehouse that has them all,
    else from each in turn; what the pool lacks (it should not) from the first preferred warehouse."""
    whole = next((w for w in preferred if pool.get(w, 0) >= units), None)
    order = [whole] if whole is not None else preferred
    taken = []
    for warehouse_id in order:
        n = min(units, pool.get(warehouse_id, 0))
        if n:
            pool[warehouse_id] -= n
            taken.append((warehouse_id, n))
            units -= n
    if units and preferred:
        taken.append((preferred[0], units))
    return taken


def is_split(order: Order) -> bool:
    """Whether the order leaves as several planned parcels (to be shipped one by one)."""
    return order.shipped_at is None and len({warehouse for warehouse, _sku, _units, _status in
                                             inventory.order_holding_rows(order.id)}) > 1


def refuse_split(order: Order) -> None:
    """Our own ways of shipping a whole order under one waybill (scan to ship, batches) refuse a split
    order: its parcels leave one by one, each from its own warehouse."""
    if is_split(order):
        raise Conflict(N_("订单分仓拆成了多个包裹，请在订单页按包裹出库"), details={"order_no": order.order_no})


def ship_planned_parcel(order: Order, warehouse: Warehouse, carrier: Carrier, waybill_no: str, actor: str) -> Shipment:
    """Ship the planned parcel of a packing order that leaves from ``warehouse``, under its own waybill:
    that warehouse's stock leaves the shelf and the parcel becomes a shipment. The last parcel out turns
    the order 已出库 (with the order's own warehouse's waybill as the order's); until then the order
    stays 打包中 with the parcels that are out listed."""
    if order.status != OrderStatus.PACKING:
        raise Conflict(N_("订单打包中才能按包裹出库"), details={"status": order.status})
    if order.awaiting_presale:
        raise Conflict(N_("订单中有预售商品尚未到货，不能出库"))
    parcels = planned_parcels(order)
    parcel = next((p for p in parcels if p.warehouse.id == warehouse.id), None)
    if parcel is None:
        raise ValidationError({"warehouse": Text(N_("订单没有从 %(code)s 发出的包裹"), code=warehouse.code)})
    if parcel.shipped:
        raise Conflict(N_("这个包裹已经出库了"), details={"warehouse": warehouse.code})
    if not carrier.active:
        raise ValidationError({"carrier": N_("已停用，不能选择")})
    waybill_no = _clean_waybill(waybill_no)
    if any(p.shipment.waybill_no == waybill_no for p in parcels if p.shipped):
        raise ValidationError({"waybill_no": N_("同一订单的包裹运单号不能重复")})
    inventory.ship_order(order.id, Change(actor, "包裹出库", order.id, reference=waybill_no), warehouse.id)
    shipment = _add_shipment(order, Parcel(carrier, waybill_no, parcel.lines, warehouse.id), waybill_no)
    out = sum(1 for p in parcels if p.shipped) + 1
    services.add_event(order, SHIP_PARCEL_EVENT, actor, order.status, order.status,
                       details={"carrier": carrier.code, "waybill_no": waybill_no, "warehouse": warehouse.code,
                                "parcels_out": out, "parcels": len(parcels)})
    if out < len(parcels):
        notify.parcel_message(order, notify.PARCEL_SHIPPED, shipment.id,
                              {"carrier": carrier.name, "waybill_no": waybill_no})
    else:
        main = next((p.shipment for p in parcels if p.shipped and p.warehouse.id == order.warehouse_id), shipment)
        services.ship_out(order, main.carrier, main.waybill_no, actor)
    db.session.flush()
    return shipment


def _add_shipment(order: Order, parcel: Parcel, waybill_no: str) -> Shipment:
    lines = parcel.lines or _unshipped_lines(order)
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


def _unshipped_lines(order: Order) -> dict[int, int]:
    """The sold lines (net of refunds: a fully refunded line ships in no parcel) not in a parcel yet: all
    of them, or (a platform reporting a split order shipped after some of its parcels left) those the
    shipped parcels do not carry."""
    shipped: dict[int, int] = {}
    for order_line_id, quantity in db.session.execute(
            select(ShipmentLine.order_line_id, ShipmentLine.quantity).join(Shipment)
            .where(Shipment.order_id == order.id)):
        shipped[order_line_id] = shipped.get(order_line_id, 0) + quantity
    return {line.id: line.net_quantity - shipped.get(line.id, 0) for line in order.lines
            if not line.is_component and line.net_quantity > shipped.get(line.id, 0)}


def _clean_waybill(waybill_no: str) -> str:
    waybill_no = (waybill_no or "").strip()
    if not waybill_no or len(waybill_no) > MAX_WAYBILL_LENGTH:
        raise ValidationError({"waybill_no": N_("请填写快递单号（最多 40 位）")})
    return waybill_no


def _check_lines(order: Order, parcels: list[Parcel]) -> None:
    """Split parcels name the order's own sold lines, within the quantities sold net of refunds."""
    if len(parcels) > 1 and any(parcel.lines is None for parcel in parcels):
        raise ValidationError({"parcels": N_("拆分包裹时每个包裹都要写明商品和数量")})
    sold = {line.id: line.net_quantity for line in order.lines if not line.is_component}
    packed: dict[int, int] = {}
    for parcel in parcels:
        for line_id, quantity in (parcel.lines or {}).items():
            if line_id not in sold or quantity <= 0:
                raise ValidationError({"parcels": Text(N_("订单中没有这一行商品（%(line_id)s），或数量不对"), line_id=line_id)})
            packed[line_id] = packed.get(line_id, 0) + quantity
    if any(quantity > sold[line_id] for line_id, quantity in packed.items()):
        raise Conflict(N_("包裹里的商品数量超过了订单数量"))
