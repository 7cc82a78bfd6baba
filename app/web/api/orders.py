"""Orders on the token's channel: create, list, read, and pay / cancel / refund / complete.

Another channel's order answers 404, exactly like one that does not exist, so that order numbers of
other shops cannot be probed. Actions lock the order row first, so concurrent actions queue up.
"""

from flask import current_app, jsonify

from app.auth.api_tokens import Scope
from app.domain.errors import NotFound
from app.domain.invoicing import services as invoicing
from app.domain.invoicing.rules import InvoicingRules
from app.domain.orders import queries, refunds, services
from app.domain.orders.models import Order
from app.extensions import db
from app.web.api import bodies, bp, cursors
from app.web.api.auth import actor, current_channel, requires
from app.web.api.idempotency import commit_and_respond, idempotent
from app.web.api.responses import Order as OrderBody
from app.web.api.responses import OrderList, OrderSummary
from app.web.api.schema import json_object, parse_body, parse_query

MAX_PAGE_SIZE = 100
MAX_PAGE = 1_000_000


@bp.post("/orders")
@requires(Scope.ORDERS)
@idempotent
def create_order():
    data = bodies.order_input(json_object())
    order, created = services.create_order(current_channel(), data, actor())
    return commit_and_respond(OrderBody.of(order).body(), 201 if created else 200)


@bp.get("/orders")
@requires(Scope.ORDERS)
def list_orders():
    """Newest first. ``cursor`` (the previous page's ``next_cursor``) continues after that page's last
    order by an index seek; ``page`` (kept for the clients written against it) skips the rows before."""
    query = parse_query(bodies.OrderQuery)
    per_page = min(query.per_page, MAX_PAGE_SIZE)
    filters = queries.OrderFilters(channel_id=current_channel().id, external_id=query.external_id,
                                   status=query.status, updated_since=query.updated_since)
    listed = queries.search_orders(filters, with_lines=True)
    if query.cursor:
        page = query.cursor.page
        listed = queries.orders_before(listed, query.cursor.created_at, query.cursor.order_id)
    else:
        page = min(query.page, MAX_PAGE)
        listed = listed.offset((page - 1) * per_page)
    rows = db.session.scalars(listed.limit(per_page + 1)).all()
    shown, more = rows[:per_page], len(rows) > per_page
    listing = OrderList(orders=[OrderSummary.of(order) for order in shown],
                        next_page=page + 1 if more else None,
                        next_cursor=cursors.after(shown[-1].created_at, shown[-1].id, page + 1) if more else None)
    return jsonify(listing.body())


@bp.get("/orders/<order_no>")
@requires(Scope.ORDERS)
def get_order(order_no: str):
    return jsonify(OrderBody.of(_own_order(order_no)).body())


@bp.post("/orders/<order_no>/pay")
@requires(Scope.ORDERS)
@idempotent
def pay_order(order_no: str):
    payment = parse_body(bodies.PayInput)
    order = _own_order(order_no, for_update=True)
    services.pay(order, payment.paid_amount, actor(), paid_at=payment.paid_at, payment_ref=payment.payment_ref)
    return commit_and_respond(OrderBody.of(order).body())


@bp.post("/orders/<order_no>/cancel")
@requires(Scope.ORDERS)
@idempotent
def cancel_order(order_no: str):
    body = parse_body(bodies.CancelInput, optional=True)
    order = _own_order(order_no, for_update=True)
    services.cancel(order, body.reason, actor())
    return commit_and_respond(OrderBody.of(order).body())


@bp.post("/orders/<order_no>/refund")
@requires(Scope.ORDERS)
@idempotent
def refund_order(order_no: str):
    body = parse_body(bodies.RefundInput)
    order = _own_order(order_no, for_update=True)
    refunds.refund(order, body.amount, body.refund_lines(order.paid_fen - order.refunded_fen), body.restock,
                   body.reason, actor(), damaged=body.damaged)
    return commit_and_respond(OrderBody.of(order).body())


@bp.post("/orders/<order_no>/complete")
@requires(Scope.ORDERS)
@idempotent
def complete_order(order_no: str):
    """The buyer confirmed receipt: the order completes and its waiting invoice goes out in the same
    commit (as the sweep would do a minute later)."""
    order = _own_order(order_no, for_update=True)
    services.confirm_receipt(order, actor())
    invoicing.advance_invoices_of(order, InvoicingRules.from_config(current_app.config))
    return commit_and_respond(OrderBody.of(order).body())


def _own_order(order_no: str, for_update: bool = False) -> Order:
    """The order if it belongs to the token's channel; otherwise the same 404 as a missing one."""
    order = services.get_order(order_no, for_update=for_update)
    if order.channel_id != current_channel().id:
        raise NotFound(f"订单 {order_no} 不存在", details={"order_no": order_no})
    return order
