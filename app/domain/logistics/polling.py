"""Subscriptions and polling: the parts of an outside call that touch the database.

Workers call the aggregator with no transaction open (``workers/logistics.py``): they read what the call
needs here (``call_for``), commit, call, then record the outcome here in a new transaction. A parcel is
polled when it has been silent for ``TRACKING_SILENT_HOURS`` or its subscription did not work; the
sweep claims due parcels by stamping ``last_polled_at``, so the next sweep does not queue them again.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select

from app.db import db
from app.domain.logistics import tracking
from app.domain.logistics.adapters.base import SubscribeRequest, TrackingAdapter, TrackingReport
from app.domain.logistics.models import Shipment, Subscription
from app.domain.logistics.states import FINAL
from app.domain.notifications.recipients import normalise_mobile
from app.domain.orders.models import Order
from app.domain.orders.states import OrderStatus

BATCH_SIZE = 500
#: Orders whose parcels are still worth asking about (not the signed, closed or refunded ones).
FOLLOWED = (OrderStatus.SHIPPED_OUT, OrderStatus.IN_TRANSIT, OrderStatus.EXCEPTION)


@dataclass(frozen=True)
class Call:
    """What one subscribe-and/or-query needs, read before the transaction closes."""

    shipment_id: int
    subscribe: SubscribeRequest | None  # None: already subscribed
    company: str
    number: str
    phone: str


def call_for(shipment: Shipment, tracker: TrackingAdapter, callback_url: str, subscribe: bool) -> Call | None:
    """The call to make for ``shipment``; None when there is nothing to ask (a finished parcel)."""
    if shipment.status in FINAL:
        return None
    company = tracker.company_code(shipment.carrier.tracking_company)
    phone = carrier_phone(shipment.order.receiver_phone)
    request = None
    if subscribe and shipment.subscription != Subscription.SUBSCRIBED:
        request = SubscribeRequest(company=company, number=shipment.waybill_no, callback_url=callback_url,
                                   phone=phone, to=shipment.order.receiver_city)
    return Call(shipment.id, request, company, shipment.waybill_no, phone)


def carrier_phone(phone: str) -> str:
    """The receiver's phone as the carriers that need one take it: the whole number, or, when a platform
    masked it (``138****1234``), its last four digits, which 快递100 accepts too."""
    full = normalise_mobile(phone)
    if full:
        return full
    digits = re.sub(r"\D", "", phone or "")
    return digits[-4:] if len(digits) >= 4 else ""


def record_subscription(shipment: Shipment, error: str | None) -> None:
    """The subscribe call's outcome: subscribed, or failed with the aggregator's words (then polled)."""
    if error is None:
        shipment.subscription, shipment.subscription_error = Subscription.SUBSCRIBED, ""
    elif shipment.subscription != Subscription.SUBSCRIBED:  # a push may have proved it works meanwhile
        shipment.subscription, shipment.subscription_error = Subscription.FAILED, error[:200]
    db.session.flush()


def record_poll(shipment: Shipment, report: TrackingReport | None, error: str | None, now: datetime) -> int:
    """A real-time query's outcome; returns how many new events it brought."""
    shipment.last_polled_at = now
    if error is not None:
        shipment.subscription_error = error[:200]
        db.session.flush()
        return 0
    return len(tracking.apply_report(shipment, report, "poll", now))


def claim_due(now: datetime, silent: timedelta, retry: timedelta, limit: int = BATCH_SIZE) -> list[int]:
    """Unfinished parcels silent for ``silent`` (last polled longer ago than that too), or whose
    subscription failed or never happened (every ``retry``); stamps them polled-now and returns their ids."""
    last_heard = func.coalesce(Shipment.last_event_at, Shipment.shipped_at)
    silent_due = (last_heard <= now - silent) & or_(Shipment.last_polled_at.is_(None),
                                                    Shipment.last_polled_at <= now - silent)
    unsubscribed_due = Shipment.subscription.in_((Subscription.FAILED, Subscription.NONE)) & or_(
        Shipment.last_polled_at.is_(None), Shipment.last_polled_at <= now - retry)
    due = db.session.scalars(
        select(Shipment).join(Order, Shipment.order_id == Order.id)
        .where(Shipment.status.not_in(FINAL), Order.status.in_(FOLLOWED), or_(silent_due, unsubscribed_due))
        .order_by(Shipment.id)
        .limit(limit).with_for_update(skip_locked=True)).all()
    for shipment in due:
        shipment.last_polled_at = now
    db.session.flush()
    return [shipment.id for shipment in due]


def lock(shipment_id: int) -> Shipment | None:
    if db.session.get(Shipment, shipment_id) is None:
        return None
    return tracking.lock(shipment_id)
