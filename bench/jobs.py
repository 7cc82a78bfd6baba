"""Benchmark: short jobs per second for one worker, OrderHub's worker class beside RQ's forking ``Worker``.

    .venv/bin/python bench/jobs.py [--jobs 500] [--rounds 3] [--database-url URL] [--redis URL]

Both workers take the same jobs from the same Redis, one after the other, in burst mode (stop when the
queue is empty), inside the app context that ``flask worker`` gives them, as in production:

* OrderHub's ``HeartbeatWorker`` (app/jobs.py: RQ's ``SimpleWorker``, the job runs in the worker
  process, a thread renews its heartbeat while it runs);
* RQ's default ``Worker``, which forks a work horse for every job (the app is built before the fork, so
  each child inherits it; the database pool is emptied first, so no child uses the parent's sockets).

Two kinds of short job: ``noop`` (does nothing: the workers' own cost per job, as in RQ's
docs/benchmark.md) and OrderHub's real ``workers.runtime.sweep_job_outbox`` (the minute's outbox sweep:
an app context, one query, a commit, one log line). Each worker class runs each kind ``--rounds`` times
on ``--jobs`` jobs; the median round counts. The database (PostgreSQL by default, a dedicated one that
is created, migrated and dropped) and the Redis db are emptied before and after. The last line is
``RESULT jobs ours_per_s=… forking_per_s=… ratio=…`` for the real job. The workers' own log lines
(one per job, as in production) go to a file whose path is printed, not to the screen.
"""

import argparse
import contextlib
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

QUEUE = "default"
JOB_KINDS = {"noop": "jobs.noop", "outbox sweep": "workers.runtime.sweep_job_outbox"}


def noop() -> None:
    """The job that does nothing (enqueued by name from this module, found on the script's folder)."""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/orderhub_jobs_bench"),
        help="a PostgreSQL database whose name contains 'bench' (created, migrated and dropped)")
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/6"))
    parser.add_argument("--jobs", type=int, default=500, help="jobs per round")
    parser.add_argument("--rounds", type=int, default=3)
    return parser.parse_args()


def recreate_database(url: str) -> None:
    import psycopg

    server, _, name = url.rpartition("/")
    if "bench" not in name:
        raise SystemExit(f"refusing to recreate {name!r}: the database's name must contain 'bench'")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    import psycopg

    server, _, name = url.rpartition("/")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_round(worker_class, func_path: str, count: int) -> float:
    """Queue ``count`` jobs, then let one worker of ``worker_class`` run them all; jobs per second."""
    from rq.serializers import JSONSerializer

    from app.extensions import db
    from app.jobs import HeartbeatWorker, enqueue_now, get_queue
    from app.redis_conn import get_redis

    queue = get_queue(QUEUE)
    for _ in range(count):
        enqueue_now(func_path, queue=QUEUE)
    db.session.remove()
    db.engine.dispose()  # a forked work horse must not inherit the parent's open connections
    options = {} if worker_class is HeartbeatWorker else {"serializer": JSONSerializer}
    worker = worker_class([queue], connection=get_redis(), **options)
    started = time.perf_counter()
    worker.work(burst=True, with_scheduler=False)
    elapsed = time.perf_counter() - started
    failed = queue.failed_job_registry.count
    finished = queue.finished_job_registry.count
    if failed or finished != count:
        raise RuntimeError(f"{worker_class.__name__} on {func_path}: {finished} finished, {failed} failed "
                           f"of {count}")
    get_redis().flushdb()
    return count / elapsed


def main() -> int:
    args = parse_args()
    os.environ.update({"DATABASE_URL": args.database_url, "REDIS_URL": args.redis})
    recreate_database(args.database_url)
    import flask_migrate
    from rq import Worker

    from app import logging_setup
    from app.jobs import HeartbeatWorker
    from app.redis_conn import get_redis
    from workers.runtime import get_app

    app = get_app()  # the app the jobs run in, as ``flask worker`` builds it once per process
    logging_setup.configure_logging(app.config["LOG_LEVEL"], role="worker")
    print(f"OrderHub jobs benchmark — {os.cpu_count()} CPUs, {platform.platform()}, Python "
          f"{platform.python_version()}")
    print(f"database {args.database_url}, redis {args.redis}; {args.jobs} jobs per round, {args.rounds} "
          f"rounds, median round counted; one worker, burst mode, in the app context")
    classes = {"ours (HeartbeatWorker, no fork)": HeartbeatWorker, "RQ Worker (fork per job)": Worker}
    rates: dict[tuple[str, str], float] = {}
    log_path = Path(tempfile.mkdtemp(prefix="orderhub-jobs-bench-")) / "workers.log"
    try:
        with app.app_context(), log_path.open("w") as log, contextlib.redirect_stderr(log):
            flask_migrate.upgrade()
            get_redis().flushdb()
            for kind, func_path in JOB_KINDS.items():
                for label, worker_class in classes.items():
                    run_round(worker_class, func_path, min(50, args.jobs))  # warm-up: imports, pool, caches
                    rounds = [run_round(worker_class, func_path, args.jobs) for _ in range(args.rounds)]
                    rates[kind, label] = statistics.median(rounds)
                    print(f"  {kind:<13} {label:<32} {rates[kind, label]:7.0f} jobs/s "
                          f"({1000 / rates[kind, label]:5.2f} ms per job; rounds "
                          f"{', '.join(f'{rate:.0f}' for rate in rounds)})")
            get_redis().flushdb()
    finally:
        from app.extensions import db

        with app.app_context():
            db.engine.dispose()
        drop_database(args.database_url)
    print(f"the workers' log: {log_path}")
    ours, forking = (rates["outbox sweep", label] for label in classes)
    noop_ours, noop_forking = (rates["noop", label] for label in classes)
    print(f"no-op jobs: ours {noop_ours / noop_forking:.1f}x the forking worker; "
          f"real short job (outbox sweep): {ours / forking:.1f}x")
    print(f"RESULT jobs ours_per_s={ours:.0f} forking_per_s={forking:.0f} ratio={ours / forking:.2f} "
          f"noop_ours_per_s={noop_ours:.0f} noop_forking_per_s={noop_forking:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
