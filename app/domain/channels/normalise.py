"""Raw payload → master order, through the orders services only (原始单 → 系统单).

``process(payload)`` maps the payload with the shop's field mapping, then creates the order (reserving
stock) the first time, and walks it to the payload's stage with the same services staff use — pay
locks stock, ship_out takes it off the shelf, a refund releases it — as actor ``channel:{code}``.

Rules that make it safe to replay, overlap and reorder:

- The order key is (channel, external id) (create_order's upsert), so a payload never makes two orders.
- Per order the latest platform modified time applied is kept (ChannelOrder); a payload older than
  that changes nothing (``superseded``), so a stale message never moves an order back.
- The walk is made of transitions whose effect may already be there (a no-op then), so processing
  the same payload again gives the same result.
- The order's rows are locked while a payload is applied, so a pull, a pushed message and a retry of
  the same order queue up instead of racing (two "paid" at once would otherwise lock stock twice).
- Everything one payload does runs in a savepoint: an unknown merchant code (``waiting_sku_mapping``),
  a bad mapping, no stock, or a transition the order's state refuses leaves no half order behind; the
  payload keeps the reason and a ChannelError points at it for the retry button.
"""

import logging
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.db import db, utcnow
from app.domain.channels import amounts, changes, invoices, line_refunds, mapping, skus
from app.domain.channels.adapters import adapter_class
from app.domain.channels.adapters.base import PlatformOrder
from app.domain.channels.connect import settings_of
from app.domain.channels.import_rows import IMPORT_MAPPING
from app.domain.channels.models import ChannelError, ChannelOrder, PayloadSource, PayloadStatus, RawPayload
from app.domain.channels.skus import WaitingForSku
from app.domain.errors import DomainError
from app.domain.logistics import shipments
from app.domain.orders import deadlines, refunds, services
from app.domain.orders.inputs import LineInput, OrderInput, Receiver
from app.domain.orders.models import Order
from app.domain.orders.states import Action, OrderStatus, next_status
from app.domain.reference.models import Carrier, Channel
from app.text import N_, Text

logger = logging.getLogger(__name__)
A, S = Action, OrderStatus

#: The transitions that bring an order to each stage (each a no-op where already done).
WALK = {
    "pending": (),
    "paid": (A.PAY,),
    "shipped": (A.PAY, A.APPROVE, A.PACK, A.SHIP_OUT),
    "signed": (A.PAY, A.APPROVE, A.PACK, A.SHIP_OUT, A.HAND_OVER, A.SIGN),
    "completed": (A.PAY, A.APPROVE, A.PACK, A.SHIP_OUT, A.HAND_OVER, A.SIGN, A.COMPLETE),
    "refunded": (A.PAY,),
    "cancelled": (),
    "hold": (A.PAY,),
}


@dataclass
class Outcome:
    status: str
    order: Order | None = None
    created: bool = False
    moved: bool = False
    reason: str = ""
    learned: set[tuple[str, str, str]] = field(default_factory=set)  # listings written (skus.learn_listings)


@dataclass
class ShopContext:
    """What a pull reads once for all of its orders instead of once per order: the shop's field mapping,
    the listings it already learned (a listing seen again in the same pull has nothing new to say), and
    the SKU each merchant code resolved to (merchant code → SKU code)."""

    spec: dict
    learned: set[tuple[str, str, str]] = field(default_factory=set)
    sku_codes: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, channel: Channel) -> "ShopContext":
        return cls(spec_for(channel))


def actor_of(channel: Channel) -> str:
    return f"channel:{channel.code}"


def spec_for(channel: Channel, override: dict | None = None) -> dict:
    """The shop's effective field mapping: the platform default with the shop's override (or ``override``)."""
    default = adapter_class(channel.platform).DEFAULT_MAPPING
    return mapping.effective(default, settings_of(channel).mapping_override if override is None else override)


def spec_of(payload: RawPayload) -> dict:
    """Imported rows were mapped by staff into one neutral shape; platform payloads use the shop's mapping."""
    return IMPORT_MAPPING if payload.source == PayloadSource.IMPORT else spec_for(payload.channel)


