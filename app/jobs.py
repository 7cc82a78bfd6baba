"""Background jobs: one RQ queue per workload, JSON payloads, and enqueue-after-commit.

Jobs are referred to by dotted name ("workers.orders.sweep_deadlines") so that nothing under ``app``
imports ``workers``. A job queued while a database transaction is open goes to Redis only after that
transaction commits, and is dropped if it rolls back: a worker must never look for a row that is not
there yet, nor act on a change that never happened.

No Flask here (domain code imports this module, and the domain must not depend on Flask even
indirectly): ``init_app`` hands over the settings and the database object once, at start-up.
"""

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from redis import ConnectionError as RedisConnectionError
from redis import Redis, WatchError
from redis import TimeoutError as RedisTimeoutError
from rq import Queue, SimpleWorker, Worker, cron_job_registry, cron_scheduler_registry, get_current_job
from rq.cron import CronJob, CronScheduler
from rq.defaults import DEFAULT_CRON_JOB_HISTORY_LIMIT, DEFAULT_CRON_JOB_HISTORY_TTL
from rq.exceptions import (
    AbandonedJobError,
    DuplicateJobError,
    InvalidJobOperation,
    NoSuchJobError,
    StopRequested,
)
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer
from sqlalchemy import delete, event, select
from sqlalchemy.orm import Session, SessionTransaction

from app.redis_conn import get_redis

QUEUE_NAMES = ("default", "channels", "logistics", "notifications", "einvoice")
PENDING_JOBS_KEY = "orderhub.pending_jobs"
#: A job in one of these states is over: a job enqueued again under its id replaces it.
SETTLED = {JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED}
#: Seconds the scheduler waits before starting again after losing Redis, growing while it keeps failing.
RECONNECT_DELAYS = (1, 2, 4, 8, 15)
REDIS_UNREACHABLE = (RedisConnectionError, RedisTimeoutError)
#: A running job's entry in RQ's StartedJobRegistry lives this long unless its worker renews it, which it
#: does every HEARTBEAT_EVERY seconds: a job whose worker was killed is found abandoned within a minute
#: (this, plus at most two maintenance rounds of MAINTENANCE_EVERY), not after its whole timeout.
#: The defaults of the JOB_ABANDONED_AFTER, JOB_HEARTBEAT_EVERY and JOB_MAINTENANCE_EVERY settings.
ABANDONED_AFTER = 20
HEARTBEAT_EVERY = 5
MAINTENANCE_EVERY = 10
#: An abandoned job is queued again this many times; one that keeps killing its worker then fails.
MAX_ABANDONED_RUNS = 3

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PendingJob:
    func_path: str
    args: tuple
    queue: str
    options: dict = field(default_factory=dict)


#: A row of the jobs outbox whose job Redis does not know after this long was not taken: queue it again.
#: The default of the JOB_OUTBOX_GRACE setting (seconds).
OUTBOX_GRACE = timedelta(seconds=30)


@dataclass(frozen=True)
class _Settings:
    database: Any  # the app's Flask-SQLAlchemy object; its ``session`` is read on every use (tests swap it)
    outbox: Any  # the OutboxJob model (app/job_outbox.py: a table, hence Flask-SQLAlchemy, hence not here)
    result_ttl: int
    failure_ttl: int
    abandoned_after: int  # seconds: see ABANDONED_AFTER
    heartbeat_every: int
    maintenance_every: int
    outbox_grace: timedelta


_settings: _Settings | None = None


def init_app(app, database, outbox) -> None:
    """Take the job settings from ``app.config`` and send queued jobs when ``database``'s sessions commit;
    ``outbox`` is the model whose rows record them in the same transaction."""
    global _settings
    config = app.config
    _settings = _Settings(database, outbox, config["JOB_RESULT_TTL"], config["JOB_FAILURE_TTL"],
                          config["JOB_ABANDONED_AFTER"], config["JOB_HEARTBEAT_EVERY"], config["JOB_MAINTENANCE_EVERY"],
                          timedelta(seconds=config["JOB_OUTBOX_GRACE"]))
    session_class = database.session.session_factory.class_
    if not event.contains(session_class, "after_commit", _send_pending_jobs):
        event.listen(session_class, "after_commit", _send_pending_jobs)
        event.listen(session_class, "after_transaction_end", _drop_pending_jobs)


