"""Sending customer messages from the outbox, and the two sweeps that make sure each one goes out.

``send_message`` is the one place a provider is called. Like every job that calls another system it
commits twice (app/outside_calls.py): the claim (attempt counted, row marked sending) is committed
before the provider call, so that no transaction is open while the provider answers and a worker killed
during or after the call leaves a trace; the outcome is committed by the job wrapper. Why that bounds
duplicates to one is explained in app/domain/notifications/outbox.py.
"""

import logging

from flask import current_app

from app.db import utcnow
from app.domain.notifications import adapters, outbox
from app.domain.notifications.adapters import ChannelOff, PermanentError, TransientError
from app.extensions import db
from app.outside_calls import call_outside
from app.redis_conn import get_redis
from workers.runtime import job

logger = logging.getLogger(__name__)


@job
def send_message(message_id: int) -> str:
    """Send one outbox message if it is still due; returns what happened. Safe to run any number of times."""
    message = outbox.claim(message_id, utcnow())
    if message is None:
        return "not due"
    try:
        provider = adapters.build(message.channel, current_app.config, get_redis())
        provider_id = call_outside(db.session.commit, provider.send, message)  # commits the claim first
    except ChannelOff as error:
        outbox.record_skipped(message, str(error))
        return "skipped"
    except (TransientError, PermanentError) as error:
        transient = isinstance(error, TransientError)
        logger.warning("Message %s attempt %s failed (%s): %s", message.id, message.attempts,
                       "transient" if transient else "permanent", error)
        outbox.record_failure(message, str(error), transient=transient, now=utcnow(),
                              max_attempts=current_app.config["NOTIFICATION_MAX_ATTEMPTS"])
        return "retrying" if transient else "failed"
    outbox.record_sent(message, provider_id, utcnow())
    logger.debug("Message %s sent by %s: %s", message.id, message.channel, provider_id)  # one INFO line per job
    return "sent"


@job
def retry_due_messages() -> int:
    """Every minute: put messages whose retry backoff is over back on the queue."""
    return len(outbox.release_due_retries(utcnow()))


@job
def requeue_stuck_messages() -> int:
    """Every minute: enqueue again what a lost job left behind (Redis lost it, a worker died)."""
    ids = outbox.requeue_stuck(utcnow())
    if ids:
        logger.warning("Re-enqueued %d stuck messages: %s", len(ids), ids[:20])
    return len(ids)
