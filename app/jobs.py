"""Background jobs: one RQ queue per workload, JSON payloads, and enqueue-after-commit.

Jobs are referred to by dotted name ("workers.orders.sweep_deadlines") so that nothing under ``app``
imports ``workers``. A job queued while a database transaction is open goes to Redis only after that
transaction commits, and is dropped if it rolls back: a worker must never look for a row that is not
there yet, nor act on a change that never happened.
"""

from dataclasses import dataclass, field

from flask import Flask, current_app
from rq import Queue, cron_job_registry
from rq.cron import CronJob, CronScheduler
from rq.defaults import DEFAULT_CRON_JOB_HISTORY_LIMIT, DEFAULT_CRON_JOB_HISTORY_TTL
from rq.serializers import JSONSerializer
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from app.extensions import db
from app.redis_conn import get_redis

QUEUE_NAMES = ("default", "channels", "logistics", "notifications", "einvoice")
PENDING_JOBS_KEY = "orderhub.pending_jobs"


@dataclass(frozen=True)
class PendingJob:
    func_path: str
    args: tuple
    queue: str
    options: dict = field(default_factory=dict)


def get_queue(name: str = "default") -> Queue:
    if name not in QUEUE_NAMES:
        raise ValueError(f"unknown queue {name!r}")
    return Queue(name, connection=get_redis(), serializer=JSONSerializer)


def all_queues() -> list[Queue]:
    return [get_queue(name) for name in QUEUE_NAMES]


def enqueue_now(func_path: str, *args, queue: str = "default", **options):
    """Enqueue outside any transaction (CLI commands, the scheduler, a retry button)."""
    options.setdefault("result_ttl", current_app.config["JOB_RESULT_TTL"])
    options.setdefault("failure_ttl", current_app.config["JOB_FAILURE_TTL"])
    return get_queue(queue).enqueue(func_path, *args, **options)


def enqueue_after_commit(func_path: str, *args, queue: str = "default", **options) -> None:
    """Queue a job that is sent once the current session commits (and forgotten if it rolls back)."""
    get_queue(queue)  # fail now, inside the caller's transaction, on an unknown queue name
    session = db.session()
    # Jobs belong to the innermost open transaction; open one if there is none yet, or a rollback that
    # comes before any query (which would otherwise be a no-op) could not drop them.
    transaction = session.get_nested_transaction() or session.get_transaction() or session.begin()
    _pending_jobs(session).setdefault(transaction, []).append(PendingJob(func_path, args, queue, options))


def _pending_jobs(session: Session) -> dict[SessionTransaction, list[PendingJob]]:
    return session.info.setdefault(PENDING_JOBS_KEY, {})


def _send_pending_jobs(session: Session) -> None:
    # after_commit also fires when a SAVEPOINT is released: that is not the real commit, so the
    # savepoint's jobs move to the enclosing transaction and wait for it.
    transaction = session.get_nested_transaction() or session.get_transaction()
    jobs = _pending_jobs(session).pop(transaction, [])
    if transaction.nested:
        _pending_jobs(session).setdefault(transaction.parent, []).extend(jobs)
        return
    for job in jobs:
        enqueue_now(job.func_path, *job.args, queue=job.queue, **job.options)


def _drop_pending_jobs(session: Session, transaction: SessionTransaction) -> None:
    """A transaction that ends without its jobs having been sent or moved was rolled back (or closed)."""
    _pending_jobs(session).pop(transaction, None)


def init_app(app: Flask) -> None:
    session_class = db.session.session_factory.class_
    if not event.contains(session_class, "after_commit", _send_pending_jobs):
        event.listen(session_class, "after_commit", _send_pending_jobs)
        event.listen(session_class, "after_transaction_end", _drop_pending_jobs)


class JSONCronJob(CronJob):
    """A CronJob that enqueues with the JSON serializer.

    RQ 2.x's CronJob always enqueues with the default (pickle) serializer, which our JSON workers cannot
    read; this is its ``enqueue`` with our queue, nothing else changed.
    """

    def enqueue(self, connection):
        queue = Queue(self.queue_name, connection=connection, serializer=JSONSerializer)
        with connection.pipeline() as pipeline:
            job = queue.enqueue(self.func, *self.args, **self.kwargs, **self.job_options, pipeline=pipeline)
            pipeline.zadd(self.job_history_key, {job.id: job.enqueued_at.timestamp()})
            pipeline.zremrangebyrank(self.job_history_key, 0, -(DEFAULT_CRON_JOB_HISTORY_LIMIT + 1))
            pipeline.expire(self.job_history_key, DEFAULT_CRON_JOB_HISTORY_TTL)
            cron_job_registry.add(self.name, pipeline, enqueue_timestamp=job.enqueued_at.timestamp())
            pipeline.execute()
        return job


class JSONCronScheduler(CronScheduler):
    """RQ's own cron scheduler, registering JSONCronJobs."""

    def register(self, func, queue_name, **options):
        cron_job = JSONCronJob(queue_name=queue_name, func=func, **options)
        self._cron_jobs.append(cron_job)
        return cron_job


def cron_scheduler(config_module: str = "workers.cron") -> JSONCronScheduler:
    """The scheduler with every periodic job of ``config_module`` (loaded by name: app never imports workers)."""
    scheduler = JSONCronScheduler(connection=get_redis())
    scheduler.load_config_from_file(config_module)
    return scheduler
