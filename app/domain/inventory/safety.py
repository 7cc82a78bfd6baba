"""Dynamic safety stock and reorder points, from what each warehouse actually shipped.

For each SKU × warehouse, over the last ``days`` days of shipments (days without any count as zero):
    safety stock  = z(service level) × σ(daily demand) × √(lead time)
    reorder point = mean daily demand × lead time + safety stock
rounded up to whole units. Staff see these inputs and may override either figure with a reason; an
override stays until someone clears it.
"""

import math
import statistics
from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.db import db
from app.domain.errors import ValidationError
from app.domain.inventory import reorder
from app.domain.inventory.ledger import LevelAfter
from app.domain.inventory.models import MovementKind, SafetyStockFigure, StockLevel, StockMovement
from app.text import N_

DEFAULT_WINDOW_DAYS = 28
SHANGHAI = ZoneInfo("Asia/Shanghai")


def z_score(service_level_pct: int) -> float:
    return statistics.NormalDist().inv_cdf(service_level_pct / 100)


def figures_from_demand(daily: list[int], service_level_pct: int, lead_time_days: int) -> dict:
    """The safety stock and reorder point for one daily demand series (pure; easy to check by hand)."""
    mean = statistics.fmean(daily) if daily else 0.0
    stddev = statistics.pstdev(daily) if len(daily) > 1 else 0.0
    z = z_score(service_level_pct)
    safety = math.ceil(round(z * stddev * math.sqrt(lead_time_days), 6))
    reorder_point = math.ceil(round(mean * lead_time_days + safety, 6))
    return {"mean_daily": mean, "stddev_daily": stddev, "z": z, "computed_safety": safety,
            "computed_reorder_point": reorder_point}


def recompute_all(now: datetime, days: int = DEFAULT_WINDOW_DAYS) -> int:
    """Recompute every stock level's figures from the last ``days`` days; returns how many levels."""
    shipped = _daily_shipments(now, days)
    levels = db.session.scalars(select(StockLevel).options(joinedload(StockLevel.sku))).all()
    for level in levels:
        series = shipped.get((level.warehouse_id, level.sku_id), {})
        daily = [series.get(day, 0) for day in _days(now, days)]
        figure = _figure_for(level)
        figure.days_sampled, figure.units_shipped = days, sum(daily)
        figure.service_level_pct, figure.lead_time_days = level.sku.service_level_pct, level.sku.lead_time_days
        for name, value in figures_from_demand(daily, figure.service_level_pct, figure.lead_time_days).items():
            setattr(figure, name, value)
        figure.computed_at = now
        _apply_to_level(level, figure)
    db.session.flush()
    return len(levels)


def override(figure: SafetyStockFigure, safety: int | None, reorder_point: int | None, reason: str,
             actor: str) -> SafetyStockFigure:
    """Set (or, with both None, clear) a manual safety stock / reorder point for one SKU × warehouse."""
    if (safety is not None and safety < 0) or (reorder_point is not None and reorder_point < 0):
        raise ValidationError({"safety": N_("安全库存和补货点不能为负数")})
    if (safety is not None or reorder_point is not None) and not (reason or "").strip():
        raise ValidationError({"reason": N_("手工设置需要填写原因")})
    figure.override_safety, figure.override_reorder_point = safety, reorder_point
    figure.override_reason, figure.override_by = (reason or "").strip(), actor
    level = db.session.scalar(select(StockLevel).where(StockLevel.warehouse_id == figure.warehouse_id,
                                                       StockLevel.sku_id == figure.sku_id))
    _apply_to_level(level, figure)
    db.session.flush()
    return figure


def figure_for(warehouse_id: int, sku_id: int) -> SafetyStockFigure:
    level = db.session.scalar(select(StockLevel).where(StockLevel.warehouse_id == warehouse_id,
                                                       StockLevel.sku_id == sku_id))
    if level is None:
        raise ValidationError({"sku": N_("该仓库没有这个商品的库存记录")})
    return _figure_for(level)


def _apply_to_level(level: StockLevel, figure: SafetyStockFigure) -> None:
    level.safety = figure.computed_safety if figure.override_safety is None else figure.override_safety
    level.reorder_point = (figure.computed_reorder_point if figure.override_reorder_point is None
                           else figure.override_reorder_point)
    db.session.flush()
    reorder.evaluate(LevelAfter(level.warehouse_id, level.sku_id, level.on_hand, level.reserved, level.locked,
                                level.safety, level.reorder_point))


def _figure_for(level: StockLevel) -> SafetyStockFigure:
    figure = db.session.scalar(select(SafetyStockFigure).where(SafetyStockFigure.warehouse_id == level.warehouse_id,
                                                               SafetyStockFigure.sku_id == level.sku_id))
    if figure is None:
        figure = SafetyStockFigure(warehouse_id=level.warehouse_id, sku_id=level.sku_id)
        db.session.add(figure)
    return figure


def _days(now: datetime, days: int) -> list:
    today = now.astimezone(SHANGHAI).date()
    return [today - timedelta(days=offset) for offset in range(1, days + 1)]


def _daily_shipments(now: datetime, days: int) -> dict:
    """Units shipped per (warehouse, sku) per Shanghai calendar day, for the ``days`` full days before today."""
    start_day = now.astimezone(SHANGHAI).date() - timedelta(days=days)
    start = datetime.combine(start_day, datetime.min.time(), SHANGHAI)
    end = datetime.combine(now.astimezone(SHANGHAI).date(), datetime.min.time(), SHANGHAI)
    rows = db.session.execute(
        select(StockMovement.warehouse_id, StockMovement.sku_id, StockMovement.at, StockMovement.on_hand_delta)
        .where(StockMovement.kind == MovementKind.SHIP, StockMovement.at >= start, StockMovement.at < end))
    shipped: dict = defaultdict(lambda: defaultdict(int))
    for warehouse_id, sku_id, at, delta in rows:
        shipped[(warehouse_id, sku_id)][at.astimezone(SHANGHAI).date()] += -delta
    return shipped
