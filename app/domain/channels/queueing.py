"""Jobs that must not pile up: one pending pull per shop, one pending stock push per shop.

A deterministic job id says "this work is already on its way": ``app.jobs.enqueue_unique`` enqueues
only if no job with that id is queued, scheduled or running (atomically, so two callers racing for
the same shop make one job); a finished or failed one is replaced.
"""

from datetime import timedelta

from app.jobs import enqueue_unique

QUEUE = "channels"
RESULT_TTL = 3600
FAILURE_TTL = 30 * 24 * 3600


def enqueue_once(func_path: str, *args, job_id: str, delay: timedelta | None = None, timeout: int = 600) -> bool:
    """Enqueue unless a job with ``job_id`` is pending; True when this call enqueued it."""
    return enqueue_unique(func_path, *args, job_id=job_id, queue=QUEUE, delay=delay, job_timeout=timeout,
                          result_ttl=RESULT_TTL, failure_ttl=FAILURE_TTL)


def pull_job_id(channel_id: int) -> str:
    """The one id a shop's pull job has, whoever queues it (the minute's trigger, the 立即同步 button)."""
    return f"channel-pull-{channel_id}"
