"""A warehouse goes offline (停用): it is taken out of routing and every open order holding its stock is
routed again, as a batch job with a result per order (shown on the order batch page)."""

from collections.abc import Callable

from sqlalchemy import select

from app.db import db, utcnow
from app.domain.errors import ValidationError
from app.domain.inventory.models import ACTIVE_RESERVATION_STATUSES, Reservation
from app.domain.orders import services as orders
from app.domain.orders.models import Order
from app.domain.orders.states import OrderStatus
from app.domain.reference.models import Warehouse
from app.domain.routing import services
from app.domain.workbench.batches import CHECKPOINT_EVERY, message_data
from app.domain.workbench.models import BatchStatus, OrderBatch
from app.jobs import enqueue_after_commit
from app.text import N_, Text

JOB = "workers.routing.run_warehouse_reroute"
ACTION = "reroute"
LABEL = N_("重新分仓")
NOT_ROUTED = N_("没有重新分仓（订单已在处理或已出库）")


def take_offline(warehouse: Warehouse, actor: str) -> OrderBatch:
    """Stop routing to ``warehouse`` and queue the re-routing of its open orders (sent on commit)."""
    order_nos = list(db.session.scalars(
        select(Order.order_no).join(Reservation, Reservation.order_id == Order.id)
        .where(Reservation.warehouse_id == warehouse.id, Reservation.status.in_(ACTIVE_RESERVATION_STATUSES),
               Order.status.in_([*services.ROUTABLE, OrderStatus.EXCEPTION]), Order.shipped_at.is_(None))
        .distinct().order_by(Order.order_no)))
    if not order_nos:
        raise ValidationError({"warehouse_id": N_("该仓库没有待发货的订单")})
    warehouse.active = False
    batch = OrderBatch(action=ACTION, params={"warehouse_id": warehouse.id}, order_nos=order_nos,
                       total=len(order_nos), results=[], created_by=actor, status=BatchStatus.QUEUED)
    db.session.add(batch)
    db.session.flush()
    enqueue_after_commit(JOB, batch.id)
    return batch


def run(batch: OrderBatch, checkpoint: Callable[[], None]) -> None:
    """Route each order again in its own savepoint; ``checkpoint`` commits the progress so far. An order
    routed elsewhere counts as done, one parked (nobody else can ship it) as refused, with its reasons."""
    batch.status = BatchStatus.RUNNING
    checkpoint()
    results = list(batch.results)
    for order_no in batch.order_nos[len(results):]:
        results.append(_one(order_no, batch.created_by))
        batch.done = sum(1 for result in results if result["ok"])
        batch.refused = len(results) - batch.done
        if len(results) % CHECKPOINT_EVERY == 0:
            batch.results = list(results)
            checkpoint()
    batch.results = results
    batch.status, batch.finished_at = BatchStatus.FINISHED, utcnow()
    db.session.flush()


def _one(order_no: str, actor: str) -> dict:
    with db.session.begin_nested():
        order = orders.get_order(order_no, for_update=True)
        decision = services.route_order(order, actor, again=True)
    if decision is None:
        return {"order_no": order_no, "ok": False, "message": message_data(Text(NOT_ROUTED))}
    if decision.outcome == "parked":
        # The first reason names it; the order page lists them all.
        message = Text(N_("无法自动分仓：%(reasons)s"), reasons=Text(services.REASON_LABELS[decision.reasons[0]]))
        return {"order_no": order_no, "ok": False, "message": message_data(message)}
    return {"order_no": order_no, "ok": True, "message": message_data(Text(services.OUTCOME_LABELS[decision.outcome]))}
