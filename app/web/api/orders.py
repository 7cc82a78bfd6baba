"""Orders on the token's channel: create, list, read, and pay / cancel / refund.

Another channel's order answers 404, exactly like one that does not exist, so that order numbers of
other shops cannot be probed. Actions lock the order row first, so concurrent actions queue up.
"""

from flask import jsonify
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.auth.api_tokens import Scope
from app.domain.orders import refunds, services
from app.domain.orders.models import Order, OrderLine
from app.domain.orders.states import OrderStatus
from app.errors import NotFound
from app.extensions import db
from app.web.api import bp, order_bodies
from app.web.api.auth import actor, current_channel, requires
from app.web.api.idempotency import commit_and_respond, idempotent
from app.web.api.parsing import Body, parse_time
from app.web.api.responses import Order as OrderBody
from app.web.api.responses import OrderList, OrderSummary

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100


@bp.post("/orders")
@requires(Scope.ORDERS)
@idempotent
def create_order():
    data = order_bodies.order_input(Body.from_request())
    order, created = services.create_order(current_channel(), data, actor())
    return commit_and_respond(OrderBody.of(order).body(), 201 if created else 200)


@bp.get("/orders")
@requires(Scope.ORDERS)
def list_orders():
    query = Body.from_query()
    page = _positive_int(query, "page", 1)
    per_page = min(_positive_int(query, "per_page", DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE)
    statement = select(Order).where(Order.channel_id == current_channel().id)
    if query.has("external_id"):
        statement = statement.where(Order.external_id == query.data["external_id"])
    if query.has("status"):
        status = query.data["status"]
        if status not in set(OrderStatus):
            query.fail("status", "未知状态码，可选: " + ", ".join(OrderStatus))
        statement = statement.where(Order.status == status)
    if query.has("updated_since"):
        since = parse_time(query.data["updated_since"], lambda message: query.fail("updated_since", message))
        statement = statement.where(Order.updated_at >= since) if since else statement
    query.raise_if_errors()
    rows = db.session.scalars(
        statement.order_by(Order.created_at.desc(), Order.id.desc())
        .offset((page - 1) * per_page).limit(per_page + 1)
        .options(selectinload(Order.lines).selectinload(OrderLine.sku), selectinload(Order.channel),
                 selectinload(Order.warehouse), selectinload(Order.carrier))
    ).all()
    listing = OrderList(orders=[OrderSummary.of(order) for order in rows[:per_page]],
                        next_page=page + 1 if len(rows) > per_page else None)
    return jsonify(listing.body())


@bp.get("/orders/<order_no>")
@requires(Scope.ORDERS)
def get_order(order_no: str):
    return jsonify(OrderBody.of(_own_order(order_no)).body())


@bp.post("/orders/<order_no>/pay")
@requires(Scope.ORDERS)
@idempotent
def pay_order(order_no: str):
    payment = order_bodies.payment(Body.from_request())
    order = _own_order(order_no, for_update=True)
    services.pay(order, payment.paid_fen, actor(), paid_at=payment.paid_at, payment_ref=payment.payment_ref)
    return commit_and_respond(OrderBody.of(order).body())


@bp.post("/orders/<order_no>/cancel")
@requires(Scope.ORDERS)
@idempotent
def cancel_order(order_no: str):
    reason = order_bodies.reason(Body.from_request(optional=True))
    order = _own_order(order_no, for_update=True)
    services.cancel(order, reason, actor())
    return commit_and_respond(OrderBody.of(order).body())


@bp.post("/orders/<order_no>/refund")
@requires(Scope.ORDERS)
@idempotent
def refund_order(order_no: str):
    body = Body.from_request()
    order = _own_order(order_no, for_update=True)
    refund = order_bodies.refund(body, order.paid_fen - order.refunded_fen)
    refunds.refund(order, refund.amount_fen, refund.lines, refund.restock, refund.reason, actor(),
                   damaged=refund.damaged)
    return commit_and_respond(OrderBody.of(order).body())


def _own_order(order_no: str, for_update: bool = False) -> Order:
    """The order if it belongs to the token's channel; otherwise the same 404 as a missing one."""
    order = services.get_order(order_no, for_update=for_update)
    if order.channel_id != current_channel().id:
        raise NotFound(f"订单 {order_no} 不存在", details={"order_no": order_no})
    return order


def _positive_int(query: Body, name: str, default: int) -> int:
    if not query.has(name):
        return default
    text = query.data[name]
    if not text.isdigit() or int(text) < 1:
        query.fail(name, "须为正整数")
        return default
    return min(int(text), 1_000_000)
