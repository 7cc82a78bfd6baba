"""Pre-sale release: when a pre-sale SKU's stock arrives, waiting orders get it in payment order."""

from datetime import datetime

from sqlalchemy import select

from app.db import db
from app.domain.catalog.models import Sku
from app.domain.errors import OutOfStock
from app.domain.inventory import services as inventory
from app.domain.inventory.ledger import Change
from app.domain.orders import services
from app.domain.orders.models import Order, OrderLine
from app.domain.orders.states import OrderStatus
from app.text import N_, Text

# Packing included: an order may be packed while it waits (ship-out refuses it until it converts).
CONVERTIBLE = (OrderStatus.PAID, OrderStatus.APPROVED, OrderStatus.PACKING)


def skus_due_for_release(now: datetime) -> list[int]:
    """Released pre-sale SKUs that paid orders are still waiting for (orders paid after the release
    are picked up by the next sweep)."""
    waiting = (select(OrderLine.id).join(Order)
               .where(OrderLine.sku_id == Sku.id, OrderLine.awaiting_presale, Order.status.in_(CONVERTIBLE)))
    return list(db.session.scalars(select(Sku.id).where(Sku.presale_release_at <= now, waiting.exists())))


def release_presale(sku: Sku, now: datetime) -> dict[str, int]:
    """Give the released SKU's stock to paid waiting orders, earliest payment first; the ones it does
    not reach go to the exception queue with the reason. Unpaid orders convert when they are paid.

    Idempotent: an order converts only while it still waits.
    """
    converted = parked = 0
    for order in _paid_orders_waiting_for(sku):
        savepoint = db.session.begin_nested()
        try:
            convert_order(order, now)
        except OutOfStock:
            savepoint.rollback()
            services.mark_exception(order, Text(N_("预售商品 %(sku)s 到货不足，无法分配库存"), sku=sku.code), "system")
            parked += 1
        else:
            savepoint.commit()
            converted += 1
    db.session.flush()
    return {"converted": converted, "parked": parked}


def convert_order(order: Order, now: datetime) -> None:
    """Reserve (and, for a paid order, lock) the stock of the order's released pre-sale lines, in the
    warehouse the order already uses if it has one. Raises OutOfStock if it cannot."""
    released = [line for line in order.lines if line.awaiting_presale and not line.sku.in_presale(now)]
    if not released:
        return
    demand = services.stock_demand(order, [_as_ready(line) for line in released])
    # Units refunded while the line waited are no longer sold: reserve only what is still owed.
    for line in released:
        if line.sku_id in demand:
            demand[line.sku_id] -= _refunded_units(line)
    change = Change("system", "预售到货分配", order.id)
    warehouses = [order.warehouse_id] if order.warehouse_id else services.candidate_warehouses(order.channel)
    order.warehouse_id = inventory.reserve_order(order.id, demand, warehouses, change) or order.warehouse_id
    if order.status != OrderStatus.PENDING_PAYMENT:
        inventory.lock_order(order.id, change)
    order.awaiting_presale = any(line.awaiting_presale for line in order.lines)
    services.add_event(order, "presale_converted", "system", order.status, order.status,
                       details={"skus": sorted({line.sku.code for line in released})})
    db.session.flush()


def _refunded_units(line: OrderLine) -> int:
    """Units of ``line`` refunded so far; a bundle component's share of its bundle's refunds."""
    if line.parent is None:
        return line.refunded_quantity
    return line.quantity // line.parent.quantity * line.parent.refunded_quantity


def _as_ready(line: OrderLine) -> OrderLine:
    line.awaiting_presale = False
    return line


def _paid_orders_waiting_for(sku: Sku) -> list[Order]:
    return list(db.session.scalars(
        select(Order).join(OrderLine).where(OrderLine.sku_id == sku.id, OrderLine.awaiting_presale,
                                            Order.status.in_(CONVERTIBLE))
        .order_by(Order.paid_at, Order.id).distinct()))