def _configured() -> _Settings:
    if _settings is None:
        raise RuntimeError("Jobs are not configured in this process: build the app with create_app() first")
    return _settings


def get_queue(name: str = "default") -> Queue:
    if name not in QUEUE_NAMES:
        raise ValueError(f"unknown queue {name!r}")
    return Queue(name, connection=get_redis(), serializer=JSONSerializer)


def all_queues() -> list[Queue]:
    return [get_queue(name) for name in QUEUE_NAMES]


def _with_default_ttls(options: dict) -> dict:
    settings = _configured()
    return {"result_ttl": settings.result_ttl, "failure_ttl": settings.failure_ttl} | options


def enqueue_now(func_path: str, *args, queue: str = "default", **options):
    """Enqueue outside any transaction (CLI commands, the scheduler, a retry button)."""
    return get_queue(queue).enqueue(func_path, *args, **_with_default_ttls(options))


def enqueue_unique(func_path: str, *args, job_id: str, queue: str = "default", delay: timedelta | None = None,
                   **options) -> bool:
    """Enqueue under ``job_id`` unless a job with that id is still on its way; True when this call did.

    RQ's ``unique=True`` checks and enqueues in one Lua script, so of two callers racing for the same id
    exactly one wins. It refuses any existing job, also a finished or failed one that is only kept for
    its result or for the 后台任务 page: such a settled job is deleted first, and only while it is still
    the settled one (WATCH), so a racing caller's fresh job is never deleted.
    """
    target = get_queue(queue)
    _delete_if_settled(target, job_id)
    options = _with_default_ttls(options) | {"job_id": job_id, "unique": True}
    try:
        if delay:
            target.enqueue_in(delay, func_path, *args, **options)
        else:
            target.enqueue(func_path, *args, **options)
    except DuplicateJobError:
        return False
    return True


def _delete_if_settled(queue: Queue, job_id: str) -> None:
    with queue.connection.pipeline() as pipeline:
        try:
            pipeline.watch(Job.key_for(job_id))  # read after this, so a change since then fails the EXEC
            job = Job.fetch(job_id, connection=queue.connection, serializer=queue.serializer)
            if job.get_status(refresh=False) not in SETTLED:
                return
            pipeline.multi()
            job.delete(pipeline=pipeline)
            pipeline.execute()
        except (NoSuchJobError, InvalidJobOperation, WatchError):
            pass  # gone or replaced by another caller meanwhile; the unique enqueue decides who wins


def enqueue_after_commit(func_path: str, *args, queue: str = "default", **options) -> None:
    """Queue a job that is sent once the current session commits (and forgotten if it rolls back).

    The job is also a row of the jobs outbox, written in the caller's transaction, so a job Redis does
    not take after the commit is sent later by the sweeper instead of being lost (app/job_outbox.py).
    """
    get_queue(queue)  # fail now, inside the caller's transaction, on an unknown queue name
    settings = _configured()
    session = settings.database.session()
    # Jobs belong to the innermost open transaction; open one if there is none yet, or a rollback that
    # comes before any query (which would otherwise be a no-op) could not drop them.
    transaction = session.get_nested_transaction() or session.get_transaction() or session.begin()
    options = {"job_id": f"outbox-{uuid.uuid4().hex}"} | options
    session.add(settings.outbox(job_id=options["job_id"], func_path=func_path, queue=queue, args=list(args),
                                options=options))
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
    try:
        for job in jobs:
            enqueue_now(job.func_path, *job.args, queue=job.queue, **job.options)
    except REDIS_UNREACHABLE as error:  # committed all the same: the outbox sweeper sends them later
        logger.warning("Redis did not take %d job(s) after a commit (%s); the outbox keeps them", len(jobs), error)


