"""Customer wording for order states and events: what a buyer reads, not the staff vocabulary.

Internal actions map to plain, reassuring sentences; an exception says that someone is on it and never
why (the reason is an internal note).
"""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.domain.orders.states import Action, OrderStatus
from app.money import format_money
from app.privacy import mask_phones_in

STATUS_WORDS = {
    OrderStatus.PENDING_PAYMENT: _l("待支付"),
    OrderStatus.PAID: _l("已支付"),
    OrderStatus.APPROVED: _l("审核通过"),
    OrderStatus.PACKING: _l("打包中"),
    OrderStatus.SHIPPED_OUT: _l("已出库"),
    OrderStatus.IN_TRANSIT: _l("运输中"),
    OrderStatus.SIGNED: _l("已签收"),
    OrderStatus.COMPLETED: _l("已完成"),
    OrderStatus.CLOSED: _l("已关闭"),
    OrderStatus.REFUNDED: _l("已退款"),
    OrderStatus.EXCEPTION: _l("处理中"),
    OrderStatus.AFTER_SALES: _l("售后处理中"),
}

#: A sentence under the progress bar for orders that left the normal path.
OFF_PATH_NOTES = {
    OrderStatus.CLOSED: _l("订单已关闭，如已付款，款项会原路退回。"),
    OrderStatus.REFUNDED: _l("订单已退款，款项会原路退回到你的支付账户。"),
    OrderStatus.EXCEPTION: _l("订单处理遇到问题，客服正在处理，如有需要会联系你。"),
    OrderStatus.AFTER_SALES: _l("售后申请处理中，客服会尽快联系你。"),
}

EVENT_WORDS = {
    "create": _l("订单已提交"),
    Action.PAY: _l("付款成功"),
    Action.APPROVE: _l("商家已确认订单"),
    Action.PACK: _l("仓库正在打包"),
    Action.SHIP_OUT: _l("包裹已出库"),
    Action.HAND_OVER: _l("快递已揽收，运输中"),
    Action.SIGN: _l("包裹已签收"),
    Action.COMPLETE: _l("订单已完成"),
    Action.CANCEL: _l("订单已取消"),
    Action.CLOSE_UNPAID: _l("超时未付款，订单已关闭"),
    Action.REFUND: _l("已全额退款"),
    "partial_refund": _l("已部分退款"),
    Action.REQUEST_AFTER_SALES: _l("已提交售后申请"),
    Action.CLOSE_AFTER_SALES: _l("售后已处理完成"),
    Action.MARK_EXCEPTION: _l("订单处理遇到问题，客服正在处理"),
    Action.REJECT: _l("订单处理遇到问题，客服正在处理"),
    Action.RESOLVE_EXCEPTION: _l("问题已解决，订单继续处理"),
    "presale_converted": _l("预售商品已到货"),
}
FALLBACK_EVENT = _l("订单状态更新")

INVOICE_TITLE_TYPES = {"personal": _l("个人"), "company": _l("企业")}


def status_words(status: str) -> str:
    return str(STATUS_WORDS.get(status, FALLBACK_EVENT))


def event_words(event) -> str:
    """One line for the timeline: the wording, with the amount or the waybill where it helps."""
    details = event.details or {}
    if event.action == "partial_refund" and details.get("amount_fen"):
        return _("已部分退款 %(amount)s", amount=format_money(details["amount_fen"]))
    if event.action == Action.SHIP_OUT and details.get("waybill_no"):
        return _("包裹已出库，运单号 %(waybill)s", waybill=details["waybill_no"])
    if event.actor.startswith("carrier:") and details.get("description"):
        # A carrier's own tracking note may name the courier and their phone: mask it like ours.
        return mask_phones_in(str(details["description"]))
    return str(EVENT_WORDS.get(event.action, FALLBACK_EVENT))
