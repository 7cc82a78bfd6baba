"""Periodic order and stock jobs: deadlines, pre-sale release, safety stock, the consistency check."""

import logging

from app.db import utcnow
from app.domain.catalog.models import Sku
from app.domain.inventory import safety
from app.domain.orders import presale, timeouts
from app.domain.orders.consistency import stock_differences
from app.extensions import db
from workers.runtime import job

logger = logging.getLogger(__name__)


@job
def sweep_deadlines() -> dict[str, int]:
    """Close unpaid orders, raise SLA warnings, complete and archive, for everything due now."""
    applied = timeouts.sweep_due(utcnow())
    if applied:
        logger.debug("Deadlines applied: %s", applied)  # the job line says it ran; the counts are its result
    return applied


@job
def release_presales() -> dict[str, dict[str, int]]:
    now = utcnow()
    return {str(sku_id): presale.release_presale(db.session.get(Sku, sku_id), now)
            for sku_id in presale.skus_due_for_release(now)}


@job
def recompute_safety_stock() -> int:
    return safety.recompute_all(utcnow())


@job
def check_stock_consistency() -> list[str]:
    """Log every difference loudly; the job fails (visible on the jobs page) when there is any."""
    differences = stock_differences()
    for difference in differences:
        logger.error("Stock inconsistency: %s", difference)
    if differences:
        raise RuntimeError(f"{len(differences)} stock inconsistencies; see the log or run check-stock")
    return differences
