"""Changes to an order's amounts, receiver and remark after it was created — what a sales platform
does when the seller adjusts a price before payment or the buyer edits the address before shipping.

Each change is applied whole (the caller's savepoint holds it) and leaves one ``amended`` event with
every field as old → new; nothing here decides *whether* a change may apply (the caller's rule)."""

from app.db import db
from app.domain.errors import Conflict
from app.domain.orders.models import Order
from app.domain.orders.services import add_event, allocate
from app.domain.orders.states import OrderStatus
from app.text import N_

AMENDED = "amended"
RECEIVER_FIELDS = ("receiver_name", "receiver_phone", "receiver_province", "receiver_city", "receiver_district",
                   "receiver_address")


def reprice_unpaid(order: Order, unit_prices: list[int], shipping_fen: int, discount_fen: int) -> dict:
    """New prices of the sold (non-component) lines, in order, and new shipping and discount, before
    payment; returns the changes made {field: [old, new]} (empty: nothing differed)."""
    if order.status != OrderStatus.PENDING_PAYMENT:
        raise Conflict(N_("订单 %(order_no)s 已付款，金额不能再改"), order_no=order.order_no)
    sold = [line for line in order.lines if not line.is_component]
    if len(sold) != len(unit_prices) or min([shipping_fen, discount_fen, *unit_prices]) < 0:
        raise Conflict(N_("订单 %(order_no)s 的新金额与商品行对不上"), order_no=order.order_no)
    goods = sum(line.quantity * price for line, price in zip(sold, unit_prices, strict=True))
    new = {"goods_fen": goods, "shipping_fen": shipping_fen, "discount_fen": discount_fen,
           "payable_fen": goods - discount_fen + shipping_fen}
    changes = {name: [getattr(order, name), value] for name, value in new.items() if getattr(order, name) != value}
    if not changes:
        return {}
    for line, price in zip(sold, unit_prices, strict=True):
        line.unit_price_fen = price
    for line, share in zip(sold, allocate(discount_fen, [line.quantity * line.unit_price_fen for line in sold]),
                           strict=True):
        line.discount_fen = share
    for name, value in new.items():
        setattr(order, name, value)
    return changes


def change_fields(order: Order, values: dict[str, str]) -> dict:
    """Set receiver fields and/or the remark; returns {field: [old, new]} of those that differed."""
    changes = {name: [getattr(order, name), value] for name, value in values.items() if getattr(order, name) != value}
    for name, (_old, value) in changes.items():
        setattr(order, name, value)
    return changes


def record(order: Order, changes: dict, reason: str, actor: str) -> None:
    """One ``amended`` event with every change as old → new."""
    add_event(order, AMENDED, actor, order.status, order.status, reason, details={"changes": changes})
    db.session.flush()