def process(payload: RawPayload, shop: ShopContext | None = None) -> Outcome:
    """Apply one stored payload; records its status and reason, never raises for bad data. ``shop``: the
    pull's context for platform payloads of its shop (else the mapping is read for this payload)."""
    for attempt in range(2):
        try:
            outcome = _process_once(payload, shop)
        except IntegrityError:  # another worker linked the same order a moment earlier: now we see it
            if attempt:
                raise
        else:
            break
    _record(payload, outcome)
    if shop is not None:
        shop.learned |= outcome.learned
    return outcome


def _process_once(payload: RawPayload, shop: ShopContext | None) -> Outcome:
    savepoint = db.session.begin_nested()
    try:
        spec = shop.spec if shop is not None and payload.source != PayloadSource.IMPORT else spec_of(payload)
        outcome = _apply(payload, spec, shop)
    except IntegrityError:
        savepoint.rollback()
        raise
    except WaitingForSku as waiting:
        savepoint.rollback()
        outcome = Outcome(PayloadStatus.WAITING_SKU_MAPPING, reason=str(waiting))
    except DomainError as error:
        savepoint.rollback()
        outcome = Outcome(PayloadStatus.ERROR, reason=_describe(error))
    except (KeyError, TypeError, ValueError) as error:  # a payload shaped unlike any the mapping expects
        savepoint.rollback()
        logger.exception("Payload %s could not be processed", payload.id)
        outcome = Outcome(PayloadStatus.ERROR, reason=Text(N_("无法处理的载荷: %(kind)s: %(error)s"), kind=type(error).__name__,
                                                        error=str(error)))
    else:
        savepoint.commit()
    return outcome


def reprocess_waiting(channel: Channel) -> dict[str, int]:
    """Process again every payload of ``channel`` waiting for a SKU mapping, oldest platform time first."""
    counts: dict[str, int] = {}
    for payload in skus.waiting_payloads(channel.id, limit=1000):
        outcome = process(payload)
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    return counts


def _apply(payload: RawPayload, spec: dict, shop: ShopContext | None) -> Outcome:
    channel = payload.channel
    view = mapping.apply(spec, payload.payload, payload.platform_modified_at)
    # Row locks: a pull, a pushed message and a retry of one order queue up here instead of racing.
    link = db.session.scalar(select(ChannelOrder).where(ChannelOrder.channel_id == channel.id,
                                                        ChannelOrder.external_id == view.external_id)
                             .with_for_update().execution_options(populate_existing=True))
    if link is not None:
        db.session.scalar(select(Order).where(Order.id == link.order_id).with_for_update()
                          .execution_options(populate_existing=True))
    if link is not None and link.platform_modified_at and view.modified_at < link.platform_modified_at:
        return Outcome(PayloadStatus.SUPERSEDED, link.order,
                       reason=Text(N_("订单已应用更新的平台状态 %(status)s"), status=link.platform_status))
    actor = actor_of(channel)
    created, learned = False, set()
    if link is None:
        order, created = services.create_order(
            channel, order_input(channel, view, shop.sku_codes if shop is not None else None), actor)
        # Written with what the end of this function sets, so that the insert is not followed by an update.
        link = ChannelOrder(order=order, channel_id=channel.id, external_id=view.external_id,
                            platform_status=view.platform_status[:40], stage=view.stage,
                            platform_modified_at=view.modified_at, last_payload_id=payload.id,
                            pii_tokens=dict(view.pii_tokens), held_by_platform=False)
        db.session.add(link)
        learned = skus.learn_listings(channel, view.lines, utcnow(), shop.learned if shop is not None else set())
    before = link.order.status
    if not created:
        changes.follow(link.order, link, view, actor)
    amounts.follow_goods_total(link.order, view, actor)
    invoices.follow(link.order, view, actor)
    _follow_ship_by(link.order, view)
    walk(link.order, link, view, actor)
    link.platform_status, link.stage = view.platform_status[:40], view.stage
    link.platform_modified_at, link.last_payload_id = view.modified_at, payload.id
    link.pii_tokens = {**(link.pii_tokens or {}), **view.pii_tokens}
    db.session.flush()
    return Outcome(PayloadStatus.APPLIED, link.order, created, moved=link.order.status != before, learned=learned)


