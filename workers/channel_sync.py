"""Channel sync jobs (queue ``channels``): pulls, pushed payloads, shipments and stock back, drift.

Thin wrappers: load rows by id, build the shop's adapter from configuration, call app.domain.channels.
Jobs that must not pile up (a shop's pull, a shop's stock push) are enqueued under a deterministic id
by ``enqueue_once``, so an overlapping minute never stacks a second one.

Every job that calls a platform hands the domain its commit (``checkpoint=db.session.commit``): the
work so far is committed before each platform call and none is open while the platform answers
(app/outside_calls.py); the job wrapper commits the last step as usual.
"""

import logging
from datetime import timedelta

from flask import current_app

from app.db import utcnow
from app.domain.channels import health, intake, normalise, payloads, push, stockwatch, sync
from app.domain.channels.adapters.base import PlatformError, TokenExpiredError
from app.domain.channels.connect import build_adapter, is_api_channel
from app.domain.channels.models import PayloadSource, PayloadStatus, RawPayload
from app.domain.channels.queueing import enqueue_once, pull_job_id
from app.domain.orders.models import Order
from app.domain.reference.models import Channel
from app.extensions import db
from app.outside_calls import call_outside
from workers.runtime import job

logger = logging.getLogger(__name__)
PULL_TIMEOUT = 15 * 60
STOCK_DEBOUNCE = timedelta(seconds=2)


def _adapter(channel: Channel):
    return build_adapter(channel, current_app.config)


@job
def enqueue_pulls() -> list[int]:
    """Every minute: one pull per active API shop, unless its previous one is still pending."""
    queued = []
    for channel in sync.pullable_channels(utcnow()):
        if enqueue_once("workers.channel_sync.pull_channel", channel.id, job_id=pull_job_id(channel.id),
                        timeout=PULL_TIMEOUT):
            queued.append(channel.id)
    return queued


@job
def pull_channel(channel_id: int, trigger: str = "cron") -> dict:
    channel = db.session.get(Channel, channel_id)
    if channel is None or not channel.active:
        return {"skipped": "渠道不存在或已停用"}
    with sync.pull_lock(channel_id) as acquired:
        if not acquired:
            return {"skipped": "另一个同步正在进行"}
        report = sync.pull(channel, _adapter(channel), checkpoint=db.session.commit, trigger=trigger)
    return {"status": report.status, "pages": report.pages, "stored": report.stored, "created": report.created,
            "updated": report.updated, "errors": len(report.errors), "message": report.message}


@job
def process_payload(payload_id: int) -> str:
    payload = db.session.get(RawPayload, payload_id)
    return normalise.process(payload).status if payload is not None else "missing"


@job
def fetch_pushed_order(channel_id: int, external_id: str, message: dict | None = None) -> str:
    """A push that named only the order: fetch it (the detail call), store it, process it. A failed
    fetch is kept for the health page (with ``message``, the push as received) instead of vanishing."""
    return _fetch_pushed(db.session.get(Channel, channel_id), external_id, message)


def _fetch_pushed(channel: Channel, external_id: str, message: dict | None) -> str:
    try:
        raw = call_outside(db.session.commit, _adapter(channel).fetch_order, external_id)
    except PlatformError as error:
        logger.warning("Detail fetch of pushed order %s failed: %s", external_id, error)
        intake.record_fetch_failure(channel, external_id, message, error)
        return PayloadStatus.FETCH_FAILED
    payload, stored = payloads.store(channel, raw, PayloadSource.PUSH)
    intake.fetched(channel, external_id)
    return normalise.process(payload).status if stored else "duplicate"


@job
def reprocess_waiting(channel_id: int) -> dict[str, int]:
    """After a SKU mapping was fixed: every payload of the shop waiting for one, again."""
    return normalise.reprocess_waiting(db.session.get(Channel, channel_id))


@job
def scan_stock_changes() -> dict:
    """Every few seconds: stock ledger → dirty SKUs per shop and shipped orders (stockwatch.py)."""
    result = stockwatch.scan(utcnow())
    for order_id in sorted(result.shipped_order_ids):
        enqueue_once("workers.channel_sync.push_shipment", order_id, job_id=f"channel-shipment-{order_id}")
    for channel_id in stockwatch.dirty_channels():
        enqueue_once("workers.channel_sync.push_stock", channel_id, job_id=f"channel-stock-{channel_id}",
                     delay=STOCK_DEBOUNCE)
    return {"rows": result.rows, "skus": len(result.sku_ids), "shipped": len(result.shipped_order_ids)}


@job
def push_stock(channel_id: int) -> dict:
    """Push the shop's dirty SKUs; whatever could not be pushed goes back into the dirty set."""
    channel = db.session.get(Channel, channel_id)
    sku_ids = stockwatch.take_dirty(channel_id)
    if not sku_ids or channel is None:
        return {"pushed": 0}
    try:
        report = push.push_stock(channel, _adapter(channel), sku_ids, utcnow(), checkpoint=db.session.commit)
    except Exception:
        stockwatch.mark_dirty([channel_id], sku_ids)
        stockwatch.pushed(channel_id)
        raise
    if report.failed:
        stockwatch.mark_dirty([channel_id], set(report.failed))
    stockwatch.pushed(channel_id)
    if isinstance(report.stopped, TokenExpiredError):
        sync.flag_token_expired(channel, f"推送库存时平台授权已过期: {report.stopped}", utcnow())
    return {"pushed": len(report.pushed), "skipped": len(report.skipped), "failed": len(report.failed)}


@job
def push_shipment(order_id: int) -> str:
    order = db.session.get(Order, order_id)
    if order is None:
        return "missing"
    if not is_api_channel(order.channel):
        return "not needed"
    record = push.push_shipment(order, _adapter(order.channel), utcnow(), checkpoint=db.session.commit)
    return record.status if record is not None else "not needed"


@job
def push_pending_shipments() -> int:
    """Every minute: shipments no push acknowledged yet (a failed push, a lost job) get another one."""
    order_ids = push.shipments_to_push()
    for order_id in order_ids:
        enqueue_once("workers.channel_sync.push_shipment", order_id, job_id=f"channel-shipment-{order_id}")
    return len(order_ids)


@job
def check_stock_drift() -> dict[str, int]:
    """Compare each shop's platform stock with what we last pushed; drifting SKUs are pushed again."""
    found = {}
    for channel in stockwatch.stock_channels():
        findings = push.check_drift(channel, _adapter(channel), utcnow(), checkpoint=db.session.commit)
        stockwatch.mark_dirty([channel.id], {finding.sku_id for finding in findings})
        found[channel.code] = len(findings)
    return found


@job
def retry_failed_payloads(channel_id: int) -> dict[str, int]:
    """The health page's 全部重试: every payload of the shop that did not apply, processed again."""
    counts: dict[str, int] = {}
    for payload in health.failed_payloads(channel_id):
        if intake.is_failed_fetch(payload):
            status = _fetch_pushed(payload.channel, payload.external_id, payload.payload["pushed_message"])
        else:
            status = normalise.process(payload).status
        counts[status] = counts.get(status, 0) + 1
    return counts


@job
def help_pull(channel_id: int) -> int:
    """Take orders off a running pull's backlog (sync.help_pull): a shop's backlog shared by workers.
    Returns how many orders this job took."""
    channel = db.session.get(Channel, channel_id)
    if channel is None or not channel.active:
        return 0
    return sync.help_pull(channel, _adapter(channel), checkpoint=db.session.commit)
