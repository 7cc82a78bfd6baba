"""One app per worker process, and the wrapper that gives every job one unit of work and one log line.

A job runs inside an app context (the worker's, or one built here when a plain ``rq worker`` runs it),
commits once if it succeeds and rolls back if it raises, so a failed job leaves nothing half-written and
RQ records the failure in its FailedJobRegistry. Each run writes exactly one line: the job's name, its
RQ id, the outcome and the duration (INFO when it finished, ERROR when it failed; RQ's worker logs the
traceback and keeps it for the 后台任务 page).
"""

import logging
import time
from functools import cache, wraps

from flask import Flask, has_app_context
from rq import get_current_job

from app import create_app
from app.extensions import db
from app.jobs import forget_outbox_job, sweep_outbox

logger = logging.getLogger(__name__)


@cache
def get_app() -> Flask:
    return create_app()


def job(func):
    """Run ``func`` as one transaction in an app context."""

    @wraps(func)
    def run(*args, **kwargs):
        if has_app_context():
            return _unit_of_work(func, args, kwargs)
        with get_app().app_context():
            return _unit_of_work(func, args, kwargs)

    return run


def _unit_of_work(func, args, kwargs):
    started = time.monotonic()
    current = get_current_job()
    try:
        result = func(*args, **kwargs)
        if current is not None:
            forget_outbox_job(current.id)
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        first_line = str(error).partition("\n")[0]  # one line per job, also for a database error's essay
        _log_run(func, started, f"failed: {type(error).__name__}: {first_line}", logging.ERROR)
        raise
    finally:
        db.session.remove()
    _log_run(func, started, "finished", logging.INFO)
    return result


def _log_run(func, started: float, outcome: str, level: int) -> None:
    current = get_current_job()
    milliseconds = round((time.monotonic() - started) * 1000)
    logger.log(level, "job %s.%s %s %s in %d ms", func.__module__, func.__qualname__,
               current.id if current else "(not queued)", outcome, milliseconds)


@job
def sweep_job_outbox() -> dict[str, int]:
    """Every minute: jobs committed while Redis did not take them are queued now (app/job_outbox.py)."""
    return sweep_outbox()
