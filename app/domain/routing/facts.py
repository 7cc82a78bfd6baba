"""What the engine needs, read from the database: the order's items, the warehouses as sites, the rate
cards and the destination. Reads only; the engine itself never touches the database."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app.db import db
from app.domain.catalog.models import Sku
from app.domain.inventory.models import ACTIVE_RESERVATION_STATUSES, Reservation, StockLevel
from app.domain.orders.models import Order
from app.domain.orders.services import net_stock_demand, stock_demand
from app.domain.reference.models import Carrier, Warehouse
from app.domain.reference.places import locate
from app.domain.routing.engine import Destination, Site
from app.domain.routing.models import RateCard
from app.domain.routing.rates import Item, Rate

SHANGHAI = ZoneInfo("Asia/Shanghai")


def items_of(order: Order, skus: dict[int, Sku] | None = None, net: bool = True) -> list[Item]:
    """The stock-holding units the order still ships (bundles through their components, net of refunds;
    all it sold with ``net=False``), with weight and volume; ``skus`` (by id) saves the read when the
    caller loaded them already."""
    demand = net_stock_demand(order) if net else stock_demand(order)
    if skus is None:
        skus = {sku.id: sku for sku in db.session.scalars(select(Sku).where(Sku.id.in_(demand)))}
    return [Item(sku_id, quantity, skus[sku_id].weight_g, skus[sku_id].volume_cm3)
            for sku_id, quantity in sorted(demand.items())]


def destination_of(order: Order) -> Destination | None:
    place = locate(order.receiver_province, order.receiver_city, order.receiver_district)
    return None if place is None else Destination(place.province, place.latitude, place.longitude)


def sites_for(order: Order | None, sku_ids: list[int], now: datetime) -> list[Site]:
    """Every active warehouse, with the stock ``order`` may take there (its own holding counts as
    available where it is) and what is left of today's capacity."""
    warehouses = active_warehouses()
    stock = _sellable(sku_ids)
    if order is not None:
        for reservation in db.session.scalars(select(Reservation).where(
                Reservation.order_id == order.id, Reservation.status.in_(ACTIVE_RESERVATION_STATUSES))):
            key = (reservation.warehouse_id, reservation.sku_id)
            stock[key] = stock.get(key, 0) + reservation.quantity
    loads = todays_loads(now, exclude_order_id=order.id if order is not None else None)
    all_carriers = active_carriers()
    return [site_of(warehouse, stock, loads.get(warehouse.id, 0), all_carriers, now) for warehouse in warehouses]


def rate_table() -> dict[tuple[str, str, str], Rate]:
    rows = db.session.execute(select(RateCard, Carrier.code).join(Carrier).where(Carrier.active))
    return {(code, card.origin_province, card.destination_province): to_rate(card, code) for card, code in rows}


def to_rate(card: RateCard, carrier_code: str) -> Rate:
    return Rate(carrier_code, card.first_weight_g, card.first_fen, card.extra_fen_per_kg, card.step_g,
                card.volumetric_divisor, card.surcharge_fen, card.transit_days, card.served)


def todays_loads(now: datetime, exclude_order_id: int | None = None) -> dict[int, int]:
    """Paid orders per warehouse today (Shanghai day) that still hold or have shipped its stock."""
    start = datetime.combine(now.astimezone(SHANGHAI).date(), time(0), SHANGHAI)
    query = (select(Order.warehouse_id, func.count()).where(Order.paid_at >= start, Order.warehouse_id.is_not(None))
             .group_by(Order.warehouse_id))
    if exclude_order_id is not None:
        query = query.where(Order.id != exclude_order_id)
    return dict(db.session.execute(query).all())


def _sellable(sku_ids: list[int]) -> dict[tuple[int, int], int]:
    rows = db.session.scalars(select(StockLevel).where(StockLevel.sku_id.in_(sku_ids)))
    return {(level.warehouse_id, level.sku_id): max(0, level.position - level.safety) for level in rows}


def active_warehouses() -> list[Warehouse]:
    return list(db.session.scalars(select(Warehouse).where(Warehouse.active).order_by(Warehouse.code)))


def active_carriers() -> tuple[str, ...]:
    return tuple(db.session.scalars(select(Carrier.code).where(Carrier.active).order_by(Carrier.code)))


def site_of(warehouse: Warehouse, stock: dict, load: int, all_carriers: tuple[str, ...], now: datetime) -> Site:
    """``warehouse`` as the engine sees it at ``now``; ``stock`` maps (warehouse id, sku id) → units."""
    capacity = None if warehouse.daily_capacity == 0 else warehouse.daily_capacity - load
    carriers = tuple(code for code in all_carriers if not warehouse.carrier_codes or code in warehouse.carrier_codes)
    return Site(code=warehouse.code, province=warehouse.province, latitude=float(warehouse.latitude),
                longitude=float(warehouse.longitude), priority=warehouse.priority,
                stock={sku_id: units for (warehouse_id, sku_id), units in stock.items() if warehouse_id == warehouse.id},
                capacity_left=capacity, handling_hours=warehouse.handling_hours,
                cutoff_passed=cutoff_passed(warehouse.cutoff_time, now), unserved=frozenset(warehouse.unserved_provinces),
                carriers=carriers)


def cutoff_passed(cutoff_time: str, now: datetime) -> bool:
    hours, minutes = (int(part) for part in cutoff_time.split(":"))
    return now.astimezone(SHANGHAI).time() >= time(hours, minutes)

