"""Pushed messages (webhooks): dropped when seen before, stored raw, processed by a job.

The view checks the signature on the raw body and answers the platform at once; the work happens in
the ``channels`` queue after the commit, so a slow order never makes the platform retry the delivery.
A message that carries only the order id (like Taobao's TMC) is completed by the detail call in the job.
"""

from dataclasses import dataclass

from app.domain.channels import mapping, payloads
from app.domain.channels.adapters.base import PushBatch, RawOrder
from app.domain.channels.models import PayloadSource
from app.domain.channels.normalise import spec_for
from app.domain.reference.models import Channel
from app.jobs import enqueue_after_commit

PROCESS_JOB = "workers.channel_sync.process_payload"
FETCH_JOB = "workers.channel_sync.fetch_pushed_order"


@dataclass
class IntakeReport:
    accepted: int = 0
    duplicates: int = 0


def accept(channel: Channel, batch: PushBatch) -> IntakeReport:
    report = IntakeReport()
    for message in batch.messages:
        if not payloads.first_delivery(channel, message.message_id, message.topic):
            report.duplicates += 1
            continue
        report.accepted += 1
        if message.payload is None:
            enqueue_after_commit(FETCH_JOB, channel.id, message.external_id, queue="channels")
            continue
        external_id, modified_at = mapping.identify(spec_for(channel), message.payload)
        payload, stored = payloads.store(channel, RawOrder(external_id, modified_at, message.payload),
                                         PayloadSource.PUSH)
        if stored:
            enqueue_after_commit(PROCESS_JOB, payload.id, queue="channels")
    return report
