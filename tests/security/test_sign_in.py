"""Item 6 of the hardening issue: server-side sign-out, growing delays per (user, address), and a
production SECRET_KEY that is neither short nor the development key."""

import time
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app.auth import throttle
from app.auth.models import User
from app.auth.services import set_password
from app.config import DEV_SECRET_KEY, Config, ConfigError
from app.extensions import db
from tests import factories

ATTACKER = {"REMOTE_ADDR": "198.51.100.7"}
COLLEAGUE = {"REMOTE_ADDR": "192.0.2.10"}


@pytest.fixture
def colleague(app):
    with app.app_context():
        user = factories.UserFactory(username="lisi", role="operations")
        db.session.commit()
        return user.username


def log_in(client, username, password=factories.PASSWORD, environ=ATTACKER):
    return client.post("/login", data={"username": username, "password": password}, environ_base=environ)


def test_a_cookie_copied_before_logout_no_longer_works_after_it(app, colleague):
    browser = app.test_client()
    assert log_in(browser, colleague).status_code == 302
    stolen = app.test_client()
    stolen.set_cookie("session", browser.get_cookie("session", domain="orderhub.test").value,
                      domain="orderhub.test")
    # Same address and browser as the victim (session protection already refuses others).
    assert stolen.get("/staff/", environ_base=ATTACKER).status_code == 200

    browser.post("/logout", environ_base=ATTACKER)

    assert stolen.get("/staff/", environ_base=ATTACKER).status_code == 302


def test_logout_ends_the_sessions_in_every_browser(app, colleague):
    office, phone = app.test_client(), app.test_client()
    log_in(office, colleague)
    log_in(phone, colleague)

    office.post("/logout", environ_base=ATTACKER)

    assert phone.get("/staff/", environ_base=ATTACKER).status_code == 302
    assert log_in(phone, colleague).status_code == 302  # signing in again works


def test_a_password_change_ends_every_session(app, client, colleague):
    log_in(client, colleague)
    assert client.get("/staff/", environ_base=ATTACKER).status_code == 200
    with app.app_context():
        set_password(db.session.scalar(select(User).where(User.username == colleague)), "a-new-password")
        db.session.commit()

    assert client.get("/staff/", environ_base=ATTACKER).status_code == 302
    assert log_in(client, colleague, "a-new-password").status_code == 302


def test_a_session_from_before_versions_existed_is_refused(app, client, colleague):
    log_in(client, colleague)
    with client.session_transaction() as session:
        session["_user_id"] = session["_user_id"].partition(":")[0]

    assert client.get("/staff/", environ_base=ATTACKER).status_code == 302


def test_failures_from_one_address_grow_a_delay_for_that_address_only(app, client, colleague, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_FREE_FAILURES", 2)
    for _ in range(3):
        assert log_in(client, colleague, "wrong-password").status_code == 401

    refused = log_in(client, colleague)  # even the right password waits: the guess is not checked

    assert refused.status_code == 429
    assert log_in(app.test_client(), colleague, environ=COLLEAGUE).status_code == 302


def test_delays_double_with_each_further_failure(app, client, colleague, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_FREE_FAILURES", 0)
    clock = [time.time()]
    monkeypatch.setattr(throttle, "time", SimpleNamespace(time=lambda: clock[0]))
    for delay in (1, 2, 4, 8):
        assert log_in(client, colleague, "wrong-password").status_code == 401
        clock[0] += delay - 0.5
        assert log_in(client, colleague).status_code == 429
        clock[0] += 0.5
    assert log_in(client, colleague).status_code == 302


def test_a_successful_sign_in_clears_the_delay(app, client, colleague, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_FREE_FAILURES", 2)
    for _ in range(2):
        log_in(client, colleague, "wrong-password")
    assert log_in(client, colleague).status_code == 302
    client.post("/logout", environ_base=ATTACKER)

    for _ in range(2):
        assert log_in(client, colleague, "wrong-password").status_code == 401


def test_many_addresses_lock_the_user_only_at_the_much_higher_threshold(app, colleague, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_USER_RATE_LIMIT", "6 per hour")
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3 per minute")
    for number in range(6):
        response = log_in(app.test_client(), colleague, "wrong-password",
                          environ={"REMOTE_ADDR": f"203.0.113.{number}"})
        assert response.status_code == 401

    assert log_in(app.test_client(), colleague, environ=COLLEAGUE).status_code == 429


def test_the_default_per_user_threshold_is_much_higher_than_the_per_address_one():
    assert Config.LOGIN_USER_RATE_LIMIT.startswith("100 per hour")
    assert Config.LOGIN_FREE_FAILURES <= 5


@pytest.mark.parametrize("secret_key", ["short-secret", DEV_SECRET_KEY, "x" * 31])
def test_production_refuses_a_weak_or_the_development_secret_key(secret_key):
    environ = {"ORDERHUB_ENV": "production", "SECRET_KEY": secret_key,
               "DATABASE_URL": "postgresql://db/x", "REDIS_URL": "redis://r/1",
               "CREDENTIAL_KEYS": "8T8pV3oDpN9cZ3Hc1Tj0yq6k1Yc2pZ3qM5xW8vB0aE4="}
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        Config.from_environment(environ)


def test_development_keeps_its_default_key():
    assert Config.from_environment({})["SECRET_KEY"] == DEV_SECRET_KEY


def test_set_password_command_ends_the_users_sessions(app, client, colleague):
    log_in(client, colleague)
    runner = app.test_cli_runner()

    result = runner.invoke(args=["set-password", colleague], input="another-password\nanother-password\n")

    assert result.exit_code == 0, result.output
    assert client.get("/staff/", environ_base=ATTACKER).status_code == 302
    assert log_in(client, colleague, "another-password").status_code == 302
    refused = runner.invoke(args=["set-password", colleague], input="short\nshort\n")
    assert refused.exit_code != 0 and "8" in refused.output