def _drop_pending_jobs(session: Session, transaction: SessionTransaction) -> None:
    """A transaction that ends without its jobs having been sent or moved was rolled back (or closed)."""
    _pending_jobs(session).pop(transaction, None)


def forget_outbox_job(job_id: str) -> None:
    """The job ``job_id`` is being done: its outbox row goes in the job's own transaction."""
    settings = _configured()
    settings.database.session.execute(delete(settings.outbox).where(settings.outbox.job_id == job_id))


def in_outbox(job_id: str) -> bool:
    """Whether job ``job_id`` was queued after a commit and has not run successfully yet."""
    settings = _configured()
    return settings.database.session.scalar(
        select(settings.outbox.id).where(settings.outbox.job_id == job_id)) is not None


def sweep_outbox(now: datetime | None = None) -> dict[str, int]:
    """Queue every outbox job that Redis does not know (it was down, or lost it); forget those RQ failed.

    Rows younger than the outbox grace (JOB_OUTBOX_GRACE) are left alone: their commit's own enqueue may
    still be on its way.
    A job still queued, scheduled or running keeps its row, which its run deletes.
    """
    settings = _configured()
    session = settings.database.session
    cutoff = (now or datetime.now(UTC)) - settings.outbox_grace
    rows = session.scalars(select(settings.outbox).where(settings.outbox.created_at < cutoff)
                           .order_by(settings.outbox.id).limit(1000)).all()
    counts = {"sent": 0, "failed": 0, "waiting": 0}
    for row in rows:
        status = job_status(row.job_id, row.queue)
        if status is None:
            enqueue_now(row.func_path, *row.args, queue=row.queue, **row.options)
            counts["sent"] += 1
        elif status in SETTLED:  # a failure is RQ's to show and retry; a finished run deleted its row already
            session.delete(row)
            counts["failed"] += 1
        else:
            counts["waiting"] += 1
    return counts


#: RQ's cron scheduler beats about every minute at most; two missed beats mean it is gone.
SCHEDULER_STALE_AFTER = 180


@dataclass(frozen=True)
class Beat:
    """A process's last sign of life: who, how many seconds ago, and (a worker's) state and queues."""
    name: str
    seconds_ago: int
    state: str = ""
    queues: tuple[str, ...] = ()
    job_id: str | None = None


def scheduler_beat() -> Beat | None:
    """The newest heartbeat any of RQ's cron schedulers wrote; None when none has registered."""
    beats = get_redis().zrange(cron_scheduler_registry.get_registry_key(), -1, -1, withscores=True)
    if not beats:
        return None
    return Beat(beats[0][0].decode(), max(0, round(time.time() - beats[0][1])))


def worker_beats() -> list[Beat]:
    """Every registered worker with its last heartbeat; a dead worker drops out when its key expires."""
    now = datetime.now(UTC)
    beats = []
    for worker in Worker.all(connection=get_redis(), serializer=JSONSerializer):
        last = worker.last_heartbeat or worker.birth_date or now
        beats.append(Beat(worker.name, max(0, round((now - last).total_seconds())), str(worker.state),
                          tuple(worker.queue_names()), worker.get_current_job_id()))
    return sorted(beats, key=lambda beat: beat.name)


def current_job_id() -> str | None:
    """The RQ id of the job this code runs in, None outside a job."""
    current = get_current_job()
    return current.id if current is not None else None


def job_status(job_id: str, queue: str = "default") -> JobStatus | None:
    """The status of job ``job_id`` (None when there is no such job)."""
    target = get_queue(queue)
    try:
        return Job.fetch(job_id, connection=target.connection, serializer=target.serializer).get_status()
    except NoSuchJobError:
        return None


@dataclass(frozen=True)
class PendingWork:
    """Why a job id is taken: its status and since when, and the worker running it (if one is)."""
    status: JobStatus
    since: Any  # datetime (UTC) or None
    worker_name: str | None


