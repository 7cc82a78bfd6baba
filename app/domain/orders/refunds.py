"""Refunds: money back, with the stock it implies.

Before shipping, refunded lines give back the stock they hold. After delivery, a refund with returned
goods puts them back on the shelf (or into the damaged bucket). Refunding everything moves the order to
已退款; a partial refund leaves it where it is and shows in its timeline.
"""

from dataclasses import dataclass

from app.db import db
from app.domain.errors import ValidationError
from app.domain.inventory import services as inventory
from app.domain.inventory.ledger import Change
from app.domain.inventory.models import ACTIVE_RESERVATION_STATUSES
from app.domain.orders.models import Order, OrderLine
from app.domain.orders.services import add_event, transition
from app.domain.orders.states import HOLDS_STOCK, Action, next_status
from app.text import N_, Text


@dataclass
class RefundLine:
    sku: str
    quantity: int
    line_id: int | None = None  # names the line itself: the only way to tell two lines of one SKU apart


def refund(order: Order, amount_fen: int, lines: list[RefundLine] | None, restock: bool, reason: str,
           actor: str, damaged: bool = False) -> Order:
    """Refund ``amount_fen``; ``lines`` say which goods (None: all of them). Raises ValidationError for
    amounts or quantities beyond what was paid or sold, InvalidTransition where refunds are not allowed."""
    if next_status(order.status, Action.REFUND) is None:
        return order  # already fully refunded: a repeated request changes nothing
    refunded_lines = check(order, amount_fen, lines)
    change = Change(actor, reason or "退款", order.id)
    _move_stock(order, refunded_lines, restock, damaged, change)
    for line, quantity in refunded_lines:
        line.refunded_quantity += quantity
    order.refunded_fen += amount_fen
    details = {"amount_fen": amount_fen, "restock": restock,
               "lines": [{"sku": line.sku.code, "qty": quantity} for line, quantity in refunded_lines]}
    if _everything_refunded(order):
        if order.status in HOLDS_STOCK and order.shipped_at is None:
            # All the money back (even if ``lines`` named only some goods): the order will never ship,
            # so whatever it still holds goes back on sale instead of staying locked on a final order.
            inventory.release_order(order.id, change)
        transition(order, Action.REFUND, actor, reason=reason, details=details)
    else:
        add_event(order, "partial_refund", actor, order.status, order.status, reason, details)
    db.session.flush()
    return order


def check(order: Order, amount_fen: int | None, lines: list[RefundLine] | None) -> list[tuple[OrderLine, int]]:
    """The order lines and quantities a refund of ``amount_fen`` for ``lines`` would take back; raises
    ValidationError for amounts or quantities beyond what was paid or sold."""
    refundable = order.paid_fen - order.refunded_fen
    if amount_fen is None or not 0 < amount_fen <= refundable:
        raise ValidationError({"amount": Text(N_("退款金额应大于 0 且不超过可退金额 %(amount)s"), amount=f"{refundable / 100:.2f}")})
    return _refunded_lines(order, lines)


def _refunded_lines(order: Order, lines: list[RefundLine] | None) -> list[tuple[OrderLine, int]]:
    top_level = [line for line in order.lines if not line.is_component]
    if lines is None:
        return [(line, line.quantity - line.refunded_quantity) for line in top_level
                if line.quantity > line.refunded_quantity]
    by_code = {line.sku.code: line for line in top_level}
    by_id = {line.id: line for line in top_level}
    chosen = []
    for index, item in enumerate(lines):
        line = _named_line(by_code, by_id, item, index)
        if not 0 < item.quantity <= line.quantity - line.refunded_quantity:
            raise ValidationError({f"lines[{index}].qty": Text(N_("%(sku)s 最多还能退 %(quantity)s 件"), sku=line.sku.code,
                                                                  quantity=line.quantity - line.refunded_quantity)})
        chosen.append((line, item.quantity))
    return chosen


def _named_line(by_code: dict[str, OrderLine], by_id: dict[int, OrderLine], item: RefundLine,
                index: int) -> OrderLine:
    if item.line_id is not None:
        line = by_id.get(item.line_id)
        if line is None or (item.sku and item.sku != line.sku.code):
            raise ValidationError({f"lines[{index}].line_id": Text(N_("订单中没有第 %(line_id)s 行"),
                                                                   line_id=item.line_id)})
        return line
    line = by_code.get(item.sku)
    if line is None:
        raise ValidationError({f"lines[{index}].sku": Text(N_("订单中没有商品 %(sku)s"), sku=item.sku)})
    return line


def _move_stock(order: Order, refunded: list[tuple[OrderLine, int]], restock: bool, damaged: bool,
                change: Change) -> None:
    demand = _demand_of(order, refunded)
    if not demand:
        return
    if order.status in HOLDS_STOCK and order.shipped_at is None:
        inventory.release_quantities(order.id, demand, change)
        _follow_stock(order)
    elif restock:  # (05/06, parcel on its way, are not refundable states: see states.TRANSITIONS)
        for sku_id, quantity in sorted(demand.items()):
            inventory.restock_return(order.warehouse_id, sku_id, quantity, damaged, change)


def _follow_stock(order: Order) -> None:
    """A split order whose own warehouse gave back all it held (a refunded parcel) ships from where the
    rest is: the warehouse holding most of it becomes the order's."""
    held: dict[int, int] = {}
    for warehouse_id, _sku, units, status in inventory.order_holding_rows(order.id):
        if status in ACTIVE_RESERVATION_STATUSES:
            held[warehouse_id] = held.get(warehouse_id, 0) + units
    if held and order.warehouse_id not in held:
        order.warehouse_id = max(sorted(held), key=held.get)


def _demand_of(order: Order, refunded: list[tuple[OrderLine, int]]) -> dict[int, int]:
    """Stock units behind the refunded quantities: a bundle line's components, scaled."""
    demand: dict[int, int] = {}
    for line, quantity in refunded:
        parts = [child for child in order.lines if child.parent_line_id == line.id] or [line]
        for part in parts:
            if part.sku.is_bundle or part.awaiting_presale:
                continue
            per_unit = part.quantity // line.quantity if part is not line else 1
            demand[part.sku_id] = demand.get(part.sku_id, 0) + per_unit * quantity
    return demand


def _everything_refunded(order: Order) -> bool:
    return order.refunded_fen >= order.paid_fen or all(
        line.refunded_quantity >= line.quantity for line in order.lines if not line.is_component)
