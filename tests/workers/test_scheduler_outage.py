"""The scheduler survives a Redis outage: it keeps running, and enqueues again once Redis is back."""

import os
import signal
import subprocess
import sys
import time

import redis
from rq.exceptions import StopRequested

from app.jobs import run_cron_scheduler
from tests.conftest import wait_for
from tests.processes import PROJECT, free_port, start_redis


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
    run_cron_scheduler(StoppedWhileUnregistering())  # returns instead of raising a traceback at the operator
