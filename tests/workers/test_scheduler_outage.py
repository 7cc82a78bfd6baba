"""The scheduler and the workers survive a Redis outage: they keep running, and enqueue and work again
once Redis is back."""

import os
import signal
import subprocess
import sys
import time

import redis
from rq import Queue
from rq.exceptions import StopRequested
from rq.serializers import JSONSerializer

from app import jobs
from tests.conftest import wait_for
from tests.processes import PROJECT, flask_env, free_port, migrate, start_flask, start_redis, stop


def test_the_scheduler_outlives_a_redis_outage_and_enqueues_again_afterwards(tmp_path):
    port = free_port()
    server = start_redis(port, tmp_path)
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "TZ")}
    env |= {"REDIS_URL": f"redis://127.0.0.1:{port}/0", "ORDERHUB_INSTANCE_PATH": str(tmp_path),
            "PYTHONPATH": str(PROJECT)}
    scheduler = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "scheduler"], cwd=PROJECT,
                                 env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    client = redis.Redis(port=port)
    stock_scans = "rq:queue:channels"  # channel_sync.scan_stock_changes: every 3 seconds
    try:
        assert wait_for(lambda: client.llen(stock_scans) > 0), "the scheduler never enqueued"

        server.terminate()
        server.wait(timeout=10)
        time.sleep(4)  # several enqueues and heartbeats fail meanwhile
        assert scheduler.poll() is None, "the scheduler died with Redis"

        server = start_redis(port, tmp_path)  # empty: nothing saved
        assert wait_for(lambda: client.llen(stock_scans) > 0), "the scheduler did not enqueue after the outage"
        assert scheduler.poll() is None
    finally:
        scheduler.send_signal(signal.SIGTERM)
        try:
            scheduler.wait(timeout=20)
        finally:
            scheduler.kill()
            server.terminate()
            server.wait(timeout=10)
    log = scheduler.stderr.read()
    assert scheduler.returncode == 0, log
    assert "scheduler lost Redis" in log


class StoppedWhileUnregistering:
    """RQ raises StopRequested from start()'s clean-up when a second signal arrives (Ctrl-C, then run-all's SIGTERM)."""

    def start(self):
        raise StopRequested()


def test_a_second_stop_signal_while_unregistering_ends_the_scheduler_quietly():
    jobs.run_cron_scheduler(StoppedWhileUnregistering())  # returns instead of raising a traceback at the operator


def test_a_worker_outlives_a_redis_outage_and_works_again_afterwards(tmp_path):
    port = free_port()
    server = start_redis(port, tmp_path)
    client = redis.Redis(port=port)
    queue = Queue("default", connection=client, serializer=JSONSerializer)
    env = flask_env(f"redis://127.0.0.1:{port}/0", tmp_path)
    migrate(env)
    worker = start_flask(["worker", "default"], env, tmp_path / "w.log")
    try:
        queue.enqueue("tests.workers.sample_jobs.count_runs", "runs")
        assert wait_for(lambda: client.get("runs") == b"1"), (tmp_path / "w.log").read_text()

        server.terminate()
        server.wait(timeout=10)
        time.sleep(4)
        assert worker.poll() is None, "the worker died with Redis"

        server = start_redis(port, tmp_path)
        queue.enqueue("tests.workers.sample_jobs.count_runs", "runs")
        assert wait_for(lambda: client.get("runs") == b"1", timeout=60), (tmp_path / "w.log").read_text()
        assert worker.poll() is None
    finally:
        stop(worker)
        stop(server)


def test_a_worker_that_lost_redis_is_replaced_by_a_fresh_one_after_a_pause(monkeypatch, caplog):
    class Worker:
        made = 0

        def __init__(self):
            Worker.made += 1

        def work(self, burst, with_scheduler):
            if Worker.made < 3:
                raise redis.exceptions.ConnectionError("Connection refused")

    pauses = []
    monkeypatch.setattr(jobs.time, "sleep", pauses.append)

    jobs.run_worker(Worker, burst=True)

    assert Worker.made == 3 and pauses == [1, 2]
    assert caplog.text.count("worker lost Redis") == 2
