"""How an order's history reads to a person: event names, who did it, and the details in words."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.domain.orders import deadlines, refund_approvals
from app.domain.orders.models import OrderEvent
from app.domain.orders.states import ACTION_LABELS
from app.domain.workbench import edits, review
from app.money import format_money

#: Events that are not transitions have names of their own (timeouts use their rule's name).
EVENT_LABELS = {
    **ACTION_LABELS,
    "create": _l("创建订单"),
    "partial_refund": _l("部分退款"),
    "presale_converted": _l("预售到货，已占用库存"),
    "route": _l("分仓"),
    "move_warehouse": _l("更换仓库"),
    "amended": _l("平台修改订单"),
    "platform_goods_mismatch": _l("平台商品金额不一致"),
    "auto_review_stopped": _l("自动审单未通过"),
    "printed": _l("打印单据"),
    **{name: _l(label) for name, label in {**edits.EVENT_LABELS, **refund_approvals.EVENT_LABELS}.items()},
    **deadlines.RULE_LABELS,
}

CHANGED_FIELDS = {
    "goods_fen": _l("商品金额"), "shipping_fen": _l("运费"), "discount_fen": _l("优惠"), "payable_fen": _l("应付"),
    "receiver_name": _l("收货人"), "receiver_phone": _l("手机号"), "receiver_province": _l("省份"),
    "receiver_city": _l("城市"), "receiver_district": _l("区县"), "receiver_address": _l("地址"), "remark": _l("备注"),
    "receiver_town": _l("街道"), "receiver_postcode": _l("邮编"), "discount_platform_fen": _l("其中平台承担"),
    "discount_seller_fen": _l("其中商家承担"), "discount_coupon_fen": _l("其中支付券"),
    "invoice_title_type": _l("抬头类型"), "invoice_title": _l("发票抬头"), "invoice_tax_id": _l("税号"),
    "invoice_email": _l("邮箱"), "invoice_kind": _l("发票类型"),
}

ACTOR_KINDS = {"user": _l("员工"), "channel": _l("渠道"), "carrier": _l("快递"), "api": "API", "system": _l("系统")}


def event_label(event: OrderEvent) -> str:
    return str(EVENT_LABELS.get(event.action, event.action))


def actor_label(actor: str) -> str:
    """``user:kefu`` → "员工 kefu", ``system`` → "系统", ``system:demo`` → "系统 demo"."""
    if actor == "system":
        return _("系统")
    kind, _sep, name = actor.partition(":")
    return f"{ACTOR_KINDS[kind]} {name}" if kind in ACTOR_KINDS and name else actor


def event_details(event: OrderEvent) -> list[str]:
    """The event's details as short phrases (amounts in yuan, lines as "SKU × n")."""
    details = event.details or {}
    phrases = []
    if details.get("paid_fen") is not None:
        phrases.append(_("实付 %(amount)s", amount=format_money(details["paid_fen"])))
    if details.get("payment_ref"):
        phrases.append(_("支付流水 %(ref)s", ref=details["payment_ref"]))
    if details.get("carrier"):
        phrases.append(_("快递 %(carrier)s %(waybill)s", carrier=details["carrier"], waybill=details.get("waybill_no", "")))
    if details.get("parcels_out"):  # one parcel of a split order shipped
        phrases.append(_("包裹 %(out)s/%(count)s 出库", out=details["parcels_out"], count=details["parcels"]))
    if details.get("amount_fen") is not None:
        phrases.append(_("退款 %(amount)s", amount=format_money(details["amount_fen"])))
    if details.get("lines"):
        phrases.append("，".join(f"{line['sku']} × {line['qty']}" for line in details["lines"]))
    if "restock" in details and details.get("lines"):
        phrases.append(_("退回入库") if details["restock"] else _("不退回入库"))
    if details.get("lead"):  # a merged order: the order whose parcel it goes in
        phrases.append(_("主订单 %(order_no)s", order_no=details["lead"]))
    if details.get("merged_into"):
        phrases.append(_("随订单 %(order_no)s", order_no=details["merged_into"]))
    if details.get("orders"):
        phrases.append(_("合并的订单：%(orders)s", orders="、".join(details["orders"])))
    if details.get("skus"):
        phrases.append("、".join(details["skus"]))
    if details.get("review_rules"):  # what stopped auto-review
        phrases.append(_("、").join(_(review.STOP_LABELS[rule]) for rule in details["review_rules"]))
    for name, (old, new) in (details.get("changes") or {}).items():  # platform amendments, old → new
        if name.endswith("_fen"):
            old, new = format_money(old), format_money(new)
        phrases.append(f"{CHANGED_FIELDS.get(name, name)}: {old} → {new}")
    return phrases


def movement_deltas(movement) -> list[tuple[str, int]]:
    """The buckets a stock movement changed, with their signed deltas."""
    names = (("on_hand", _("在库")), ("reserved", _("预占")), ("locked", _("锁定")), ("damaged", _("残次")))
    return [(label, getattr(movement, f"{bucket}_delta")) for bucket, label in names
            if getattr(movement, f"{bucket}_delta")]
