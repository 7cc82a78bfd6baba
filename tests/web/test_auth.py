"""Staff login, logout, session hygiene, CSRF and the login rate limit."""

from urllib.parse import urlsplit

import pytest

from app.extensions import db
from tests import factories
from tests.conftest import csrf_token_from, htmx_headers

BAD_CREDENTIALS = "用户名或密码错误"


@pytest.fixture
def staff_user(app):
    with app.app_context():
        user = factories.UserFactory(username="zhangsan", display_name="张三", role="operations")
        db.session.commit()
        return user.username


def log_in(client, username, password=factories.PASSWORD, **kwargs):
    return client.post("/login", data={"username": username, "password": password}, **kwargs)


def path_of(location: str) -> str:
    parts = urlsplit(location)
    assert parts.netloc in ("", "orderhub.test"), location
    return parts.path + (f"?{parts.query}" if parts.query else "")


def session_cookie(client) -> str | None:
    cookie = client.get_cookie("session", domain="orderhub.test")
    return cookie.value if cookie else None


def test_created_user_can_log_in_and_reaches_the_staff_home(client, staff_user):
    response = log_in(client, staff_user)

    assert response.status_code == 302
    assert path_of(response.location) == "/staff/"
    home = client.get("/staff/")
    assert home.status_code == 200
    assert "张三" in home.text


def test_login_records_the_time_of_the_last_login(app, client, staff_user):
    from app.auth.models import User

    log_in(client, staff_user)

    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == staff_user))
        assert user.last_login_at is not None
        assert user.last_login_at.tzinfo is not None


def test_wrong_password_and_unknown_user_get_the_same_answer(client, staff_user):
    wrong_password = log_in(client, staff_user, "not-the-password")
    unknown_user = log_in(client, "nobody-by-this-name", "not-the-password")

    assert wrong_password.status_code == unknown_user.status_code == 401
    assert BAD_CREDENTIALS in wrong_password.text
    assert BAD_CREDENTIALS in unknown_user.text
    assert client.get("/staff/").status_code == 302


def test_deactivated_user_cannot_log_in_and_gets_the_same_answer(app, client):
    with app.app_context():
        factories.UserFactory(username="left-company", active=False)
        db.session.commit()

    response = log_in(client, "left-company")

    assert response.status_code == 401
    assert BAD_CREDENTIALS in response.text


def test_empty_login_form_asks_for_both_fields_in_chinese(client):
    response = client.post("/login", data={})

    assert response.status_code == 401
    assert "请输入用户名" in response.text
    assert "请输入密码" in response.text


def test_login_starts_a_fresh_session(client, staff_user):
    client.get("/login")
    with client.session_transaction() as session:
        session["planted_by_attacker"] = "fixation"
    cookie_before = session_cookie(client)

    log_in(client, staff_user)

    assert session_cookie(client) != cookie_before
    with client.session_transaction() as session:
        assert "planted_by_attacker" not in session
        assert session["_user_id"]


def test_login_keeps_the_chosen_language(client, staff_user):
    client.post("/language/en", data={"next": "/login"})

    log_in(client, staff_user)

    with client.session_transaction() as session:
        assert session["language"] == "en"


def test_signed_in_user_visiting_login_goes_to_the_staff_home(client, login_as):
    login_as("warehouse")

    response = client.get("/login")

    assert response.status_code == 302
    assert path_of(response.location) == "/staff/"


def test_logout_ends_the_session(client, login_as):
    login_as("admin")

    response = client.post("/logout")

    assert response.status_code == 302
    assert path_of(response.location) == "/login"
    assert client.get("/staff/").status_code == 302


def test_logout_is_post_only_so_a_link_cannot_sign_people_out(client, login_as):
    login_as("admin")

    assert client.get("/logout").status_code == 405
    assert client.get("/staff/").status_code == 200


def test_anonymous_visitor_is_sent_to_login_and_comes_back_after(client, staff_user):
    response = client.get("/staff/skus")
    assert response.status_code == 302
    target = path_of(response.location)
    assert target.startswith("/login?next=")

    response = log_in(client, staff_user, query_string={"next": "/staff/skus?q=SN"})

    assert path_of(response.location) == "/staff/skus?q=SN"


