"""The order state machine (DESIGN §4): one transition table, one named error, nothing else moves state.

Repeating an action whose effect is already there (paying a paid order, a late "paid" message for an
order that has shipped) is a no-op rather than an error, so duplicated and out-of-order events from
channels and carriers never move an order backwards.
"""

from enum import StrEnum

from app.domain.errors import InvalidTransition
from app.text import N_, Text


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "01"  #: 待支付: stock reserved, waiting for payment until payment_due_at
    PAID = "02"  #: 已支付: stock locked, waiting for review
    APPROVED = "03"  #: 审核通过: released to the warehouse
    PACKING = "04"  #: 打包中
    SHIPPED_OUT = "05"  #: 已出库: stock deducted, waybill known
    IN_TRANSIT = "06"  #: 运输中: the carrier has it
    SIGNED = "07"  #: 已签收
    COMPLETED = "08"  #: 已完成
    CLOSED = "00"  #: 已关闭: cancelled or unpaid in time; stock released
    EXCEPTION = "E1"  #: 异常: parked for a person; remembers the state it came from
    AFTER_SALES = "A1"  #: 售后中: a return or complaint after delivery
    REFUNDED = "R1"  #: 已退款: fully refunded; stock released or returned


STATUS_LABELS = {
    OrderStatus.PENDING_PAYMENT: N_("待支付"),
    OrderStatus.PAID: N_("已支付"),
    OrderStatus.APPROVED: N_("审核通过"),
    OrderStatus.PACKING: N_("打包中"),
    OrderStatus.SHIPPED_OUT: N_("已出库"),
    OrderStatus.IN_TRANSIT: N_("运输中"),
    OrderStatus.SIGNED: N_("已签收"),
    OrderStatus.COMPLETED: N_("已完成"),
    OrderStatus.CLOSED: N_("已关闭"),
    OrderStatus.EXCEPTION: N_("异常"),
    OrderStatus.AFTER_SALES: N_("售后中"),
    OrderStatus.REFUNDED: N_("已退款"),
}


class Action(StrEnum):
    PAY = "pay"
    REOPEN_PAID = "reopen_paid"
    CANCEL = "cancel"
    CLOSE_UNPAID = "close_unpaid"
    APPROVE = "approve"
    REJECT = "reject"
    PACK = "pack"
    SHIP_OUT = "ship_out"
    HAND_OVER = "hand_over"
    SIGN = "sign"
    COMPLETE = "complete"
    REQUEST_AFTER_SALES = "request_after_sales"
    CLOSE_AFTER_SALES = "close_after_sales"
    REFUND = "refund"
    MARK_EXCEPTION = "mark_exception"
    RESOLVE_EXCEPTION = "resolve_exception"


ACTION_LABELS = {
    Action.PAY: N_("支付"),
    Action.REOPEN_PAID: N_("付款后重新打开"),
    Action.CANCEL: N_("取消"),
    Action.CLOSE_UNPAID: N_("超时关闭"),
    Action.APPROVE: N_("审核通过"),
    Action.REJECT: N_("驳回"),
    Action.PACK: N_("开始打包"),
    Action.SHIP_OUT: N_("出库"),
    Action.HAND_OVER: N_("交付快递"),
    Action.SIGN: N_("签收"),
    Action.COMPLETE: N_("完成"),
    Action.REQUEST_AFTER_SALES: N_("申请售后"),
    Action.CLOSE_AFTER_SALES: N_("售后完结"),
    Action.REFUND: N_("退款"),
    Action.MARK_EXCEPTION: N_("标记异常"),
    Action.RESOLVE_EXCEPTION: N_("解除异常"),
}

S, A = OrderStatus, Action
PREVIOUS = "previous"  # resolve_exception returns to the state the order was in before

