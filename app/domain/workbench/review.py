"""Auto-review (自动审单): rules that approve an ordinary paid order by themselves once routing has
placed it, so people only look at the ones that need a person.

Each rule is switched on or off on the operations page (the amount limit is editable). An order the
rules stop stays 已支付 (待审核) with the names of the rules that stopped it, in an AutoReview row (for
the order list and the dashboard's share) and in the order's timeline. Every paid order is judged
once: the unique order key lets only one verdict in.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from app.db import db, insert_unless_taken, utcnow
from app.domain.channels.models import ChannelOrder
from app.domain.errors import Conflict, NotFound, ValidationError
from app.domain.orders import services as orders
from app.domain.orders.inputs import normalise_phone
from app.domain.orders.models import Order, phone_tail
from app.domain.orders.states import Action, OrderStatus
from app.domain.routing import facts
from app.domain.routing import services as routing
from app.domain.workbench.models import AutoReview, AutoReviewSetting, BlacklistedReceiver
from app.text import N_, Text

ACTOR = "system:auto_review"
EVENT = "auto_review_stopped"
DEFAULT_MAX_AMOUNT_FEN = 100000  # ¥1000: above it a person looks at the order

NO_REMARK, AMOUNT, ADDRESS, NO_HOLD, ALLOCATED, NOT_BLACKLISTED = (
    "no_remark", "amount", "address", "no_hold", "allocated", "not_blacklisted")
RULES = (NO_REMARK, AMOUNT, ADDRESS, NO_HOLD, ALLOCATED, NOT_BLACKLISTED)

#: What each rule asks of an order (the operations page).
RULE_LABELS = {
    NO_REMARK: N_("没有买家或卖家备注"),
    AMOUNT: N_("金额不超过上限"),
    ADDRESS: N_("收货地址可识别"),
    NO_HOLD: N_("平台没有风控或暂停标记"),
    ALLOCATED: N_("已分仓并占用库存"),
    NOT_BLACKLISTED: N_("收货人不在黑名单"),
}
#: Why an order that failed the rule waits (the order list and page).
STOP_LABELS = {
    NO_REMARK: N_("有备注"),
    AMOUNT: N_("金额超过上限"),
    ADDRESS: N_("地址无法识别"),
    NO_HOLD: N_("平台风控或暂停"),
    ALLOCATED: N_("未分仓或缺货"),
    NOT_BLACKLISTED: N_("收货人在黑名单"),
}
ALLOCATED_OUTCOMES = {"routed", "split", "manual"}


def switch_on_for_demo() -> int:
    """The demo merchant reviews automatically with the default rules: 1 when switched on now, 0 when a
    setting exists already (a rerun of the demo seed changes nothing)."""
    if db.session.scalar(select(AutoReviewSetting.id).limit(1)) is not None:
        return 0
    save_setting(True, set(RULES), DEFAULT_MAX_AMOUNT_FEN, "system:demo")
    return 1


def current_setting() -> AutoReviewSetting:
    """The settings row, or (before anyone saved one) the defaults, unsaved: reading writes nothing."""
    setting = db.session.scalar(select(AutoReviewSetting).order_by(AutoReviewSetting.id))
    return setting or AutoReviewSetting(enabled=False, rules=dict.fromkeys(RULES, True),
                                        max_amount_fen=DEFAULT_MAX_AMOUNT_FEN)


def enabled_rules(setting: AutoReviewSetting) -> list[str]:
    return [rule for rule in RULES if (setting.rules or {}).get(rule, True)]


def save_setting(on: bool, enabled: set[str], max_amount_fen: int, actor: str) -> AutoReviewSetting:
    """Switch auto-review on or off, choose its rules (``enabled``) and the amount limit."""
    if unknown := set(enabled) - set(RULES):
        raise ValidationError({"rules": Text(N_("未知的审单规则：%(rules)s"), rules="、".join(sorted(unknown)))})
    if max_amount_fen is None or max_amount_fen <= 0:
        raise ValidationError({"max_amount": N_("金额上限须大于 0")})
    setting = current_setting()
    setting.enabled, setting.rules = on, {rule: rule in enabled for rule in RULES}
    setting.max_amount_fen, setting.updated_by = max_amount_fen, actor
    db.session.add(setting)
    db.session.flush()
    return setting


def review_order(order: Order) -> AutoReview | None:
    """Judge a paid order by the rules in force: approve it, or record what stopped it. None (nothing
    changed) when auto-review is off, or the order is not waiting for review or was judged already."""
    setting = current_setting()
    if not setting.enabled or order.status != OrderStatus.PAID or _judged(order):
        return None
    failed = failed_rules(order, setting)
    verdict = AutoReview(order_id=order.id, approved=not failed, failed_rules=failed, reviewed_at=utcnow())
    if not insert_unless_taken(verdict):
        return None
    if failed:  # the timeline names the rules from their codes, in the reader's language
        orders.add_event(order, EVENT, ACTOR, order.status, order.status, details={"review_rules": failed})
    else:
        orders.transition(order, Action.APPROVE, ACTOR, details={"auto_review": True})
    db.session.flush()
    return verdict


def failed_rules(order: Order, setting: AutoReviewSetting) -> list[str]:
    """The enabled rules ``order`` does not meet, in the page's order."""
    checks = {
        NO_REMARK: lambda: not (order.remark or "").strip(),
        AMOUNT: lambda: order.payable_fen <= setting.max_amount_fen,
        ADDRESS: lambda: facts.destination_of(order) is not None,
        NO_HOLD: lambda: not _held_by_platform(order),
        ALLOCATED: lambda: _allocated(order),
        NOT_BLACKLISTED: lambda: not is_blacklisted(order.receiver_phone, order.receiver_name),
    }
    return [rule for rule in enabled_rules(setting) if not checks[rule]()]


