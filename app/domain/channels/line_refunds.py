"""Per-line after-sales from the platforms (a refund on one sub-order, not the whole order).

- A request on a line before shipping holds the order (an exception naming the line and the
  platform's status) so the warehouse does not ship goods that may be refunded; after shipping it
  opens after-sales where the order's state allows, otherwise it is raised as an exception.
- A granted request refunds that line — the platform's amount, or the line's paid amount — with its
  stock released (before shipping) through the orders refund service; a line refunded already is
  not refunded again. More than what was paid is refused by that service, so nothing applies half-way.
  After shipping nothing is restocked here: returned goods come back through after-sales as any return.
- A withdrawn request (the line's status back to none) releases the hold (normalise.walk); after
  shipping, once no line is asked for any more, the after-sales or exception the request opened ends.
"""

from app.domain.channels import skus
from app.domain.channels.adapters.base import PlatformOrder
from app.domain.orders import refunds, services
from app.domain.orders.models import Order
from app.domain.orders.states import OrderStatus
from app.text import N_, Text


def hold_reason(view: PlatformOrder, shipped: bool = False) -> str:
    """Why the order must wait (or, once ``shipped``, why it is in after-sales): the lines with a refund
    requested (empty when none)."""
    requested = [line for line in view.lines if line.refund == "requested"]
    text = N_("平台上商品 %(code)s 申请了售后（%(status)s）") if shipped else N_("平台上商品 %(code)s 申请了退款（%(status)s），暂缓发货")
    return "；".join(Text(text, code=line.code, status=line.refund_status) for line in requested)


def after_shipping(order: Order, reason: str, actor: str) -> bool:
    """A line refund requested once the goods left: after-sales where allowed, else an exception.
    True when it opened or raised one (the platform's request then owns it until it ends)."""
    if order.status in (OrderStatus.SIGNED, OrderStatus.COMPLETED):
        services.request_after_sales(order, reason, actor)
    elif order.status in (OrderStatus.SHIPPED_OUT, OrderStatus.IN_TRANSIT):
        services.mark_exception(order, reason, actor)
    else:
        return False
    return True


def release(order: Order, actor: str) -> None:
    """No line is asked for any more (withdrawn, refused, or granted and refunded): the after-sales or
    exception the platform's request opened after shipping ends — after-sales closed, the exception
    resolved back to where the parcel was. One a person opened is never touched (see normalise.walk)."""
    reason = N_("平台上的售后申请已结束")
    if order.status == OrderStatus.AFTER_SALES:
        services.close_after_sales(order, reason, actor)
    elif order.status == OrderStatus.EXCEPTION and order.shipped_at is not None:
        services.resolve_exception(order, reason, actor, reroute=False)


def grant(order: Order, view: PlatformOrder, actor: str) -> None:
    """Refund every granted line not refunded yet (a partial refund; the whole order's refund is the
    status table's ``refunded`` stage)."""
    granted = [line for line in view.lines if line.refund == "granted"]
    if not granted or order.status in (OrderStatus.PENDING_PAYMENT, OrderStatus.CLOSED, OrderStatus.REFUNDED):
        return
    found = skus.resolve_lines(order.channel, granted)
    for platform_line in granted:
        line = _order_line(order, found[platform_line.code].code)
        left = line.quantity - line.refunded_quantity if line is not None else 0
        if left <= 0:
            continue
        amount = platform_line.refund_fen if platform_line.refund_fen is not None else _paid_for(line)
        refunds.refund(order, amount, [refunds.RefundLine(line.sku.code, left)], restock=False,
                       reason=Text(N_("平台同意商品 %(code)s 退款（%(status)s）"), code=platform_line.code,
                                   status=platform_line.refund_status), actor=actor)


def _order_line(order: Order, sku_code: str):
    return next((line for line in order.lines if not line.is_component and line.sku.code == sku_code), None)


def _paid_for(line) -> int:
    return line.quantity * line.unit_price_fen - line.discount_fen