def order_input(channel: Channel, view: PlatformOrder, sku_codes: dict[str, str] | None = None) -> OrderInput:
    """The master order to create for ``view``; raises WaitingForSku when a merchant code is unknown.
    ``sku_codes``: a pull's merchant codes resolved so far (skus.resolve_line_codes).

    The discount is what makes our payable equal the platform's payment: goods + shipping − payment."""
    found = skus.resolve_line_codes(channel, view.lines, {} if sku_codes is None else sku_codes)
    lines = [LineInput(sku=found[line.code], quantity=line.quantity, unit_price_fen=line.unit_price_fen,
                       discount_fen=share)
             for line, share in zip(view.lines, amounts.line_discounts(view), strict=True)]
    receiver = changes.display_receiver(view)
    return OrderInput(
        receiver=Receiver(name=receiver["receiver_name"], phone=receiver["receiver_phone"],
                          province=receiver["receiver_province"], city=receiver["receiver_city"],
                          address=receiver["receiver_address"], district=receiver["receiver_district"],
                          town=receiver["receiver_town"], postcode=receiver["receiver_postcode"]),
        lines=lines, external_id=view.external_id, buyer_name=view.buyer_name[:64],
        shipping_fen=view.shipping_fen, discount_fen=amounts.discount_of(view), remark=view.remark[:500],
        masked_pii=True, placed_at=view.created_at, ship_by_at=view.ship_by_at,
        discount_split=amounts.discount_split(view), platform_goods_fen=view.platform_goods_fen,
    )


def walk(order: Order, link: ChannelOrder, view: PlatformOrder, actor: str) -> None:
    """Move ``order`` forward to the platform's stage; raises InvalidTransition where its state refuses."""
    stage = "refunded" if view.stage == "cancelled" and view.paid_at else view.stage
    line_hold = (line_refunds.hold_reason(view, order.shipped_at is not None)
                 if stage in ("paid", "shipped", "signed", "completed", "hold") else "")
    flag_hold = _flag_reason(view) if stage in ("paid", "hold") else ""
    if (line_hold or flag_hold) and stage == "paid":
        stage = "hold"  # a refund requested on a line or a platform flag: the goods must not leave yet
    if link.held_by_platform and stage != "hold" and order.status == S.EXCEPTION and order.shipped_at is None:
        services.resolve_exception(order, N_("平台已解除暂停"), actor)
        link.held_by_platform = False
    # After shipping, an exception or after-sales is a person's (or the platform's request's) to end:
    # the walk waits for it rather than refusing the payload.
    parked = order.status == S.AFTER_SALES or (order.status == S.EXCEPTION and order.shipped_at is not None)
    if not parked:
        _forward(order, stage, view, actor)
    line_refunds.grant(order, view, actor)
    if stage in ("cancelled", "refunded"):
        _close(order, view, actor)
    elif stage == "hold" and order.status in (S.PAID, S.APPROVED, S.PACKING):
        reason = line_hold or flag_hold or Text(N_("平台暂停或锁定了订单（%(status)s），暂缓发货"),
                                                status=view.platform_status)
        services.mark_exception(order, reason, actor)
        link.held_by_platform = True
    elif line_hold and order.shipped_at:
        if line_refunds.after_shipping(order, line_hold, actor):
            link.held_by_platform = True  # the platform's request owns it: it ends when the request does
    elif link.held_by_platform and order.shipped_at:
        line_refunds.release(order, actor)
        link.held_by_platform = False
        if order.status not in (S.EXCEPTION, S.AFTER_SALES):
            _forward(order, stage, view, actor)  # back where the parcel was: on to the platform's stage


def _forward(order: Order, stage: str, view: PlatformOrder, actor: str) -> None:
    for action in WALK[stage]:
        _step(order, action, view, actor)


def _flag_reason(view: PlatformOrder) -> str:
    """Why the platform keeps a paid order from shipping (group not formed, ship hold), when it does."""
    if not view.holds:
        return ""
    return Text(N_("平台限制发货（%(flags)s），暂缓发货"), flags="，".join(view.holds))


def _follow_ship_by(order: Order, view: PlatformOrder) -> None:
    """A promised ship-by time the platform sets or moves later (e.g. once paid) becomes the order's;
    the walk's transitions schedule it, and an order already waiting gets it as its deadline now."""
    if view.ship_by_at is None or view.ship_by_at == order.ship_by_at:
        return
    order.ship_by_at = view.ship_by_at
    if order.deadline_rule == deadlines.SHIP_BY_OVERDUE:  # moved: the state's own deadline may come first now
        deadlines.schedule(order, utcnow())
    else:
        deadlines.ship_by_first(order)


