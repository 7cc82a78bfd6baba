"""Read-side SELECTs behind the stock pages.

They read inventory's models only and change nothing. Their natural home is
``app/domain/inventory/queries.py``; they live here until that module's owner takes them in (the move
is a cut and paste: nothing here depends on the web layer).
"""

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import contains_eager

from app.domain.catalog.models import Sku
from app.domain.inventory.models import PurchaseReminder, SafetyStockFigure, StockLevel, StockMovement
from app.domain.orders.models import Order
from app.domain.reference.models import Warehouse
from app.extensions import db

LEVEL = StockLevel
POSITION = LEVEL.on_hand - LEVEL.reserved - LEVEL.locked
#: Under the reorder point (what raises a purchase reminder), or nothing left to sell.
LOW_STOCK = or_(and_(LEVEL.reorder_point > 0, LEVEL.reorder_point > POSITION),
                POSITION - LEVEL.safety <= 0)


def is_low(level: StockLevel) -> bool:
    position = level.on_hand - level.reserved - level.locked
    return (level.reorder_point > 0 and position < level.reorder_point) or position - level.safety <= 0


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
        query = query.where(LOW_STOCK)
    return query


def movements(warehouse_id: int | None, sku: str = "", kind: str = "", order_no: str = "") -> Select:
    """The ledger, newest first."""
    query = (select(StockMovement).join(StockMovement.sku).join(StockMovement.warehouse)
             .options(contains_eager(StockMovement.sku), contains_eager(StockMovement.warehouse))
             .order_by(StockMovement.id.desc()))
    if warehouse_id:
        query = query.where(StockMovement.warehouse_id == warehouse_id)
    if sku:
        query = query.where(_sku_matches(sku))
    if kind:
        query = query.where(StockMovement.kind == kind)
    if order_no:
        query = query.where(StockMovement.order_id.in_(select(Order.id).where(Order.order_no == order_no)))
    return query


def order_numbers(order_ids) -> dict[int, str]:
    ids = {order_id for order_id in order_ids if order_id}
    if not ids:
        return {}
    return dict(db.session.execute(select(Order.id, Order.order_no).where(Order.id.in_(ids))).all())


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
