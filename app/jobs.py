"""Background jobs: one RQ queue per workload, JSON payloads, and enqueue-after-commit.

Jobs are referred to by dotted name ("workers.timeouts.sweep_deadlines") so that nothing under ``app``
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
from sqlalchemy.orm import Session

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
    db.session.info.setdefault(PENDING_JOBS_KEY, []).append(PendingJob(func_path, args, queue, options))


def _send_pending_jobs(session: Session) -> None:
    for job in session.info.pop(PENDING_JOBS_KEY, []):
        enqueue_now(job.func_path, *job.args, queue=job.queue, **job.options)


def _drop_pending_jobs(session: Session) -> None:
    session.info.pop(PENDING_JOBS_KEY, None)


def init_app(app: Flask) -> None:
    session_class = db.session.session_factory.class_
    if not event.contains(session_class, "after_commit", _send_pending_jobs):
        event.listen(session_class, "after_commit", _send_pending_jobs)
        event.listen(session_class, "after_rollback", _drop_pending_jobs)


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
