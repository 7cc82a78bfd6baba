"""Jobs that must not pile up: one pending pull per shop, one pending stock push per shop.

RQ overwrites a job that is enqueued again under the same id, so "deduplicated by a deterministic job
id" needs a look first: a job with that id still queued, scheduled or running means the work is
already on its way. A finished or failed one is replaced.
"""

from datetime import timedelta

from rq.job import JobStatus

from app.jobs import enqueue_now, get_queue

PENDING = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.STARTED, JobStatus.DEFERRED}
QUEUE = "channels"
RESULT_TTL = 3600
FAILURE_TTL = 30 * 24 * 3600


def enqueue_once(func_path: str, *args, job_id: str, delay: timedelta | None = None, timeout: int = 600) -> bool:
    """Enqueue unless a job with ``job_id`` is pending; True when this call enqueued it."""
    queue = get_queue(QUEUE)
    existing = queue.fetch_job(job_id)
    if existing is not None and existing.get_status(refresh=True) in PENDING:
        return False
    if delay:
        queue.enqueue_in(delay, func_path, *args, job_id=job_id, job_timeout=timeout, result_ttl=RESULT_TTL,
                         failure_ttl=FAILURE_TTL)
    else:
        enqueue_now(func_path, *args, queue=QUEUE, job_id=job_id, job_timeout=timeout)
    return True
