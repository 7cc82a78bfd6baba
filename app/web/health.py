"""Health endpoints for load balancers and supervisors (JSON, no login, no session).

``/healthz`` says the process answers. ``/readyz`` says whether this process can do useful work: it
answers 503 when the database or Redis cannot be reached, and 200 otherwise. The scheduler's heartbeat
and the queues are reported but do not fail readiness: a web process serves pages without them, and
taking every web process out of the load balancer because the scheduler died would turn one fault into
an outage. An operator alerts on ``scheduler.status`` and ``queues`` instead.
"""

import time

from flask import Blueprint, jsonify
from redis.exceptions import RedisError
from rq.job import Job
from rq.serializers import JSONSerializer
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.jobs import SCHEDULER_STALE_AFTER, all_queues, scheduler_beat, worker_beats
from app.redis_conn import get_redis

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    database = _check_database()
    redis_state = _check_redis()
    report = {"database": database, "redis": redis_state}
    if redis_state["ok"]:
        report["scheduler"] = _scheduler_state()
        report["workers"] = [{"name": beat.name, "state": beat.state, "queues": list(beat.queues),
                              "last_beat_seconds_ago": beat.seconds_ago} for beat in worker_beats()]
        report["queues"] = _queue_states()
    else:
        report["scheduler"] = {"status": "unknown"}
    ready = database["ok"] and redis_state["ok"]
    report["status"] = "ok" if ready else "unavailable"
    return jsonify(report), 200 if ready else 503


def _check_database() -> dict:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        db.session.rollback()
        return {"ok": False, "error": type(error).__name__}
    return {"ok": True}


def _check_redis() -> dict:
    try:
        get_redis().ping()
    except RedisError as error:
        return {"ok": False, "error": type(error).__name__}
    return {"ok": True}


def _scheduler_state() -> dict:
    """The newest heartbeat any of RQ's cron schedulers wrote; "absent" when none has registered."""
    beat = scheduler_beat()
    if beat is None:
        return {"status": "absent"}
    return {"status": "ok" if beat.seconds_ago <= SCHEDULER_STALE_AFTER else "stale",
            "last_beat_seconds_ago": beat.seconds_ago}


def _queue_states() -> dict:
    states = {}
    for queue in all_queues():
        states[queue.name] = {
            "waiting": queue.count,
            "started": queue.started_job_registry.count,
            "failed": queue.failed_job_registry.count,
            "oldest_waiting_seconds": _oldest_waiting_age(queue),
        }
    return states


def _oldest_waiting_age(queue) -> int | None:
    job_ids = queue.get_job_ids(0, 1)
    job = Job.fetch_many(job_ids, connection=get_redis(), serializer=JSONSerializer)[0] if job_ids else None
    if job is None or job.enqueued_at is None:
        return None
    return max(0, round(time.time() - job.enqueued_at.timestamp()))
