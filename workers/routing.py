"""Routing jobs: route an order once it is paid (queued by the payment, after its commit) and let the
auto-review rules judge it, route again, and replay a back-test."""

from app.domain.orders.models import Order
from app.domain.routing import backtest, services
from app.domain.routing.models import Backtest
from app.domain.workbench import batches, reroute, review
from app.extensions import db
from workers.runtime import job
from workers.workbench import failure_recorded


@job
def route_paid_order(order_id: int) -> str:
    """Route the order if it still waits for it; the decision's own guard makes a repeat a no-op. A
    routed (or not routable) order that is still paid then goes through auto-review, in the same step."""
    order = db.session.get(Order, order_id, with_for_update=True)
    if order is None:
        return "missing"
    decision = services.route_when_due(order, "system")
    review.review_order(order)
    if decision is None:  # a channel that routes after review: auto-review may just have approved it
        decision = services.route_when_due(order, "system")
    return decision.outcome if decision is not None else "skipped"


@job
def route_order_when_due(order_id: int) -> str:
    """Route a new or just approved order if its channel routes at that moment (else nothing)."""
    order = db.session.get(Order, order_id, with_for_update=True)
    if order is None:
        return "missing"
    decision = services.route_when_due(order, "system")
    return decision.outcome if decision is not None else "skipped"


@job
def reroute_returned_order(order_id: int) -> str:
    """An order back from an exception is decided anew (a new round); one that is shipped, packing or
    sells from its channel's own warehouse is left alone by route_order."""
    order = db.session.get(Order, order_id, with_for_update=True)
    if order is None:
        return "missing"
    decision = services.route_order(order, "system", again=True)
    return decision.outcome if decision is not None else "skipped"


@job
def run_backtest(backtest_id: int) -> dict:
    """Replay a back-test, committing its progress as it goes; a failure leaves it marked as stopped."""
    run = db.session.get(Backtest, backtest_id)
    try:
        backtest.run(run, checkpoint=db.session.commit)
    except Exception:
        db.session.rollback()
        db.session.get(Backtest, backtest_id).status = backtest.FAILED
        db.session.commit()
        raise
    return {"orders": run.total}


@job
def run_warehouse_reroute(batch_id: int) -> dict:
    """Route again the open orders of a warehouse taken offline, committing progress as it goes."""
    with failure_recorded(batch_id):
        batch = batches.get_batch(batch_id)
        reroute.run(batch, checkpoint=db.session.commit)
    return {"total": batch.total, "done": batch.done, "refused": batch.refused}
