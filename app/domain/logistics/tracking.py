"""Taking in what the aggregator reports about a waybill: new events stored once, the parcel's status
recomputed from its newest event, and the order told when the parcel's status changed.

A push carries the whole history, and pushes come twice, late and out of order; so an event is keyed by
its own time and text, and the parcel's status is that of its newest event by the carrier's clock. A
stale push therefore adds nothing and moves nothing; any order of the same pushes ends the same way.
"""

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select

from app.db import db
from app.domain.logistics import follow
from app.domain.logistics.adapters.base import TrackingReport
from app.domain.logistics.models import Shipment, Subscription, TrackingEvent
from app.domain.logistics.states import PROGRESS, ParcelStatus, status_for_code
from app.domain.orders.models import Order
from app.domain.reference.models import Carrier

MAX_CONTEXT = 500  # the tracking_events.context column


def find_shipment(company: str, number: str, company_code: Callable[[str], str]) -> Shipment | None:
    """The newest parcel with this waybill whose carrier the aggregator calls ``company``."""
    candidates = db.session.execute(
        select(Shipment.id, Carrier).join(Carrier, Shipment.carrier_id == Carrier.id)
        .where(Shipment.waybill_no == number.strip()).order_by(Shipment.id.desc())).all()
    for shipment_id, carrier in candidates:
        if not company or company_code(carrier.tracking_company) == company.strip().lower():
            return lock(shipment_id)
    return None


def lock(shipment_id: int) -> Shipment:
    """The parcel, with its order's row locked first (as every order action does), so that two pushes
    for parcels of one order are applied one after the other."""
    order_id = db.session.scalar(select(Shipment.order_id).where(Shipment.id == shipment_id))
    db.session.scalar(select(Order).where(Order.id == order_id).with_for_update()
                      .execution_options(populate_existing=True))
    return db.session.scalar(select(Shipment).where(Shipment.id == shipment_id).with_for_update()
                             .execution_options(populate_existing=True))


def apply_report(shipment: Shipment, report: TrackingReport, source: str, now: datetime) -> list[TrackingEvent]:
    """Store the report's new events and follow the parcel's new status; returns the new events."""
    known = {(event.occurred_at, event.context) for event in shipment.events}
    added = []
    for item in report.items:
        context = item.context[:MAX_CONTEXT]
        if (item.at, context) in known:
            continue
        known.add((item.at, context))
        status = status_for_code(item.state_code) or ParcelStatus.IN_TRANSIT  # 0 在途 is the default state
        event = TrackingEvent(shipment=shipment, occurred_at=item.at, context=context, status=status,
                              state_code=item.state_code, area=item.area, source=source, received_at=now,
                              raw=item.raw)
        db.session.add(event)
        added.append(event)
    shipment.last_tracked_at = now
    if source == "push" and shipment.subscription != Subscription.SUBSCRIBED:
        shipment.subscription, shipment.subscription_error = Subscription.SUBSCRIBED, ""
    if added:
        db.session.flush()
        _recompute(shipment)
    db.session.flush()
    return added


def _recompute(shipment: Shipment) -> None:
    events = db.session.scalars(select(TrackingEvent).where(TrackingEvent.shipment_id == shipment.id)).all()
    newest = max(events, key=lambda event: (event.occurred_at, PROGRESS[ParcelStatus(event.status)], event.context))
    shipment.last_event_at, shipment.state_code = newest.occurred_at, newest.state_code
    shipment.collected_at = min(event.occurred_at for event in events)  # the first event is the pick-up
    shipment.signed_at = newest.occurred_at if newest.status == ParcelStatus.SIGNED else None
    if newest.status != shipment.status:
        shipment.status = newest.status
        db.session.flush()
        follow.parcel_changed(shipment, newest)
