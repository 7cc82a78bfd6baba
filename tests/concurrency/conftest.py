"""Fixtures for tests with real concurrent buyers: committed data, one connection per thread.

The suite's ``_transaction`` fixture runs every test inside one rolled-back transaction on one
connection, which would serialise threads on that connection and hide every race. Here it is replaced
by a no-op, and the buyers use a dedicated app whose engine has no pool (NullPool), so each thread's
app context gets a normal session with a connection of its own, as a web worker does in production.

Committed data has to be cleaned up: on PostgreSQL the module's teardown truncates every table (the
rest of the suite creates its own data per test, so an emptied database is what it expects); on SQLite
the buyers use a database file of their own, migrated here, so the suite's file is never touched.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import flask_migrate
import pytest
from sqlalchemy import text
from sqlalchemy.pool import NullPool

from app import create_app
from app.extensions import db, limiter
from tests.conftest import POSTGRES

#: Connections left free for the session's own app, psql, and other users of the server.
CONNECTION_HEADROOM = 15
MAX_SIMULTANEOUS_BUYERS = 80


@pytest.fixture(autouse=True)
def _transaction():
    """Replaces the suite's rolled-back transaction: buyers must see each other's commits."""
    yield


@dataclass
class Buyers:
    """The app the buyer threads use and how many of them may hold a database connection at once."""

    app: object
    max_simultaneous: int
    notes: list[str] = field(default_factory=list)

    def run(self, count: int, buy: Callable[[int], object]) -> list[object]:
        """Start ``count`` threads, release them together, and return what ``buy(i)`` returned (or raised).

        Each call runs in its own thread and its own app context, hence its own session and connection.
        A semaphore caps simultaneous connections below the server's limit; the barrier still releases
        every thread at the same moment, so they all compete for that semaphore and the stock row.
        """
        barrier = threading.Barrier(count)
        gate = threading.BoundedSemaphore(self.max_simultaneous)
        results: list[object] = [None] * count

        def worker(index: int) -> None:
            try:
                barrier.wait(timeout=60)
                with gate, self.app.app_context():
                    results[index] = buy(index)
            except BaseException as error:  # handed to the test, which fails on anything but a result
                results[index] = error

        threads = [threading.Thread(target=worker, args=(i,), name=f"buyer-{i}") for i in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        stuck = [thread.name for thread in threads if thread.is_alive()]
        assert not stuck, f"buyer threads did not finish: {stuck[:10]}"
        return results


@pytest.fixture(scope="module")
def buyers(app, tmp_path_factory):
    """A dedicated app without a connection pool, on the suite's PostgreSQL or a fresh SQLite file."""
    if POSTGRES:
        url = app.config["SQLALCHEMY_DATABASE_URI"]
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('buyers') / 'buyers.sqlite3'}"
    buyers_app = create_app({
        "TESTING": True,
        "INSTANCE_PATH": app.instance_path,  # the same embedded Redis when REDIS_URL is unset
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"poolclass": NullPool},
    })
    # Flask-Limiter keeps one storage, the last app's: point it back at the session's app.
    limiter.init_app(app)
    with buyers_app.app_context():
        if POSTGRES:
            limit, notes = _postgres_connection_cap()
        else:
            flask_migrate.upgrade()
            limit, notes = MAX_SIMULTANEOUS_BUYERS, []
    try:
        yield Buyers(buyers_app, limit, notes)
    finally:
        with buyers_app.app_context():
            if POSTGRES:
                _truncate_everything()
            db.engine.dispose()
        limiter.init_app(app)


def _postgres_connection_cap() -> tuple[int, list[str]]:
    with db.engine.connect() as connection:
        max_connections = int(connection.execute(text("SHOW max_connections")).scalar())
        reserved = int(connection.execute(text("SHOW superuser_reserved_connections")).scalar())
        in_use = connection.execute(text("SELECT count(*) FROM pg_stat_activity")).scalar()
    free = max_connections - reserved - in_use - CONNECTION_HEADROOM
    limit = max(10, min(MAX_SIMULTANEOUS_BUYERS, free))
    notes = [f"PostgreSQL max_connections={max_connections} ({reserved} reserved, {in_use} in use): at most "
             f"{limit} buyers hold a connection at once; all are released together by one barrier"]
    return limit, notes


def _truncate_everything() -> None:
    """Empty every table but alembic_version. TRUNCATE fires no row triggers, so the append-only
    ledger and audit tables (whose triggers refuse DELETE) can be emptied too."""
    with db.engine.begin() as connection:
        tables = connection.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'alembic_version'"
        )).scalars().all()
        if tables:
            names = ", ".join(f'"{name}"' for name in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))

