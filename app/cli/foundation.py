"""Accounts, demo data, worker, scheduler, and the all-in-one dev runner."""

import logging
import os
import signal
import sys
import threading
from urllib.request import urlopen

import click
from flask import current_app
from flask.cli import with_appcontext
from rq import Worker

from app import logging_setup, redis_conn
from app.auth.roles import Role
from app.auth.services import create_user
from app.cli import simulators
from app.cli.supervisor import Supervisor, announce_when_ready
from app.domain.audit import services as audit
from app.domain.audit.models import AuditAction
from app.domain.errors import ValidationError
from app.extensions import db
from app.jobs import QUEUE_NAMES, HeartbeatWorker, all_queues, cron_scheduler, run_cron_scheduler, run_worker
from app.redis_conn import get_redis

logger = logging.getLogger(__name__)


@click.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice([str(role) for role in Role]), required=True)
@click.option("--display-name", default="")
@click.password_option(prompt="密码 Password")
@with_appcontext
def create_user_command(username, role, display_name, password):
    """Create a staff user (asks for the password)."""
    try:
        user = create_user(username, role, password, display_name)
    except ValidationError as error:
        raise click.ClickException("; ".join(error.fields.values())) from error
    audit.record("cli", AuditAction.CREATE_USER, f"user:{user.username}", f"role={user.role}", source="cli")
    db.session.commit()
    click.echo(f"Created {user.username} ({user.role})")


@click.command("seed-demo")
@with_appcontext
def seed_demo_command():
    """Create the demo merchant (idempotent; refused in production)."""
    from app.demo import seed_demo

    if current_app.config["ORDERHUB_ENV"] == "production":
        raise click.ClickException("Demo data is refused in production mode (ORDERHUB_ENV=production).")
    created = seed_demo()
    db.session.commit()
    click.echo("Demo data: " + ", ".join(f"{name} +{count}" for name, count in created.items()))


@click.command("worker")
@click.argument("queues", nargs=-1)
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@with_appcontext
def worker_command(queues, burst):
    """Work on the given queues (default: all of them), with RQ's scheduler for retries and delays.

    A SimpleWorker runs jobs in this process instead of forking one per job: forking costs several times
    the job itself for short jobs, and a forked child would inherit this process's database connections.
    Ours beats while a job runs, so a job whose worker was killed runs again within a minute (app/jobs.py).
    """
    unknown = set(queues) - set(QUEUE_NAMES)
    if unknown:
        raise click.BadParameter(f"unknown queues: {', '.join(sorted(unknown))}")
    logging_setup.configure_logging(current_app.config["LOG_LEVEL"], role="worker")
    selected = [queue for queue in all_queues() if not queues or queue.name in queues]

    def make_worker() -> HeartbeatWorker:
        worker = HeartbeatWorker(selected, connection=get_redis())
        # RQ's own start-up lines are below the level its loggers are set to: say once what this one does.
        logger.info("worker %s on queues %s", worker.name, ", ".join(queue.name for queue in selected))
        return worker

    run_worker(make_worker, burst)


@click.command("scheduler")
@with_appcontext
def scheduler_command():
    """Run RQ's cron scheduler with the periodic jobs listed in workers/cron.py."""
    logging_setup.configure_logging(current_app.config["LOG_LEVEL"], role="scheduler")
    scheduler = cron_scheduler()
    logger.info("scheduler %s with %d periodic jobs", scheduler.name, len(scheduler.get_jobs()))
    run_cron_scheduler(scheduler)


@click.command("run-all")
@click.option("--port", default=lambda: int(os.environ.get("PORT", 5000)), show_default="$PORT or 5000")
@with_appcontext
def run_all_command(port):
    """Web + worker + scheduler (+ the simulators, for simulated providers) in the foreground, sharing one
    Redis; one that dies is started again; Ctrl-C stops them all."""
    logging_setup.configure_logging(current_app.config["LOG_LEVEL"], role="run-all")
    env = os.environ | {"REDIS_URL": current_app.config["REDIS_URL"], "PYTHONUNBUFFERED": "1"}
    env |= simulators.environment(current_app.config)
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    commands = {
        **({"simulators": [*flask, "simulators"]} if simulators.needed(current_app.config) else {}),
        "web": [*flask, "run", "--host", "127.0.0.1", "--port", str(port)],
        "worker": [*flask, "worker"],
        "scheduler": [*flask, "scheduler"],
    }
    supervisor = Supervisor(commands, env)
    banner = run_all_banner(port)
    click.echo("\n" + "\n".join(banner) + "\n")
    stopped = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    announce_when_ready(lambda: stack_is_up(port), [*banner, "Everything is up."], stopped)
    supervisor.run(stopped)
    redis_conn.let_embedded_redis_stop()


def run_all_banner(port: int) -> list[str]:
    return [f"OrderHub  staff http://127.0.0.1:{port}/staff/   portal http://127.0.0.1:{port}/portal",
            "Demo logins (password orderhub-demo): admin kefu cangku yunying caiwu caiwuzhuguan · Ctrl-C stops all"]


def stack_is_up(port: int) -> bool:
    """The web process answers ready (database and Redis reachable) and a worker is taking jobs."""
    with urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
        if response.status != 200:
            return False
    return Worker.count(connection=get_redis()) > 0


COMMANDS = (create_user_command, seed_demo_command, worker_command, scheduler_command, run_all_command)
