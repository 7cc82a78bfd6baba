"""Chinese first; English selectable; times in Asia/Shanghai."""

from datetime import UTC, datetime

import pytest
from flask import render_template_string

from app.web.template_helpers import local_time


def test_login_page_is_in_chinese_by_default(client):
    response = client.get("/login")

    assert '<html lang="zh-CN">' in response.text
    for text in ("登录", "用户名", "密码", "订单中台"):
        assert text in response.text


def test_staff_pages_are_in_chinese_by_default(client, login_as):
    login_as("admin")

    response = client.get("/staff/")

    assert '<html lang="zh-CN">' in response.text
    for text in ("工作台", "商品", "员工账号", "退出", "管理员"):
        assert text in response.text


def test_error_pages_are_in_chinese(client, login_as):
    login_as("warehouse")

    forbidden = client.get("/staff/users")
    missing = client.get("/staff/no-such-page")

    assert forbidden.status_code == 403 and "你的角色不能打开这个页面" in forbidden.text
    assert missing.status_code == 404 and "没有找到这个页面" in missing.text


def test_a_wrong_method_gets_a_chinese_page_not_werkzeugs_english(client, login_as):
    login_as("admin")

    response = client.get("/logout")

    assert response.status_code == 405
    assert "not allowed" not in response.text.lower()
    assert "请求无法处理" in response.text


def test_choosing_english_is_stored_in_the_session_and_sets_the_page_language(client):
    response = client.post("/language/en", data={"next": "/login"})

    assert response.status_code == 302
    assert response.location.endswith("/login")
    with client.session_transaction() as session:
        assert session["language"] == "en"
    assert '<html lang="en">' in client.get("/login").text


def test_switching_back_to_chinese(client):
    client.post("/language/en", data={"next": "/login"})

    client.post("/language/zh_Hans_CN", data={"next": "/login"})

    assert '<html lang="zh-CN">' in client.get("/login").text


def test_an_unknown_language_is_ignored(client):
    client.post("/language/xx", data={"next": "/login"})

    with client.session_transaction() as session:
        assert "language" not in session
    assert '<html lang="zh-CN">' in client.get("/login").text


def test_language_switch_is_offered_on_the_login_page(client):
    response = client.get("/login")

    assert 'formaction="/language/en"' in response.text
    assert "English" in response.text


@pytest.mark.parametrize(("utc", "shown"), [
    (datetime(2026, 1, 1, 16, 0, tzinfo=UTC), "2026-01-02 00:00"),
    (datetime(2026, 6, 30, 3, 5, tzinfo=UTC), "2026-06-30 11:05"),
])
def test_local_time_shows_utc_in_shanghai_time(app, utc, shown):
    with app.test_request_context():
        assert local_time(utc) == shown
        assert render_template_string("{{ value|local_time }}", value=utc) == shown


def test_local_time_takes_a_custom_format_and_shows_nothing_for_none(app):
    with app.test_request_context():
        assert local_time(datetime(2026, 1, 1, 16, 0, 59, tzinfo=UTC), "yyyy-MM-dd HH:mm:ss") == "2026-01-02 00:00:59"
        assert local_time(None) == ""
