"""Delivery state of outbox rows: what a send job may claim, what it records, and the two sweeps.

A message goes queued → sending → sent; on a transient provider error → retrying, which the retry
sweep turns back into queued when its backoff is over; after ``max_attempts`` (or on a permanent
error) → failed, with the provider's error for staff. Redis only wakes workers up: the row says what
is left to do, so a lost job is found again by the stuck sweep.

Delivery is at least once, with one duplicate at most. A worker claims a row (sending, attempts + 1)
and commits that before it calls the provider, so a worker that dies after the call leaves a row in
"sending". Once its lease is over the next claim sends it again and marks it ``outcome_unknown``; the
customer may get that message twice, and both copies carry the row id (SMS ``OutId``, WeChat
``client_msg_id``, the email's ``Message-ID``), so the provider's records show the pair. Should that
second attempt end unknown too, the row fails instead of trying a third time: staff decide.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update

from app.db import db
from app.domain.notifications import queries
from app.domain.notifications.models import Message, MessageStatus
from app.domain.notifications.templates import OPT_OUT_TEMPLATES, SECRET_PARAMS, masked
from app.jobs import enqueue_after_commit

SEND_JOB = "workers.notifications.send_message"
SEND_JOB_TIMEOUT = 60  # seconds; each adapter's own network timeouts are well inside it
#: A queued row whose job has not run by then is assumed lost with Redis and is enqueued again.
STUCK_AFTER = timedelta(minutes=2)
#: A claim older than this belongs to a dead worker (longer than the job timeout, so never a live one).
SENDING_LEASE = timedelta(minutes=5)
RETRY_BASE = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=1)
DEFAULT_MAX_ATTEMPTS = 5
SWEEP_BATCH = 500

OPTED_OUT = "客户已退订催付提醒"
GAVE_UP = "两次发送均中断、结果未知，为免重复打扰客户已停止自动重试；请确认客户是否收到后再决定重发"


@dataclass(frozen=True)
class Outgoing:
    """What an adapter needs, copied out of the row: nothing touches the ORM during the provider call,
    so no transaction (on SQLite, no write lock) is held while the provider answers."""

    id: int
    channel: str
    recipient: str
    template: str
    params: dict
    attempts: int
    outcome_unknown: bool


def enqueue_send(message_id: int) -> None:
    enqueue_after_commit(SEND_JOB, message_id, queue="notifications", job_timeout=SEND_JOB_TIMEOUT)


def claim(message_id: int, now: datetime) -> Outgoing | None:
    """Take ``message_id`` for one attempt; None when it is not this worker's to send (already sent,
    not due, claimed by a live worker, or skipped now because the customer opted out)."""
    message = db.session.get(Message, message_id, populate_existing=True)
    if message is None:
        return None
    seen = message.status
    if seen == MessageStatus.SENDING and message.claimed_at <= now - SENDING_LEASE:
        if message.outcome_unknown:
            _change(message, seen, status=MessageStatus.FAILED, last_error=GAVE_UP)
            return None
        unknown = True  # the worker that claimed it died, perhaps after the provider had it
    elif seen == MessageStatus.QUEUED:
        unknown = message.outcome_unknown
    else:
        return None
    if message.template in OPT_OUT_TEMPLATES and queries.opted_out(message.phone):
        _change(message, seen, status=MessageStatus.SKIPPED, last_error=OPTED_OUT)
        return None
    if not _change(message, seen, status=MessageStatus.SENDING, attempts=message.attempts + 1,
                   claimed_at=now, outcome_unknown=unknown):
        return None
    return Outgoing(message.id, message.channel, message.recipient, message.template, dict(message.params),
                    message.attempts, message.outcome_unknown)


def record_sent(outgoing: Outgoing, provider_id: str, now: datetime) -> bool:
    return _finish(outgoing, status=MessageStatus.SENT, provider_id=provider_id[:64], sent_at=now,
                   next_attempt_at=None, last_error=None)


def record_failure(outgoing: Outgoing, error: str, *, transient: bool, now: datetime,
                   max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> bool:
    """A failed attempt: retry later with backoff while attempts remain and the error may pass."""
    if transient and outgoing.attempts < max_attempts:
        return _finish(outgoing, status=MessageStatus.RETRYING, last_error=error,
                       next_attempt_at=now + backoff(outgoing.attempts))
    return _finish(outgoing, status=MessageStatus.FAILED, last_error=error, next_attempt_at=None)


def record_skipped(outgoing: Outgoing, reason: str) -> bool:
    return _finish(outgoing, status=MessageStatus.SKIPPED, last_error=reason)


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 … minutes after the ``attempts``-th failure, at most an hour."""
    return min(RETRY_BASE * 2 ** max(attempts - 1, 0), RETRY_CAP)


def release_due_retries(now: datetime) -> list[int]:
    """Queue every retrying message whose backoff is over; returns their ids (jobs go after commit)."""
    ids = list(db.session.scalars(
        select(Message.id).where(Message.status == MessageStatus.RETRYING, Message.next_attempt_at <= now)
        .order_by(Message.next_attempt_at).limit(SWEEP_BATCH)))
    return _requeue(ids, Message.status == MessageStatus.RETRYING, now, status=MessageStatus.QUEUED)


def requeue_stuck(now: datetime) -> list[int]:
    """Enqueue again what a lost job (Redis restarted, a worker killed) left behind: queued rows not
    picked up within STUCK_AFTER, and claims older than the lease. The claim sorts out the rest."""
    stale_queue = now - STUCK_AFTER
    stuck = or_(
        and_(Message.status == MessageStatus.QUEUED, Message.queued_at <= stale_queue),
        and_(Message.status == MessageStatus.SENDING, Message.claimed_at <= now - SENDING_LEASE,
             or_(Message.queued_at.is_(None), Message.queued_at <= stale_queue)),
    )
    ids = list(db.session.scalars(select(Message.id).where(stuck).order_by(Message.id).limit(SWEEP_BATCH)))
    return _requeue(ids, stuck, now)


def _requeue(ids: list[int], still, now: datetime, **values) -> list[int]:
    if not ids:
        return []
    db.session.execute(update(Message).where(Message.id.in_(ids), still).values(queued_at=now, **values)
                       .execution_options(synchronize_session=False))
    for message_id in ids:
        enqueue_send(message_id)
    return ids


def _change(message: Message, seen_status: str, **values) -> bool:
    """Update ``message`` only if nobody changed it since it was read (status and attempts unchanged):
    of two workers claiming one row, exactly one wins."""
    changed = db.session.execute(
        update(Message).where(Message.id == message.id, Message.status == seen_status,
                              Message.attempts == message.attempts)
        .values(**values).execution_options(synchronize_session=False)).rowcount == 1
    db.session.refresh(message)
    return changed


def _finish(outgoing: Outgoing, **values) -> bool:
    """Record an attempt's outcome, unless a later claim has taken the row over in the meantime.
    A final outcome also forgets the message's secrets (a login code is of no use once sent)."""
    if values["status"] != MessageStatus.RETRYING and outgoing.template in SECRET_PARAMS:
        values["params"] = masked(outgoing.template, outgoing.params)
    return db.session.execute(
        update(Message).where(Message.id == outgoing.id, Message.status == MessageStatus.SENDING,
                              Message.attempts == outgoing.attempts)
        .values(**values).execution_options(synchronize_session=False)).rowcount == 1