def pending_work(job_id: str, queue: str = "default") -> PendingWork | None:
    """What the job ``job_id`` is doing, None when it is over or gone."""
    target = get_queue(queue)
    try:
        job = Job.fetch(job_id, connection=target.connection, serializer=target.serializer)
    except NoSuchJobError:
        return None
    status = job.get_status(refresh=False)
    if status in SETTLED:
        return None
    if status == JobStatus.STARTED:
        return PendingWork(status, job.started_at, job.worker_name)
    return PendingWork(status, job.enqueued_at or job.created_at, None)


def _requeue_abandoned(job: Job, exc_type, exc_value, traceback) -> None:
    """Exception handler: an abandoned job (its worker died) gets another run, up to MAX_ABANDONED_RUNS.

    RQ's StartedJobRegistry cleanup retries an abandoned job that has retries left and fails it
    otherwise; giving it one retry here is what makes RQ queue it again. Jobs are safe to run again:
    each is one transaction that the dead worker never committed, and outside calls record their state
    first (app/outside_calls.py).
    """
    if exc_type is not AbandonedJobError:
        return
    runs = job.meta.get("abandoned", 0) + 1
    if runs > MAX_ABANDONED_RUNS:
        logger.error("job %s was abandoned %d times: left failed", job.id, runs)
        return
    job.meta["abandoned"] = runs
    job.retries_left = (job.retries_left or 0) + 1
    logger.warning("job %s was abandoned by its worker: queued again (%d of %d)", job.id, runs, MAX_ABANDONED_RUNS)


class HeartbeatWorker(SimpleWorker):
    """RQ's SimpleWorker, whose running job keeps beating and whose abandoned jobs run again.

    A SimpleWorker runs the job in its own process and renews nothing while it does: its entry in the
    StartedJobRegistry was good for the job's whole timeout plus a minute, so a killed worker's job (and
    its deterministic id, and the lock it held) stayed "started" for that long. Here a thread renews the
    entry every HEARTBEAT_EVERY seconds for ABANDONED_AFTER seconds, and registry maintenance (which RQ
    runs between jobs) comes every MAINTENANCE_EVERY seconds and requeues what nobody renewed.
    """

    def __init__(self, queues, **options):
        settings = _configured()
        self.abandoned_after, self.heartbeat_every = settings.abandoned_after, settings.heartbeat_every
        options = {"worker_ttl": self.abandoned_after + settings.maintenance_every // 2,
                   "maintenance_interval": settings.maintenance_every,
                   "job_monitoring_interval": self.heartbeat_every, "serializer": JSONSerializer} | options
        super().__init__(queues, **options)
        self.push_exc_handler(_requeue_abandoned)

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        return self.abandoned_after

    def execute_job(self, job: Job, queue: Queue) -> None:
        done = threading.Event()
        beating = threading.Thread(target=self._beat_while_running, args=(job, done), daemon=True,
                                   name=f"heartbeat-{job.id}")
        beating.start()
        try:
            super().execute_job(job, queue)
        finally:
            done.set()
            beating.join()

    def _beat_while_running(self, job: Job, done: threading.Event) -> None:
        while not done.wait(self.heartbeat_every):
            execution = self.execution
            if execution is None:
                continue
            try:
                self.maintain_heartbeats(job, execution)
            except REDIS_UNREACHABLE as error:  # the job goes on; the next beat tries again
                logger.warning("worker %s: heartbeat failed (%s)", self.name, error)