def stopped_rules(order_ids: list[int]) -> dict[int, list[str]]:
    """For the order list: order id → the rules that stopped it, for those the rules did not approve."""
    if not order_ids:
        return {}
    rows = db.session.execute(select(AutoReview.order_id, AutoReview.failed_rules)
                              .where(AutoReview.order_id.in_(order_ids), AutoReview.approved.is_(False)))
    return {order_id: list(rules) for order_id, rules in rows}


@dataclass(frozen=True)
class ReviewShare:
    """How many paid orders the rules judged since a time, and how many of them they approved."""

    reviewed: int
    approved: int

    @property
    def percent(self) -> int | None:
        return None if not self.reviewed else round(self.approved * 100 / self.reviewed)


def auto_approved_share(since: datetime) -> ReviewShare:
    """The share of paid orders the rules approved by themselves since ``since`` (the dashboard)."""
    reviewed, approved = db.session.execute(
        select(func.count(AutoReview.id), func.count(AutoReview.id).filter(AutoReview.approved.is_(True)))
        .where(AutoReview.reviewed_at >= since)).one()
    return ReviewShare(reviewed or 0, approved or 0)


def blacklist() -> list[BlacklistedReceiver]:
    return list(db.session.scalars(select(BlacklistedReceiver).order_by(BlacklistedReceiver.added_at.desc(),
                                                                        BlacklistedReceiver.id.desc())))


def is_blacklisted(phone: str, name: str = "") -> bool:
    """Whether the receiver is on the blacklist. A full phone matches the entry's number exactly.

    A platform's masked phone (138****5678) cannot be compared whole, and the OAID that stands for the
    receiver behind it is known only for some platforms and changes with the address, so: the entry's
    number must agree with every digit the mask shows (at least the last four), and when the entry has a
    name, the masked name (王**) must agree with it in the characters it shows. A false match costs a
    person's review, never a refusal, which is why this errs on the side of stopping the order."""
    phone = (phone or "").strip()
    if "*" not in phone:
        number = normalise_phone(phone) if phone else None
        return number is not None and db.session.scalar(
            select(BlacklistedReceiver.id).where(BlacklistedReceiver.phone == number)) is not None
    tail = phone_tail(phone)
    if not tail:
        return False
    entries = db.session.scalars(select(BlacklistedReceiver).where(BlacklistedReceiver.phone.endswith(tail)))
    return any(_mask_shows(phone, entry.phone) and (not entry.name or _mask_shows_name(name, entry.name))
               for entry in entries)


def _mask_shows(masked: str, value: str) -> bool:
    """``138****5678`` shows ``13812345678``: same length, every unmasked character the same."""
    return len(masked) == len(value) and all(shown in ("*", real) for shown, real in zip(masked, value, strict=True))


def _mask_shows_name(masked: str, name: str) -> bool:
    """``王**`` shows ``王小明`` (platforms hide all but the first, or the last, characters; the stars do
    not say how many are hidden). An unmasked name must be the same."""
    masked, name = (masked or "").strip(), name.strip()
    if "*" not in masked:
        return masked == name
    head, tail = masked.split("*", 1)[0], masked.rsplit("*", 1)[-1]
    return bool(head or tail) and name.startswith(head) and name.endswith(tail)


def add_to_blacklist(phone: str, name: str, reason: str, actor: str) -> BlacklistedReceiver:
    number = normalise_phone(phone)
    errors = {}
    if number is None:
        errors["phone"] = N_("请填写有效的手机号或固定电话")
    if len(name or "") > 64:
        errors["name"] = N_("姓名最多 64 字")
    if len(reason or "") > 200:
        errors["reason"] = N_("原因最多 200 字")
    if errors:
        raise ValidationError(errors)
    entry = BlacklistedReceiver(phone=number, name=(name or "").strip(), reason=(reason or "").strip(),
                                added_by=actor, added_at=utcnow())
    if not insert_unless_taken(entry):
        raise Conflict(N_("这个号码已在黑名单中"))
    return entry


def remove_from_blacklist(entry_id: int) -> None:
    entry = db.session.get(BlacklistedReceiver, entry_id)
    if entry is None:
        raise NotFound(N_("黑名单中没有这条记录"))
    db.session.delete(entry)
    db.session.flush()


def _judged(order: Order) -> bool:
    return db.session.scalar(select(AutoReview.id).where(AutoReview.order_id == order.id)) is not None


def _held_by_platform(order: Order) -> bool:
    return bool(db.session.scalar(select(ChannelOrder.held_by_platform).where(ChannelOrder.order_id == order.id)))


def _allocated(order: Order) -> bool:
    """Stock is held in one warehouse and, where routing applies, routing has placed the order."""
    if order.warehouse_id is None or order.awaiting_presale:
        return False
    if order.channel.default_warehouse_id or not routing.is_set_up():
        return True
    decision = routing.latest_decision(order)
    return decision is not None and decision.outcome in ALLOCATED_OUTCOMES