TRANSITIONS: dict[tuple[OrderStatus, Action], OrderStatus | str] = {
    (S.PENDING_PAYMENT, A.PAY): S.PAID,
    (S.PENDING_PAYMENT, A.CANCEL): S.CLOSED,
    (S.PENDING_PAYMENT, A.CLOSE_UNPAID): S.CLOSED,
    (S.PAID, A.APPROVE): S.APPROVED,
    (S.PAID, A.REFUND): S.REFUNDED,
    (S.PAID, A.MARK_EXCEPTION): S.EXCEPTION,
    (S.APPROVED, A.PACK): S.PACKING,
    (S.APPROVED, A.REJECT): S.EXCEPTION,
    (S.APPROVED, A.REFUND): S.REFUNDED,
    (S.APPROVED, A.MARK_EXCEPTION): S.EXCEPTION,
    (S.PACKING, A.SHIP_OUT): S.SHIPPED_OUT,
    (S.PACKING, A.REFUND): S.REFUNDED,
    (S.PACKING, A.MARK_EXCEPTION): S.EXCEPTION,
    (S.SHIPPED_OUT, A.HAND_OVER): S.IN_TRANSIT,
    (S.SHIPPED_OUT, A.MARK_EXCEPTION): S.EXCEPTION,
    (S.IN_TRANSIT, A.SIGN): S.SIGNED,
    (S.IN_TRANSIT, A.MARK_EXCEPTION): S.EXCEPTION,
    (S.SIGNED, A.COMPLETE): S.COMPLETED,
    (S.SIGNED, A.REQUEST_AFTER_SALES): S.AFTER_SALES,
    (S.SIGNED, A.REFUND): S.REFUNDED,
    (S.COMPLETED, A.REQUEST_AFTER_SALES): S.AFTER_SALES,
    (S.COMPLETED, A.REFUND): S.REFUNDED,
    (S.AFTER_SALES, A.CLOSE_AFTER_SALES): S.COMPLETED,
    (S.AFTER_SALES, A.REFUND): S.REFUNDED,
    (S.EXCEPTION, A.RESOLVE_EXCEPTION): PREVIOUS,
    (S.EXCEPTION, A.REFUND): S.REFUNDED,
}

#: Moves out of a final state that no person or client may ask for (so ``allowed_actions`` leaves them out):
#: only a payment the platform reports for an order we had already closed (services.reopen_paid).
REOPENINGS: dict[tuple[OrderStatus, Action], OrderStatus] = {
    (S.CLOSED, A.REOPEN_PAID): S.PAID,
}

AFTER_PAYMENT = {S.PAID, S.APPROVED, S.PACKING, S.SHIPPED_OUT, S.IN_TRANSIT, S.SIGNED, S.COMPLETED,
                 S.AFTER_SALES, S.REFUNDED, S.EXCEPTION}
AFTER_SHIPPING = {S.SHIPPED_OUT, S.IN_TRANSIT, S.SIGNED, S.COMPLETED, S.AFTER_SALES}

#: States in which an action's effect has already happened: doing it again changes nothing.
ALREADY_DONE: dict[Action, set[OrderStatus]] = {
    A.PAY: AFTER_PAYMENT,
    A.REOPEN_PAID: AFTER_PAYMENT,
    A.CANCEL: {S.CLOSED},
    A.CLOSE_UNPAID: {S.CLOSED} | AFTER_PAYMENT,
    A.APPROVE: {S.APPROVED, S.PACKING} | AFTER_SHIPPING,
    A.PACK: {S.PACKING} | AFTER_SHIPPING,
    A.SHIP_OUT: AFTER_SHIPPING,
    A.HAND_OVER: AFTER_SHIPPING - {S.SHIPPED_OUT},
    A.SIGN: {S.SIGNED, S.COMPLETED, S.AFTER_SALES},
    A.COMPLETE: {S.COMPLETED},
    A.REQUEST_AFTER_SALES: {S.AFTER_SALES},
    A.CLOSE_AFTER_SALES: {S.COMPLETED},
    A.REFUND: {S.REFUNDED},
    A.MARK_EXCEPTION: {S.EXCEPTION},
    A.RESOLVE_EXCEPTION: set(),
    A.REJECT: set(),
}

#: Where an order may hold reserved or locked stock (the consistency check's rule).
HOLDS_STOCK = {S.PENDING_PAYMENT, S.PAID, S.APPROVED, S.PACKING, S.EXCEPTION}
#: Where nothing more will happen to the order.
FINAL = {S.CLOSED, S.REFUNDED}


def next_status(current: str, action: Action, previous: str | None = None) -> OrderStatus | None:
    """The state ``action`` leads to from ``current``; None when its effect is already there.

    Raises InvalidTransition naming the current state when the action is not allowed from it.
    """
    current = OrderStatus(current)
    target = TRANSITIONS.get((current, action)) or REOPENINGS.get((current, action))
    if target == PREVIOUS:
        return OrderStatus(previous) if previous else OrderStatus.PAID
    if target is not None:
        return target
    if current in ALREADY_DONE.get(action, set()):
        return None
    raise InvalidTransition(
        N_("订单当前状态为「%(status)s」，不能%(action)s"),
        status=Text(STATUS_LABELS[current]), action=Text(ACTION_LABELS[action]),
        details={"status": current.value, "status_name": STATUS_LABELS[current], "action": action.value},
    )


def allowed_actions(current: str) -> list[Action]:
    """The actions that would change an order in ``current`` (for buttons and the API)."""
    return [action for (status, action) in TRANSITIONS if status == current]