class JSONCronJob(CronJob):
    """A CronJob that enqueues with the JSON serializer, which our workers read.

    RQ (3.0 as 2.x) builds the cron job's queue with its default pickle serializer and offers no option.
    This is RQ 3.0's ``CronJob.enqueue`` with the queue's serializer named and its log line kept on RQ's
    logger; ``tests/workers/test_jobs.py`` fails as soon as RQ's method differs from the one adapted here.
    """

    def enqueue(self, connection: Redis) -> Job:
        if not self.func:
            raise ValueError('CronJob has no function to enqueue. It may have been created for monitoring purposes.')
        queue = Queue(self.queue_name, connection=connection, serializer=JSONSerializer)
        with connection.pipeline() as pipeline:
            job = queue.enqueue(self.func, args=self.args, kwargs=self.kwargs, **self.job_options, pipeline=pipeline)
            assert job.enqueued_at is not None
            pipeline.zadd(self.job_history_key, {job.id: job.enqueued_at.timestamp()})
            pipeline.zremrangebyrank(self.job_history_key, 0, -(DEFAULT_CRON_JOB_HISTORY_LIMIT + 1))
            pipeline.expire(self.job_history_key, DEFAULT_CRON_JOB_HISTORY_TTL)
            cron_job_registry.add(self.name, pipeline, enqueue_timestamp=job.enqueued_at.timestamp())
            pipeline.execute()
        logging.getLogger('rq.cron').info(f'Enqueued job {self.func.__name__} to queue {self.queue_name}')
        return job


class JSONCronScheduler(CronScheduler):
    """RQ's own cron scheduler, whose jobs enqueue with the JSON serializer and which may lose Redis."""

    def register(self, func, queue_name, **options) -> JSONCronJob:
        cron_job = super().register(func, queue_name, **options)
        # RQ builds a plain CronJob and offers no way to name another class; JSONCronJob has no state of
        # its own, only its enqueue, so the job RQ built (and validated, and logged) becomes one.
        cron_job.__class__ = JSONCronJob
        return cron_job

    def register_death(self, pipeline=None) -> None:
        # RQ unregisters in start()'s finally; with Redis gone that raised a second ConnectionError and
        # hid the first. The registry entry expires on its own once heartbeats stop.
        try:
            super().register_death(pipeline)
        except REDIS_UNREACHABLE as error:
            self.log.warning("CronScheduler %s: could not unregister (%s)", self.name, error)


def run_cron_scheduler(scheduler: CronScheduler) -> None:
    """Run ``scheduler`` until it is told to stop (SIGTERM, Ctrl-C), starting it again after Redis outages.

    RQ's loop ends on the first Redis error. Its jobs keep their last enqueue times in this process, so
    after a restart every job that fell due during the outage is enqueued once, not once per missed run.
    """
    _run_through_redis_outages("scheduler", scheduler.start)


def run_worker(make_worker: Callable[[], Worker], burst: bool = False) -> None:
    """Run a worker until it is told to stop or (``burst``) the queues are empty, and a new one after each
    Redis outage: RQ's worker loop ends on the first Redis error, and a process that exits leaves its
    queues unserved until a supervisor notices. A job that was running then is found abandoned and
    runs again (or, when Redis came back empty, its outbox row is sent again by the sweeper)."""
    _run_through_redis_outages("worker", lambda: make_worker().work(burst=burst, with_scheduler=True))


def _run_through_redis_outages(what: str, run: Callable[[], object]) -> None:
    failures = 0
    while True:
        started = time.monotonic()
        try:
            run()
            return
        except (KeyboardInterrupt, StopRequested):
            # Ctrl-C reaches the whole process group and run-all then sends SIGTERM as well: the second
            # signal lands while RQ unregisters the scheduler. Stopping is what both asked for.
            return
        except REDIS_UNREACHABLE as error:
            failures = failures + 1 if time.monotonic() - started < 60 else 1
            delay = RECONNECT_DELAYS[min(failures, len(RECONNECT_DELAYS)) - 1]
            logger.warning("%s lost Redis (%s); starting again in %d s", what, error, delay)
        try:
            time.sleep(delay)
        except (KeyboardInterrupt, StopRequested):  # RQ's signal handlers are still installed
            return


def cron_scheduler(config_module: str = "workers.cron") -> JSONCronScheduler:
    """The scheduler with every periodic job of ``config_module`` (loaded by name: app never imports workers).

    RQ 3 reads cron expressions in the process's local time; ours are written in UTC, so this process's
    local time is made UTC first ("UTC0" is the POSIX spelling, which needs no time zone database).
    """
    os.environ["TZ"] = "UTC0"
    time.tzset()
    scheduler = JSONCronScheduler(connection=get_redis())
    scheduler.load_config_from_file(config_module)
    return scheduler
