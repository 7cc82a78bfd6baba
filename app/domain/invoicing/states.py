"""The invoice lifecycle: one transition table, one named error, nothing else moves an invoice's state.

waiting ──release──▶ requested ──issued──▶ issued ──red_requested──▶ red_pending ──red_issued──▶ reversed
   │          └─▶ pending_approval ─approve─▶ requested          ▲ (a red invoice is an invoice of its own)
   │                     └─reject─▶ rejected                     │
   └─cancel─▶ cancelled         requested ──fail──▶ failed ──reissue──▶ requested

``reversed``: a red invoice was issued against it (all of it, or the refunded lines: then the blue
invoice stays valid for the rest, and a later refund can reverse more);
``waiting``: the order is not complete yet (or, per channel, not paid); ``requested``: with the
e-invoice platform or on its way there; ``cancelled``: the order was closed or refunded in full before
anything was issued.
"""

from enum import StrEnum

from app.domain.errors import InvalidTransition
from app.text import N_


class InvoiceStatus(StrEnum):
    WAITING = "waiting"
    PENDING_APPROVAL = "pending_approval"
    REQUESTED = "requested"
    ISSUED = "issued"
    FAILED = "failed"
    REJECTED = "rejected"
    RED_PENDING = "red_pending"
    REVERSED = "reversed"
    CANCELLED = "cancelled"


STATUS_LABELS = {
    InvoiceStatus.WAITING: N_("等待订单完成"),
    InvoiceStatus.PENDING_APPROVAL: N_("待审批"),
    InvoiceStatus.REQUESTED: N_("开票中"),
    InvoiceStatus.ISSUED: N_("已开票"),
    InvoiceStatus.FAILED: N_("开票失败"),
    InvoiceStatus.REJECTED: N_("已驳回"),
    InvoiceStatus.RED_PENDING: N_("红冲中"),
    InvoiceStatus.REVERSED: N_("已红冲"),
    InvoiceStatus.CANCELLED: N_("已取消"),
}


class InvoiceAction(StrEnum):
    SUBMIT_FOR_APPROVAL = "submit_for_approval"
    RELEASE = "release"  # to the platform: no (more) approval needed
    APPROVE = "approve"  # the last approval it needed
    REJECT = "reject"
    ISSUED = "issued"
    FAIL = "fail"
    REISSUE = "reissue"
    RED_REQUESTED = "red_requested"
    RED_ISSUED = "red_issued"
    CANCEL = "cancel"


ACTION_LABELS = {
    InvoiceAction.SUBMIT_FOR_APPROVAL: N_("提交审批"),
    InvoiceAction.RELEASE: N_("提交开票"),
    InvoiceAction.APPROVE: N_("审批通过"),
    InvoiceAction.REJECT: N_("驳回"),
    InvoiceAction.ISSUED: N_("开票成功"),
    InvoiceAction.FAIL: N_("开票失败"),
    InvoiceAction.REISSUE: N_("重新开票"),
    InvoiceAction.RED_REQUESTED: N_("申请红冲"),
    InvoiceAction.RED_ISSUED: N_("红冲完成"),
    InvoiceAction.CANCEL: N_("取消"),
}

#: Timeline entries that are not moves of their own (platform calls and answers, messages …).
EVENT_LABELS = {
    **{action.value: label for action, label in ACTION_LABELS.items()},
    "request": N_("申请开票"),
    "approve_level": N_("审批通过（本级）"),
    "submit": N_("提交开票平台"),
    "accepted": N_("平台受理"),
    "no_answer": N_("平台无应答"),
    "red_form": N_("红字确认单"),
    "notify": N_("通知顾客"),
}

S, A = InvoiceStatus, InvoiceAction
TRANSITIONS: dict[tuple[InvoiceStatus, InvoiceAction], InvoiceStatus] = {
    (S.WAITING, A.SUBMIT_FOR_APPROVAL): S.PENDING_APPROVAL,
    (S.WAITING, A.RELEASE): S.REQUESTED,
    (S.WAITING, A.CANCEL): S.CANCELLED,
    (S.PENDING_APPROVAL, A.APPROVE): S.REQUESTED,
    (S.PENDING_APPROVAL, A.REJECT): S.REJECTED,
    (S.PENDING_APPROVAL, A.CANCEL): S.CANCELLED,
    (S.REQUESTED, A.ISSUED): S.ISSUED,
    (S.REQUESTED, A.FAIL): S.FAILED,
    (S.FAILED, A.ISSUED): S.ISSUED,  # a late answer: the platform did issue it after all
    (S.FAILED, A.REISSUE): S.REQUESTED,
    (S.FAILED, A.CANCEL): S.CANCELLED,
    (S.ISSUED, A.RED_REQUESTED): S.RED_PENDING,
    (S.RED_PENDING, A.RED_ISSUED): S.REVERSED,
    (S.REVERSED, A.RED_REQUESTED): S.RED_PENDING,  # a later refund after a partial reversal
}

#: States in which the action's effect is already there: doing it again changes nothing (a platform
#: answer polled twice, a callback after the poll).
ALREADY_DONE: dict[InvoiceAction, set[InvoiceStatus]] = {
    A.ISSUED: {S.ISSUED, S.RED_PENDING, S.REVERSED},
    A.FAIL: {S.FAILED},
    A.RED_REQUESTED: {S.RED_PENDING},
    A.RED_ISSUED: {S.REVERSED},
    A.CANCEL: {S.CANCELLED},
}

#: An invoice in one of these covers its orders: no second one may be requested for them.
ACTIVE = {S.WAITING, S.PENDING_APPROVAL, S.REQUESTED, S.ISSUED, S.FAILED, S.RED_PENDING}


def next_status(current: str, action: InvoiceAction) -> InvoiceStatus | None:
    """Where ``action`` leads from ``current``; None if its effect is already there. Raises
    InvalidTransition naming the current state otherwise."""
    current = InvoiceStatus(current)
    target = TRANSITIONS.get((current, action))
    if target is not None:
        return target
    if current in ALREADY_DONE.get(action, set()):
        return None
    raise InvalidTransition(
        N_("发票当前状态为「%(status)s」，不能%(action)s")
        % {"status": STATUS_LABELS[current], "action": ACTION_LABELS[action]},
        details={"status": current.value, "action": action.value},
    )
