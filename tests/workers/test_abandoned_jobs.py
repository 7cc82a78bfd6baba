"""A job whose worker is killed (SIGKILL: no clean-up at all) runs again within a minute."""

import signal
import time

import redis
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from app.config import Config
from app.jobs import ABANDONED_AFTER, MAINTENANCE_EVERY, HeartbeatWorker, get_queue
from app.redis_conn import get_redis
from tests.conftest import wait_for
from tests.processes import flask_env, free_port, migrate, start_flask, start_redis, stop

HANGING_JOB = "tests.workers.sample_jobs.count_runs_and_hang_the_first"


def test_a_job_whose_worker_was_killed_is_found_abandoned_and_runs_again_within_a_minute(tmp_path):
    port = free_port()
    server = start_redis(port, tmp_path)
    client = redis.Redis(port=port)
    env = flask_env(f"redis://127.0.0.1:{port}/0", tmp_path)
    migrate(env)
    queue = get_queue("default").__class__("default", connection=client, serializer=JSONSerializer)
    job = queue.enqueue(HANGING_JOB, "runs", job_id="hangs-first", job_timeout=3600)
    worker = start_flask(["worker", "default"], env, tmp_path / "worker-1.log")
    replacement = None
    try:
        assert wait_for(lambda: client.get("runs") == b"1"), "the worker never started the job"
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        killed_at = time.monotonic()
        assert job.get_status() == JobStatus.STARTED  # nobody told RQ

        replacement = start_flask(["worker", "default"], env, tmp_path / "worker-2.log")
        assert wait_for(lambda: job.get_status() == JobStatus.FINISHED, timeout=60), \
            (tmp_path / "worker-2.log").read_text()
        assert time.monotonic() - killed_at < ABANDONED_AFTER + 3 * MAINTENANCE_EVERY + 10
        finished = Job.fetch("hangs-first", connection=client, serializer=JSONSerializer)
        assert finished.return_value() == 2
        assert finished.meta["abandoned"] == 1
    finally:
        stop(worker)
        if replacement is not None:
            stop(replacement)
        stop(server)


def test_a_live_workers_running_job_keeps_its_started_entry_fresh(tmp_path):
    port = free_port()
    server = start_redis(port, tmp_path)
    client = redis.Redis(port=port)
    queue = get_queue("default").__class__("default", connection=client, serializer=JSONSerializer)
    queue.enqueue(HANGING_JOB, "runs", job_id="hangs", job_timeout=3600)
    worker = start_flask(["worker", "default"], flask_env(f"redis://127.0.0.1:{port}/0", tmp_path),
                         tmp_path / "worker.log")
    try:
        assert wait_for(lambda: client.get("runs") == b"1")
        entries = lambda: client.zrange(queue.started_job_registry.key, 0, -1, withscores=True)  # noqa: E731
        assert wait_for(lambda: len(entries()) == 1)
        before = entries()[0][1]
        assert before - time.time() <= ABANDONED_AFTER + 1  # not the job's hour of timeout
        assert wait_for(lambda: entries()[0][1] > before + 2, timeout=ABANDONED_AFTER)
        assert client.get("runs") == b"1"  # never abandoned while its worker lives
    finally:
        worker.kill()  # a warm stop would wait for the hanging job
        worker.wait()
        stop(server)


def test_the_abandon_heartbeat_and_maintenance_intervals_come_from_the_settings(app, make_app):
    settings = Config.from_environment({"JOB_ABANDONED_AFTER": "6", "JOB_HEARTBEAT_EVERY": "2",
                                        "JOB_MAINTENANCE_EVERY": "3", "JOB_OUTBOX_GRACE": "5"})
    assert (settings["JOB_ABANDONED_AFTER"], settings["JOB_OUTBOX_GRACE"]) == (6, 5)
    same_servers = {name: app.config[name] for name in ("INSTANCE_PATH", "REDIS_URL", "SQLALCHEMY_DATABASE_URI")}
    make_app(same_servers | {name: value for name, value in settings.items() if name.startswith("JOB_")})

    worker = HeartbeatWorker([get_queue("default")], connection=get_redis())

    assert worker.get_heartbeat_ttl(None) == 6 and worker.heartbeat_every == 2
    assert worker.maintenance_interval == 3 and worker.worker_ttl == 6 + 3 // 2
