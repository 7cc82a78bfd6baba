"""A running OrderHub of the fault tests' own: a PostgreSQL database and a Redis server nobody else
uses, the real ``flask worker`` and ``flask scheduler`` commands as subprocesses, and the Taobao and
Youzan simulators served in this process on free ports (their faults switched on and off directly).

The stack's job intervals are shortened through settings (a killed worker's job is found abandoned
after seconds, the outbox sweeper takes rows after seconds), not by sleeping in the tests.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis
from rq import Queue, Worker, cron_scheduler_registry
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.serializers import JSONSerializer
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.domain.channels.adapters.taobao import TaobaoAdapter
from app.domain.channels.adapters.youzan import YouzanAdapter
from app.domain.channels.queueing import pull_job_id
from app.jobs import SETTLED
from app.simulators.shop_platform import Running, now_gmt8, serve
from app.simulators.taobao import TaobaoSimulator
from app.simulators.youzan import YouzanSimulator
from tests.conftest import POSTGRES, wait_for
from tests.processes import PROJECT, flask_env, free_port, migrate, start_flask, start_redis, stop

REDIS_SERVER = shutil.which("redis-server")

#: The suite runs in CI's PostgreSQL + Redis stage; each test module marks itself with this.
needs_servers = pytest.mark.skipif(
    not (POSTGRES and REDIS_SERVER),
    reason="the fault suite needs DATABASE_URL=postgresql://… and redis-server on PATH (CI's PostgreSQL + Redis stage)")

#: Settings of the stack's processes: short job intervals, and a platform call times out after 2 s.
FAST = {"JOB_ABANDONED_AFTER": "6", "JOB_HEARTBEAT_EVERY": "2", "JOB_MAINTENANCE_EVERY": "3",
        "JOB_OUTBOX_GRACE": "5", "CHANNEL_READ_TIMEOUT": "2", "LOG_LEVEL": "INFO"}
#: Seconds a process of the stack may take to start.
STARTUP = 120


def scheduler_registered(connection: redis.Redis) -> bool:
    return bool(connection.zcard(cron_scheduler_registry.get_registry_key()))


@dataclass
class Stack:
    folder: Path
    database_url: str
    redis_port: int
    env: dict[str, str]
    taobao: Running
    youzan: Running
    channels: dict[str, int] = field(default_factory=dict)
    redis_server: subprocess.Popen | None = None
    worker: subprocess.Popen | None = None
    scheduler: subprocess.Popen | None = None
    prober: subprocess.Popen | None = None
    workers_started: int = 0

    @property
    def redis(self) -> redis.Redis:
        return redis.Redis(port=self.redis_port)

    def start_redis(self) -> None:
        self.redis_server = start_redis(self.redis_port, self.folder, executable=REDIS_SERVER)

    def stop_redis(self) -> None:
        stop(self.redis_server)

    def start_worker(self) -> None:
        """A worker process, once it has registered with Redis (starting a process is not what is tested,
        and on a busy machine it takes a while)."""
        self.workers_started += 1
        self.worker = start_flask(["worker"], self.env, self.folder / f"worker-{self.workers_started}.log")
        assert wait_for(lambda: self.worker.pid in {worker.pid for worker in Worker.all(connection=self.redis)},
                        timeout=STARTUP), self.logs()

    def start_scheduler(self) -> None:
        self.scheduler = start_flask(["scheduler"], self.env, self.folder / "scheduler.log")
        assert wait_for(lambda: scheduler_registered(self.redis), timeout=STARTUP), self.logs()

    def kill_worker(self) -> None:
        """SIGKILL: no clean-up, no goodbye to Redis, the running job left "started"."""
        self.worker.send_signal(signal.SIGKILL)
        self.worker.wait()

    def logs(self) -> str:
        return "\n".join(f"---- {log.name}\n{log.read_text()[-4000:]}" for log in sorted(self.folder.glob("*.log")))

    def start_probe(self) -> None:
        with (self.folder / "probe.log").open("a") as log:
            self.prober = subprocess.Popen([sys.executable, "-m", "tests.faults.probe"], cwd=PROJECT, env=self.env,
                                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True)

    def probe(self, *args: str) -> dict:
        self.prober.stdin.write(json.dumps(args) + "\n")
        self.prober.stdin.flush()
        answer = json.loads(self.prober.stdout.readline())
        assert "error" not in answer, answer["error"]
        return answer["ok"]

    def pull_now(self, code: str = "taobao") -> None:
        """What the 立即同步 button does: the shop's one pull job, unless it is already on its way."""
        queue = Queue("channels", connection=self.redis, serializer=JSONSerializer)
        channel_id = self.channels[code]
        try:
            status = Job.fetch(pull_job_id(channel_id), connection=self.redis, serializer=JSONSerializer).get_status()
        except NoSuchJobError:
            status = None
        if status is None or status in SETTLED:
            queue.enqueue("workers.channel_sync.pull_channel", channel_id, "manual",
                          job_id=pull_job_id(channel_id), job_timeout=15 * 60)

    def new_taobao_orders(self, count: int) -> set[str]:
        simulator = self.taobao.simulator
        before = set(simulator.state.orders)
        for _ in range(count):
            simulator.new_order(simulator.default_sessions["sim-taobao-session"], now_gmt8())
        return set(simulator.state.orders) - before

    def platform_calls(self, simulator: Running, word: str) -> int:
        with simulator.simulator.state.lock:
            return sum(count for method, count in simulator.simulator.state.counters.items() if word in method)


def faults_database_url() -> str:
    """A database of the suite's own next to the one the tests were given (dropped afterwards)."""
    given = make_url(os.environ["DATABASE_URL"])
    return given.set(database=f"{given.database}_faults_{uuid.uuid4().hex[:8]}").render_as_string(hide_password=False)


def admin_engine(database_url: str):
    return create_engine(make_url(database_url).set(database="postgres"), isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    folder = tmp_path_factory.mktemp("faults")
    database_url = faults_database_url()
    admin = admin_engine(database_url)
    name = make_url(database_url).database
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    taobao, youzan = serve(TaobaoSimulator(seed=5)), serve(YouzanSimulator(seed=6))
    port = free_port()
    env = flask_env(f"redis://127.0.0.1:{port}/0", folder, DATABASE_URL=database_url, **FAST,
                    TAOBAO_GATEWAY_URL=taobao.url + urlsplit(TaobaoAdapter.default_gateway).path,
                    YOUZAN_GATEWAY_URL=youzan.url + urlsplit(YouzanAdapter.default_gateway).path)
    running = Stack(folder, database_url, port, env, taobao, youzan)
    try:
        running.start_redis()
        migrate(env)
        running.start_probe()
        running.channels = running.probe("seed")
        running.start_worker()
        running.start_scheduler()
        yield running
    finally:
        if running.prober is not None:
            running.prober.stdin.close()
            running.prober.wait(timeout=30)
        for process in (running.worker, running.scheduler):
            if process is not None:
                stop(process)
        if running.redis_server is not None:
            stop(running.redis_server)
        taobao.stop()
        youzan.stop()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def resumed(condition, timeout: float = 60) -> bool:
    """Poll until ``condition`` holds: work that a fault interrupted must be done again within a minute."""
    return wait_for(condition, timeout=timeout)


def settle(seconds: float) -> None:
    """Let a fault last (an outage) for this long."""
    time.sleep(seconds)
