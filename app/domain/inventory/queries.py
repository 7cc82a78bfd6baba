"""Reading stock: per-warehouse levels and what can be sold, bundles included."""

from dataclasses import dataclass

from sqlalchemy import select

from app.db import db
from app.domain.catalog.models import Sku
from app.domain.inventory.models import StockLevel
from app.domain.reference.models import Warehouse


@dataclass(frozen=True)
class WarehouseStock:
    warehouse: Warehouse
    on_hand: int
    reserved: int
    locked: int
    safety: int
    available: int


def stock_of(sku: Sku) -> list[WarehouseStock]:
    """Stock per active warehouse. A bundle's figures are how many whole bundles its components allow."""
    warehouses = db.session.scalars(select(Warehouse).where(Warehouse.active).order_by(Warehouse.priority,
                                                                                       Warehouse.code)).all()
    if sku.is_bundle:
        return [_bundle_stock(sku, warehouse) for warehouse in warehouses]
    levels = _levels([sku.id])
    return [_plain_stock(warehouse, levels.get((warehouse.id, sku.id))) for warehouse in warehouses]


def total_available(sku: Sku) -> int:
    return sum(row.available for row in stock_of(sku))


def _plain_stock(warehouse: Warehouse, level: StockLevel | None) -> WarehouseStock:
    if level is None:
        return WarehouseStock(warehouse, 0, 0, 0, 0, 0)
    return WarehouseStock(warehouse, level.on_hand, level.reserved, level.locked, level.safety, level.available)


def _bundle_stock(bundle: Sku, warehouse: Warehouse) -> WarehouseStock:
    levels = _levels([item.component_id for item in bundle.components], warehouse.id)
    kits = min(
        (levels[(warehouse.id, item.component_id)].available if (warehouse.id, item.component_id) in levels else 0)
        // item.quantity
        for item in bundle.components
    )
    return WarehouseStock(warehouse, on_hand=0, reserved=0, locked=0, safety=0, available=kits)


def _levels(sku_ids: list[int], warehouse_id: int | None = None) -> dict[tuple[int, int], StockLevel]:
    query = select(StockLevel).where(StockLevel.sku_id.in_(sku_ids))
    if warehouse_id is not None:
        query = query.where(StockLevel.warehouse_id == warehouse_id)
    return {(level.warehouse_id, level.sku_id): level for level in db.session.scalars(query)}
