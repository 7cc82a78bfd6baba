"""Routing jobs: route an order once it is paid (queued by the payment, after its commit), then let the
auto-review rules judge it."""

from app.domain.orders.models import Order
from app.domain.routing import services
from app.domain.workbench import review
from app.extensions import db
from workers.runtime import job


@job
def route_paid_order(order_id: int) -> str:
    """Route the order if it still waits for it; the decision's own guard makes a repeat a no-op. A
    routed (or not routable) order that is still paid then goes through auto-review, in the same step."""
    order = db.session.get(Order, order_id, with_for_update=True)
    if order is None:
        return "missing"
    decision = services.route_order(order, "system")
    review.review_order(order)
    return decision.outcome if decision is not None else "skipped"