@pytest.mark.parametrize("next_url", [
    "https://evil.example/phish",
    "//evil.example/phish",
    "/\\evil.example/phish",
    "\\\\evil.example/phish",
    "javascript:alert(1)",
    "staff/skus",
])
def test_login_never_follows_next_off_site(client, staff_user, next_url):
    response = log_in(client, staff_user, query_string={"next": next_url})

    assert response.status_code == 302
    assert path_of(response.location) == "/staff/"


def test_language_switch_never_redirects_off_site(client):
    response = client.post("/language/en", data={"next": "//evil.example/"})

    assert path_of(response.location) == "/staff/"


class TestCsrf:
    @pytest.fixture(autouse=True)
    def csrf_on(self, monkeypatch, app):
        monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)

    def test_login_post_without_token_is_refused_with_a_chinese_page(self, client, staff_user):
        response = log_in(client, staff_user)

        assert response.status_code == 400
        assert "请刷新" in response.text
        assert client.get("/staff/").status_code == 302

    def test_login_form_carries_a_token_that_is_accepted(self, client, staff_user):
        token = csrf_token_from(client.get("/login").text)

        response = client.post("/login", data={
            "username": staff_user, "password": factories.PASSWORD, "csrf_token": token})

        assert response.status_code == 302

    def test_htmx_post_is_accepted_with_the_token_in_the_header_and_refused_without(self, app, client,
                                                                                   monkeypatch):
        monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
        with app.app_context():
            carrier = factories.CarrierFactory(code="sf", name="顺丰")
            factories.UserFactory(username="ops", role="operations")
            db.session.commit()
            carrier_id = carrier.id
        log_in(client, "ops")
        monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
        token = csrf_token_from(client.get("/staff/carriers").text)
        form = {"code": "sf", "name": "顺丰速运", "active": "y"}

        refused = client.post(f"/staff/carriers/{carrier_id}/edit", data=form, headers=htmx_headers())
        accepted = client.post(f"/staff/carriers/{carrier_id}/edit", data=form,
                               headers=htmx_headers(**{"X-CSRFToken": token}))

        assert refused.status_code == 400
        assert accepted.status_code == 200
        assert "顺丰速运" in accepted.text


class TestRateLimit:
    @pytest.fixture(autouse=True)
    def low_limit(self, monkeypatch, app):
        monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3 per minute")
        monkeypatch.setitem(app.config, "LOGIN_USER_RATE_LIMIT", "3 per minute")
        monkeypatch.setitem(app.config, "LOGIN_FREE_FAILURES", 10)  # these tests are about the limits

    def test_too_many_failed_logins_get_the_friendly_429_page(self, client, staff_user):
        for _ in range(3):
            assert log_in(client, staff_user, "wrong-password").status_code == 401

        response = log_in(client, staff_user)

        assert response.status_code == 429
        assert "操作太频繁" in response.text
        assert '<html lang="zh-CN">' in response.text

    def test_one_account_is_limited_even_when_guesses_come_from_many_addresses(self, client, staff_user):
        for number in range(3):
            response = log_in(client, staff_user, "wrong-password",
                              environ_base={"REMOTE_ADDR": f"203.0.113.{number}"})
            assert response.status_code == 401

        response = log_in(client, staff_user, environ_base={"REMOTE_ADDR": "203.0.113.99"})

        assert response.status_code == 429

    def test_successful_logins_do_not_use_up_the_attempts(self, client, staff_user):
        for _ in range(4):
            assert log_in(client, staff_user).status_code == 302
            client.post("/logout")

        assert log_in(client, staff_user, "wrong-password").status_code == 401

    def test_showing_the_login_page_is_not_limited(self, client):
        for _ in range(5):
            assert client.get("/login").status_code == 200


def test_deactivating_a_signed_in_user_ends_their_access(app, client, staff_user):
    """Flask-Login's UserMixin counts an inactive user as signed out; nothing may override that."""
    from app.auth.models import User

    log_in(client, staff_user)
    assert client.get("/staff/").status_code == 200
    with app.app_context():
        db.session.scalar(db.select(User).where(User.username == staff_user)).active = False
        db.session.commit()

    response = client.get("/staff/")

    assert response.status_code == 302
    assert path_of(response.location).startswith("/login")
