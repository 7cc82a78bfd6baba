"""One app per worker process, and the wrapper that gives every job one unit of work.

A job runs inside an app context (the worker's, or one built here when a plain ``rq worker`` runs it),
commits once if it succeeds and rolls back if it raises, so a failed job leaves nothing half-written and
RQ records the failure in its FailedJobRegistry.
"""

import logging
from functools import cache, wraps

from flask import Flask, has_app_context

from app import create_app
from app.extensions import db

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
    try:
        result = func(*args, **kwargs)
        db.session.commit()
        return result
    except Exception:
        db.session.rollback()
        logger.exception("Job %s%r failed", func.__name__, args)
        raise
    finally:
        db.session.remove()
