"""Reading stock: per-warehouse levels and what can be sold (bundles included), the ledger, purchase
reminders and safety-stock figures. Read-side only: these build SELECTs or return rows, never change any."""

from dataclasses import dataclass

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import contains_eager

from app.db import db
from app.domain.catalog.models import Sku
from app.domain.inventory.models import PurchaseReminder, SafetyStockFigure, StockLevel, StockMovement
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


def stock_levels(warehouse_id: int | None, search: str = "", low_only: bool = False) -> Select:
    """Levels per warehouse × SKU, by warehouse priority then SKU code."""
    query = (select(StockLevel).join(StockLevel.sku).join(StockLevel.warehouse)
             .options(contains_eager(StockLevel.sku), contains_eager(StockLevel.warehouse))
             .order_by(Warehouse.priority, Warehouse.code, Sku.code))
    if warehouse_id:
        query = query.where(StockLevel.warehouse_id == warehouse_id)
    if search:
        query = query.where(_sku_matches(search))
    if low_only:
        query = query.where(StockLevel.is_low)
    return query


def movements(warehouse_id: int | None, sku: str = "", kind: str = "", order_ids: Select | None = None) -> Select:
    """The ledger, newest first; ``order_ids``: only the movements of these orders (a SELECT of ids, so
    that inventory need not know the orders' table: orders.queries.order_ids_numbered builds it)."""
    query = (select(StockMovement).join(StockMovement.sku).join(StockMovement.warehouse)
             .options(contains_eager(StockMovement.sku), contains_eager(StockMovement.warehouse))
             .order_by(StockMovement.id.desc()))
    if warehouse_id:
        query = query.where(StockMovement.warehouse_id == warehouse_id)
    if sku:  # as ids first, so the ledger is read through its (sku_id, id) index, not scanned
        query = query.where(StockMovement.sku_id.in_(select(Sku.id).where(_sku_matches(sku))))
    if kind:
        query = query.where(StockMovement.kind == kind)
    if order_ids is not None:
        query = query.where(StockMovement.order_id.in_(order_ids))
    return query


def movements_after(query: Select, after_id: int | None) -> Select:
    """The ledger ``query`` (newest first) continued after movement ``after_id``: keyset paging."""
    return query.where(StockMovement.id < after_id) if after_id else query


def reminders(show_all: bool = False) -> Select:
    """Purchase reminders, newest first: the open ones, or every one."""
    query = (select(PurchaseReminder).join(PurchaseReminder.sku).join(PurchaseReminder.warehouse)
             .options(contains_eager(PurchaseReminder.sku), contains_eager(PurchaseReminder.warehouse))
             .order_by(PurchaseReminder.raised_at.desc(), PurchaseReminder.id.desc()))
    if not show_all:
        query = query.where(PurchaseReminder.dismissed_at.is_(None), PurchaseReminder.recovered_at.is_(None))
    return query


def open_reminder_count() -> int:
    return db.session.scalar(select(func.count()).select_from(reminders().subquery()))


def levels_for(pairs) -> dict[tuple[int, int], StockLevel]:
    """Stock levels by (warehouse id, sku id), for the given pairs."""
    pairs = list(pairs)
    if not pairs:
        return {}
    rows = db.session.scalars(select(StockLevel).where(
        or_(*(and_(StockLevel.warehouse_id == w, StockLevel.sku_id == s) for w, s in pairs))))
    return {(level.warehouse_id, level.sku_id): level for level in rows}


def figures_for(levels) -> dict[tuple[int, int], SafetyStockFigure]:
    """Safety stock figures by (warehouse id, sku id) for the given levels (missing: never computed)."""
    keys = [(level.warehouse_id, level.sku_id) for level in levels]
    if not keys:
        return {}
    rows = db.session.scalars(select(SafetyStockFigure).where(
        or_(*(and_(SafetyStockFigure.warehouse_id == w, SafetyStockFigure.sku_id == s) for w, s in keys))))
    return {(figure.warehouse_id, figure.sku_id): figure for figure in rows}


def figure(warehouse_id: int, sku_id: int) -> SafetyStockFigure | None:
    return db.session.scalar(select(SafetyStockFigure).where(SafetyStockFigure.warehouse_id == warehouse_id,
                                                             SafetyStockFigure.sku_id == sku_id))


def overridden_only(query: Select) -> Select:
    """Narrow a stock_levels() query to levels whose safety figures were set by hand."""
    overridden = select(SafetyStockFigure.id).where(
        SafetyStockFigure.warehouse_id == StockLevel.warehouse_id, SafetyStockFigure.sku_id == StockLevel.sku_id,
        or_(SafetyStockFigure.override_safety.is_not(None), SafetyStockFigure.override_reorder_point.is_not(None)))
    return query.where(overridden.exists())


def _sku_matches(text: str):
    pattern = f"%{text.replace('%', '').replace('_', '')}%"
    return or_(Sku.code.ilike(pattern), Sku.name.ilike(pattern), Sku.barcode == text)


def product_choices(text: str, limit: int = 20) -> list[tuple[Sku, list[WarehouseStock]]]:
    """Active SKUs whose code, name or barcode matches ``text`` (all when blank), each with its stock
    per warehouse: the manual order form's product picker."""
    query = select(Sku).where(Sku.active).order_by(Sku.code).limit(limit)
    if text.strip():
        query = query.where(_sku_matches(text.strip()))
    return [(sku, stock_of(sku)) for sku in db.session.scalars(query)]


@dataclass(frozen=True)
class StockCover:
    sku_code: str
    sku_name: str
    sellable: int  # on hand, less what orders hold, over every warehouse
    mean_daily: float  # units shipped per day, from the safety-stock figures

    @property
    def days(self) -> float | None:
        """How many days the stock lasts at the recent pace; None when the SKU did not sell at all."""
        return round(self.sellable / self.mean_daily, 1) if self.mean_daily > 0 else None


def stock_cover(limit: int = 10) -> list[StockCover]:
    """The best-selling SKUs (by units shipped in the safety-stock sample) and how long their stock lasts."""
    shipped = func.sum(SafetyStockFigure.units_shipped)
    rows = db.session.execute(
        select(Sku.code, Sku.name, func.sum(StockLevel.on_hand - StockLevel.reserved - StockLevel.locked),
               func.sum(SafetyStockFigure.mean_daily))
        .join(SafetyStockFigure, SafetyStockFigure.sku_id == Sku.id)
        .join(StockLevel, and_(StockLevel.sku_id == SafetyStockFigure.sku_id,
                               StockLevel.warehouse_id == SafetyStockFigure.warehouse_id))
        .group_by(Sku.id, Sku.code, Sku.name).having(shipped > 0).order_by(shipped.desc(), Sku.code).limit(limit))
    return [StockCover(code, name, max(int(sellable or 0), 0), float(mean or 0)) for code, name, sellable, mean in rows]