def _step(order: Order, action: Action, view: PlatformOrder, actor: str) -> None:
    if action == A.PAY and order.status == S.CLOSED:
        # Paid on the platform after we closed it (by hand, or before platforms owned their payment).
        services.reopen_paid(order, order.payable_fen, actor, paid_at=view.paid_at,
                             payment_ref=f"{order.channel.platform}:{view.external_id}"[:64])
        return
    if next_status(order.status, action) is None:
        return  # already done (or further along)
    if action == A.PAY:
        services.pay(order, order.payable_fen, actor, paid_at=view.paid_at,
                     payment_ref=f"{order.channel.platform}:{view.external_id}"[:64])
    elif action == A.SHIP_OUT:
        shipments.ship_order(order, _carrier(view), view.waybill_no, actor)
    elif action == A.SIGN:
        services.sign(order, actor)
    else:
        {A.APPROVE: services.approve, A.PACK: services.pack, A.HAND_OVER: services.hand_over,
         A.COMPLETE: services.complete}[action](order, actor)


def _close(order: Order, view: PlatformOrder, actor: str) -> None:
    """Closed on the platform: cancel if unpaid, refund if paid; after it left our warehouse, a person
    decides (the parcel is on its way back or not), so it is parked as an exception once."""
    reason = Text(N_("平台订单已关闭（%(status)s）"), status=view.platform_status)
    if order.status in (S.CLOSED, S.REFUNDED) or (order.status == S.EXCEPTION and order.shipped_at):
        return
    if order.status == S.PENDING_PAYMENT:
        services.cancel(order, reason, actor)
    elif order.status in (S.SHIPPED_OUT, S.IN_TRANSIT):
        services.mark_exception(order, Text(N_("%(reason)s，但包裹已发出，请核实退货"), reason=reason), actor)
    else:
        refunds.refund(order, order.paid_fen - order.refunded_fen, None, restock=False, reason=reason, actor=actor)


def _carrier(view: PlatformOrder) -> Carrier:
    code = view.carrier_code or view.carrier
    carrier = None
    if code:
        carrier = db.session.scalar(select(Carrier).where(Carrier.code == code)) or db.session.scalar(
            select(Carrier).where(Carrier.name == view.carrier))
    if carrier is None or not view.waybill_no:
        raise mapping.MappingError(
            N_("平台显示已发货，但快递公司「%(carrier)s」或运单号「%(waybill_no)s」无法对应，请在字段映射的 carriers 中指定"),
            carrier=view.carrier or Text(N_("(空)")), waybill_no=view.waybill_no or Text(N_("(空)")))
    return carrier


def _describe(error: DomainError) -> str:
    fields = error.details.get("fields") or {}
    lines = error.details.get("lines") or []
    extra = "；".join(f"{name}: {message}" for name, message in fields.items())
    extra += "；".join(Text(N_("%(sku)s 需要 %(requested)s，可用 %(available)s"), sku=line.get("sku"),
                           requested=line.get("requested"), available=line.get("available"))
                      for line in lines if isinstance(line, dict))
    return f"{error.message}（{extra}）" if extra else error.message


def _record(payload: RawPayload, outcome: Outcome) -> None:
    now = utcnow()
    first_time = payload.processed_at is None  # only processing opens a payload's errors: none yet
    payload.status, payload.reason, payload.processed_at = outcome.status, outcome.reason[:500], now
    if outcome.order is not None:
        payload.order_id = outcome.order.id
    open_errors = [] if first_time else list(db.session.scalars(select(ChannelError).where(
        ChannelError.raw_payload_id == payload.id, ChannelError.resolved_at.is_(None))))
    if outcome.status in (PayloadStatus.ERROR, PayloadStatus.WAITING_SKU_MAPPING):
        if open_errors:
            open_errors[0].message, open_errors[0].at = outcome.reason[:500], now
        else:
            db.session.add(ChannelError(channel_id=payload.channel_id, at=now, kind="normalise",
                                        message=outcome.reason[:500], raw_payload_id=payload.id))
    else:
        for error in open_errors:
            error.resolved_at = now
    db.session.flush()
