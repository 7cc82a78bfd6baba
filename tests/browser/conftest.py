"""Browser tests: Debian's Chromium driven by Playwright against the app served on a free local port.

The server runs in a thread of this process, so the test commits its data for real (the per-test
rolled-back transaction of tests/conftest.py would be invisible to the server's own connections):
``_transaction`` is overridden with a no-op here, and every test removes what it created.
"""

import re
import shutil
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import select, text
from werkzeug.serving import make_server

from app import create_app
from app.config import PROJECT_ROOT
from app.extensions import db

CHROMIUM = shutil.which("chromium", path="/usr/bin") or shutil.which("chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
SCREENSHOTS = PROJECT_ROOT / "test-reports" / "screenshots"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "locale": "zh-CN"}


def pytest_collection_modifyitems(items):
    if CHROMIUM:
        return
    skip = pytest.mark.skip(reason="Chromium not found (install Debian's package: apt-get install chromium)")
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _transaction():
    """No rolled-back transaction: the live server must see what the test commits."""
    yield


@pytest.fixture(scope="session")
def live_server(app):
    """The app, CSRF on as in production, on 127.0.0.1 and a free port, sharing the tests' database."""
    served = create_app({
        "TESTING": True,
        "INSTANCE_PATH": app.config["INSTANCE_PATH"],
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": app.config["REDIS_URL"],
    })
    server = make_server("127.0.0.1", 0, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def screenshot():
    """``screenshot(page, "name")`` writes test-reports/screenshots/name.png (full page)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def signed_in_staff(browser, live_server: str, username: str, viewport=(1280, 900)):
    """A new browser context signed in to the staff pages as ``username`` (the factories' password);
    returns (context, page)."""
    from tests import factories

    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.fill("#username", username)
    page.fill("#password", factories.PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r".*/staff/.*"))
    return context, page


@dataclass
class Created:
    """What a test committed: row ids by table name, and customer phones (opt-outs, login-code texts)."""

    rows: dict[str, set] = field(default_factory=dict)
    phones: set = field(default_factory=set)

    def add(self, table: str, *ids) -> None:
        self.rows.setdefault(table, set()).update(ids)


@pytest.fixture
def created(app):
    """Collects what the test commits; deleted afterwards with everything that refers to it."""
    record = Created()
    yield record
    with app.app_context():
        purge(record)
        for name, ids in record.rows.items():
            key = _single_primary_key(db.metadata.tables[name])
            assert not db.session.scalars(select(key).where(key.in_(ids))).all(), f"{name} left behind"
        db.session.remove()


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:8]


def purge(record: Created) -> None:
    """Delete the recorded rows and, transitively, every row whose foreign key points at one of them.

    Walking the metadata rather than naming tables keeps this right as other features add tables
    that refer to orders (outbox messages, shipments, invoices).
    """
    tables = db.metadata.sorted_tables
    doomed = {name: set(ids) for name, ids in record.rows.items()}
    grew = True
    while grew:
        grew = False
        for table in tables:
            key = _single_primary_key(table)
            for foreign_key in table.foreign_keys:
                targets = doomed.get(foreign_key.column.table.name)
                if key is None or not targets or foreign_key.column.table is table:
                    continue
                found = set(db.session.scalars(select(key).where(foreign_key.parent.in_(targets))))
                if found - doomed.get(table.name, set()):
                    doomed.setdefault(table.name, set()).update(found)
                    grew = True
    _purge_audit_entries(doomed.get("users", set()))
    for table in reversed(tables):
        key = _single_primary_key(table)
        if key is not None and doomed.get(table.name):
            with _triggers_suspended(table.name):
                db.session.execute(table.delete().where(key.in_(doomed[table.name])))
    if record.phones:  # opt-outs and login-code texts are keyed by phone, not by a foreign key
        for name in ("reminder_opt_outs", "notification_messages"):
            table = db.metadata.tables[name]
            db.session.execute(table.delete().where(table.c.phone.in_(record.phones)))
    db.session.commit()


def _purge_audit_entries(user_ids: set) -> None:
    """Audit entries name their actor (``user:NAME``) rather than pointing at the user with a key."""
    users, entries = db.metadata.tables["users"], db.metadata.tables["audit_entries"]
    names = db.session.scalars(select(users.c.username).where(users.c.id.in_(user_ids))).all()
    if names:
        db.session.execute(entries.delete().where(entries.c.actor.in_([f"user:{name}" for name in names])))


@contextmanager
def _triggers_suspended(table_name: str):
    """The audit trails (order_events, stock_movements) refuse DELETE through database triggers. Test
    clean-up is the one sanctioned exception: the triggers are switched off inside the clean-up's own
    transaction (DDL is transactional on both backends), so a failure leaves them exactly as they were."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text(f'ALTER TABLE "{table_name}" DISABLE TRIGGER USER'))
        yield
        db.session.execute(text(f'ALTER TABLE "{table_name}" ENABLE TRIGGER USER'))
        return
    triggers = db.session.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                       "AND tbl_name = :table"), {"table": table_name}).all()
    for name, _sql in triggers:
        db.session.execute(text(f'DROP TRIGGER "{name}"'))
    yield
    for _name, sql in triggers:
        db.session.execute(text(sql))


def _single_primary_key(table):
    columns = list(table.primary_key.columns)
    return columns[0] if len(columns) == 1 else None
