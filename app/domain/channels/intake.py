"""Pushed messages (webhooks): dropped when seen before, stored raw, processed by a job.

The view checks the signature on the raw body and answers the platform at once; the work happens in
the ``channels`` queue after the commit, so a slow order never makes the platform retry the delivery.
A message that carries only the order id (like Taobao's TMC) is completed by the detail call in the job.
When that call fails, the message is kept as a ``fetch_failed`` payload with an open ChannelError (the
sync health page shows it with the message and a retry, like a failed pull); a later successful fetch
of the order resolves it.
"""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from app.db import db, utcnow
from app.domain.channels import mapping, payloads
from app.domain.channels.adapters.base import PushBatch, PushMessage, RawOrder
from app.domain.channels.models import ChannelError, PayloadSource, PayloadStatus, RawPayload
from app.domain.channels.normalise import spec_for
from app.domain.reference.models import Channel
from app.jobs import enqueue_after_commit, in_outbox
from app.text import N_, Text

PROCESS_JOB = "workers.channel_sync.process_payload"
FETCH_JOB = "workers.channel_sync.fetch_pushed_order"
#: Platforms retry a failed push for hours, not days: a message whose signed time is older is a replay
#: (and a real change that old reaches us through the pull anyway).
REPLAY_WINDOW = timedelta(hours=24)


@dataclass
class IntakeReport:
    accepted: int = 0
    duplicates: int = 0
    too_old: int = 0
    reprocessed: int = 0  # redeliveries of a message stored before and still not processed


def accept(channel: Channel, batch: PushBatch, body_digest: str | None = None) -> IntakeReport:
    """Store and queue the batch's new messages. ``body_digest`` (of the raw body) drops a byte-for-byte
    replay even when the platform's message ids are missing or were not signed.

    A redelivery of a message whose stored payload is still waiting (its job was lost, or the platform
    retried before it ran) queues its processing again instead of being dropped: processing is idempotent.
    """
    report = IntakeReport()
    replayed_body = body_digest is not None and not payloads.first_body(channel, body_digest)
    oldest_allowed = utcnow() - REPLAY_WINDOW
    for message in batch.messages:
        if not replayed_body and message.sent_at is not None and message.sent_at < oldest_allowed:
            report.too_old += 1
            continue
        if replayed_body or not payloads.first_delivery(channel, message.message_id, message.topic):
            report.duplicates += 1
            report.reprocessed += _process_if_still_pending(channel, message)
            continue
        report.accepted += 1
        if message.payload is None:
            enqueue_after_commit(FETCH_JOB, channel.id, message.external_id, as_received(message), queue="channels")
            continue
        external_id, modified_at = mapping.identify(spec_for(channel), message.payload)
        payload, stored = payloads.store(channel, RawOrder(external_id, modified_at, message.payload),
                                         PayloadSource.PUSH)
        if stored:
            _queue_processing(payload)
    return report


def _queue_processing(payload) -> None:
    enqueue_after_commit(PROCESS_JOB, payload.id, queue="channels", job_id=f"channel-payload-{payload.id}")


def _process_if_still_pending(channel: Channel, message: PushMessage) -> bool:
    stored = payloads.stored_copy(channel, message.payload) if message.payload is not None else None
    if stored is None or stored.status != PayloadStatus.PENDING or in_outbox(f"channel-payload-{stored.id}"):
        return False  # processed, or its job is still on its way (the outbox sweeper sees to that one)
    _queue_processing(stored)
    return True


def as_received(message: PushMessage) -> dict:
    """What an id-only pushed message said (kept with a failed fetch, shown on the health page)."""
    return {"message_id": message.message_id, "topic": message.topic, "external_id": message.external_id}


def record_fetch_failure(channel: Channel, external_id: str, message: dict | None, error: Exception) -> RawPayload:
    """Keep the pushed message whose detail call failed, with an open error pointing at it."""
    pushed = message or {"external_id": external_id}
    stub, _stored = payloads.store(channel, RawOrder(external_id, None, {"pushed_message": pushed}), PayloadSource.PUSH)
    reason = Text(N_("推送的订单 %(external_id)s 获取详情失败：%(error)s"), external_id=external_id, error=str(error))[:500]
    stub.status, stub.reason, stub.processed_at = PayloadStatus.FETCH_FAILED, reason, utcnow()
    error_row = db.session.scalar(select(ChannelError).where(ChannelError.raw_payload_id == stub.id,
                                                             ChannelError.resolved_at.is_(None)))
    if error_row is None:
        db.session.add(ChannelError(channel_id=channel.id, at=utcnow(), kind="push", message=reason,
                                    raw_payload_id=stub.id))
    else:
        error_row.message, error_row.at = reason, utcnow()
    db.session.flush()
    return stub


def fetched(channel: Channel, external_id: str) -> None:
    """The order was fetched after all: its failed fetches are done with (their errors resolved)."""
    now = utcnow()
    stubs = list(db.session.scalars(select(RawPayload).where(
        RawPayload.channel_id == channel.id, RawPayload.external_id == external_id[:64],
        RawPayload.status == PayloadStatus.FETCH_FAILED)))
    for stub in stubs:
        stub.status, stub.reason, stub.processed_at = PayloadStatus.SUPERSEDED, N_("已重新获取订单详情"), now
        for error in db.session.scalars(select(ChannelError).where(ChannelError.raw_payload_id == stub.id,
                                                                   ChannelError.resolved_at.is_(None))):
            error.resolved_at = now
    db.session.flush()


def is_failed_fetch(payload: RawPayload) -> bool:
    return payload.status == PayloadStatus.FETCH_FAILED and "pushed_message" in (payload.payload or {})
