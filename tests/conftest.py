"""Fixtures: one app and one migrated database per test session, a rolled-back transaction per test.

Backends come from the environment, as in production: ``DATABASE_URL`` / ``REDIS_URL`` select real
PostgreSQL and Redis; without them the tests use a SQLite file and the embedded Redis.
"""

import os
import re

import flask_migrate
import pytest
from sqlalchemy import text

from app import create_app
from app.extensions import db
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
    return app


def _empty_postgres_schema() -> None:
    with db.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))


@pytest.fixture(autouse=True)
def _transaction(app):
    """Run each test inside one transaction that is rolled back afterwards.

    The session joins the outer transaction through savepoints, so code under test may commit and
    roll back as it does in production while the test still leaves nothing behind.
    """
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        production_session = db.session
        db.session = db._make_scoped_session({"bind": connection, "join_transaction_mode": "create_savepoint"})
        try:
            yield
        finally:
            db.session.remove()
            db.session = production_session
            outer.rollback()
            connection.close()


@pytest.fixture(autouse=True)
def _empty_redis(app):
    """Queues and rate-limit counters start empty for every test."""
    with app.app_context():
        get_redis().flushdb()


@pytest.fixture
def client(app):
    return app.test_client()


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
