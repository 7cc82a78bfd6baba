"""Read-only queries behind the customer portal: finding an order by number + phone, a verified phone's
recent orders, and the parts of an order's history a customer should see.

The portal is public, so these functions are written against probing: a lookup does the same database
and comparison work whether the order exists or not, and the timeline is an allow-list of actions, so an
internal event added later (approval notes, exception reasons, SLA warnings) stays hidden by default.
"""

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, selectinload

from app.db import db
from app.domain.orders.inputs import normalise_phone
from app.domain.orders.models import Order, OrderEvent, OrderLine
from app.domain.orders.states import Action, OrderStatus

#: What services._new_order_no makes: OH + yymmdd (Shanghai) + 8 random digits.
ORDER_NO_PATTERN = re.compile(r"^OH\d{14}$")
#: Which of the order's phones a customer proved: the receiver's or the buyer's.
RECEIVER, BUYER = "r", "b"
MAX_LISTED_ORDERS = 50

#: The eight steps of the progress bar, in order.
STEPS = (OrderStatus.PENDING_PAYMENT, OrderStatus.PAID, OrderStatus.APPROVED, OrderStatus.PACKING,
         OrderStatus.SHIPPED_OUT, OrderStatus.IN_TRANSIT, OrderStatus.SIGNED, OrderStatus.COMPLETED)
#: States that leave the normal path; the page says so instead of pretending to be on a step.
OFF_PATH = (OrderStatus.CLOSED, OrderStatus.REFUNDED, OrderStatus.EXCEPTION, OrderStatus.AFTER_SALES)

#: Events a customer sees (allow-list). The wording lives in the web layer; reasons are never shown.
CUSTOMER_ACTIONS = frozenset({
    "create", Action.PAY, Action.APPROVE, Action.PACK, Action.SHIP_OUT, Action.HAND_OVER, Action.SIGN,
    Action.COMPLETE, Action.CANCEL, Action.CLOSE_UNPAID, Action.REFUND, "partial_refund",
    Action.REQUEST_AFTER_SALES, Action.CLOSE_AFTER_SALES, Action.MARK_EXCEPTION, Action.REJECT,
    Action.RESOLVE_EXCEPTION, "presale_converted",
})
#: Events that make up the parcel's journey until a carrier-tracking model exists.
TRACKING_ACTIONS = frozenset({Action.SHIP_OUT, Action.HAND_OVER, Action.SIGN})

# Compared against when no order has the number, so that path does the same parsing and hashing as a
# real comparison. It is a valid mobile number, but a decoy can never match: the order id is None.
_DECOY_PHONE = "13000000000"


@dataclass(frozen=True)
class LookupMatch:
    order_id: int
    via: str  # RECEIVER or BUYER


@dataclass(frozen=True)
class Progress:
    reached: int  # index into STEPS of the furthest step the order got to
    off_path: OrderStatus | None  # closed, refunded, exception or after-sales; None on the normal path


@dataclass(frozen=True)
class CustomerOrder:
    order: Order
    lines: list[OrderLine]  # as sold: bundles and gifts, not their component lines
    timeline: list[OrderEvent]  # newest first
    tracking: list[OrderEvent]  # newest first
    progress: Progress


def match_order(order_no: str, phone: str) -> LookupMatch | None:
    """The order numbered ``order_no`` if ``phone`` is its receiver's or buyer's phone, else None.

    Both failure paths (no such order, wrong phone) run the same query, normalise two phones and make
    two constant-time comparisons, so neither the answer nor its timing tells them apart.
    """
    row = db.session.execute(
        select(Order.id, Order.receiver_phone, Order.buyer_phone).where(Order.order_no == order_no)
    ).first()
    order_id, receiver_phone, buyer_phone = row if row else (None, _DECOY_PHONE, _DECOY_PHONE)
    receiver_matches = _same_phone(phone, receiver_phone)
    buyer_matches = _same_phone(phone, buyer_phone)
    if order_id is None or not (receiver_matches or buyer_matches):
        return None
    return LookupMatch(order_id, RECEIVER if receiver_matches else BUYER)


def orders_for_phone(phone: str, now: datetime, days: int) -> list[tuple[Order, str]]:
    """A verified phone's orders of the last ``days`` days, newest first, each with the phone's role."""
    orders = db.session.scalars(
        select(Order)
        .where(or_(Order.receiver_phone == phone, Order.buyer_phone == phone),
               Order.created_at >= now - timedelta(days=days))
        .options(selectinload(Order.lines).joinedload(OrderLine.sku))
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(MAX_LISTED_ORDERS)
    ).all()
    return [(order, RECEIVER if order.receiver_phone == phone else BUYER) for order in orders]


def customer_order(order_id: int) -> CustomerOrder | None:
    """Everything the order page shows, or None if the order is gone."""
    order = db.session.scalar(
        select(Order).where(Order.id == order_id)
        .options(joinedload(Order.carrier), joinedload(Order.channel),
                 selectinload(Order.lines).joinedload(OrderLine.sku), selectinload(Order.events))
    )
    if order is None:
        return None
    visible = [event for event in order.events if is_customer_visible(event)]
    newest_first = sorted(visible, key=lambda event: (event.at, event.id), reverse=True)
    return CustomerOrder(
        order=order,
        lines=[line for line in order.lines if not line.is_component],
        timeline=newest_first,
        tracking=[event for event in newest_first if is_tracking(event)],
        progress=progress_of(order, order.events),
    )


def phone_for(order_id: int, via: str) -> str | None:
    """The phone a customer proved for this order (for opting that phone out of reminders)."""
    column = Order.receiver_phone if via == RECEIVER else Order.buyer_phone
    return db.session.scalar(select(column).where(Order.id == order_id)) or None


def proved_phone(order: Order, via: str) -> str | None:
    return (order.receiver_phone if via == RECEIVER else order.buyer_phone) or None


def is_customer_visible(event: OrderEvent) -> bool:
    return event.action in CUSTOMER_ACTIONS or event.actor.startswith("carrier:")


def is_tracking(event: OrderEvent) -> bool:
    return event.action in TRACKING_ACTIONS or event.actor.startswith("carrier:")


def progress_of(order: Order, events: list[OrderEvent]) -> Progress:
    """The furthest of the eight steps the order reached (from its state and its history, so a closed
    or refunded order still shows how far it got) and, if it left the normal path, where it is now."""
    seen = [order.status, order.status_before_exception]
    for event in events:
        seen += [event.from_status, event.to_status]
    reached = max((STEPS.index(status) for status in seen if status in STEPS), default=0)
    off_path = OrderStatus(order.status) if order.status in OFF_PATH else None
    return Progress(reached=reached, off_path=off_path)


def _same_phone(given: str, stored: str | None) -> bool:
    """Constant-time equality of two phones in stored form (fixed-length digests, so length leaks nothing)."""
    stored = normalise_phone(stored or "") or (stored or "")
    return hmac.compare_digest(hashlib.sha256(given.encode()).digest(), hashlib.sha256(stored.encode()).digest())
