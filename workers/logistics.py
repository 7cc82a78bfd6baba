"""Parcel tracking jobs (queue ``logistics``): subscribe a parcel's waybill, poll parcels that went
quiet or whose subscription failed.

The aggregator is called with no database transaction open: a job reads what the call needs, commits,
calls, and records the outcome in a new transaction (the job wrapper's commit). The shipment row, not
the RQ result, records how the subscription went.
"""

import logging
from datetime import timedelta

from flask import current_app

from app.db import utcnow
from app.domain.logistics import polling
from app.domain.logistics.adapters.base import TrackingError
from app.domain.logistics.connect import build_tracker
from app.extensions import db
from app.jobs import enqueue_now
from workers.runtime import job

logger = logging.getLogger(__name__)
REFRESH_JOB = "workers.logistics.refresh_shipment"
CALL_TIMEOUT = 60


@job
def subscribe_shipment(shipment_id: int) -> str:
    """Subscribe the parcel's waybill (queued when the parcel ships); a failure leaves it to the poll sweep."""
    return _call(shipment_id, subscribe=True, query=False)


@job
def refresh_shipment(shipment_id: int) -> str:
    """Poll one parcel now (the sweep, the staff re-poll button); subscribe it again first if needed."""
    return _call(shipment_id, subscribe=True, query=True)


@job
def poll_due_parcels() -> int:
    """Every few minutes: queue a refresh for each parcel that is silent or not subscribed."""
    config = current_app.config
    if build_tracker(config) is None:
        return 0
    ids = polling.claim_due(utcnow(), timedelta(hours=config["TRACKING_SILENT_HOURS"]),
                            timedelta(minutes=config["TRACKING_RETRY_MINUTES"]))
    db.session.commit()  # the claims stand before the jobs exist
    for shipment_id in ids:
        enqueue_now(REFRESH_JOB, shipment_id, queue="logistics", job_timeout=CALL_TIMEOUT)
    return len(ids)


def _call(shipment_id: int, subscribe: bool, query: bool) -> str:
    config = current_app.config
    tracker = build_tracker(config)
    shipment = polling.lock(shipment_id)
    if tracker is None or shipment is None:
        return "tracking off" if tracker is None else "missing"
    call = polling.call_for(shipment, tracker, config["KUAIDI100_CALLBACK_URL"], subscribe)
    db.session.commit()  # nothing stays open while the aggregator answers
    if call is None:
        return "finished"
    subscribe_error = report = query_error = None
    if call.subscribe is not None:
        subscribe_error = _attempt(lambda: tracker.subscribe(call.subscribe))
    if query:
        try:
            report = tracker.query(call.company, call.number, call.phone)
        except TrackingError as error:
            query_error = error.message
    shipment = polling.lock(shipment_id)
    if call.subscribe is not None:
        polling.record_subscription(shipment, subscribe_error)
    if query:
        polling.record_poll(shipment, report, query_error, utcnow())
    return shipment.status


def _attempt(call) -> str | None:
    try:
        call()
    except TrackingError as error:
        logger.warning("Tracking subscription failed: %s", error.message)
        return error.message
    return None
