"""Staff accounts page (admins only)."""

import pytest
from sqlalchemy import select

from app.auth.models import User
from app.extensions import db


@pytest.fixture(autouse=True)
def admin(login_as):
    login_as("admin", username="boss")


def roles_by_name(app) -> dict[str, str]:
    with app.app_context():
        return {user.username: user.role for user in db.session.scalars(select(User))}


def test_lists_staff_with_their_role_in_chinese(client):
    response = client.get("/staff/users")

    assert response.status_code == 200
    assert "boss" in response.text
    assert "管理员" in response.text


def test_admin_creates_an_account_that_can_log_in(app, client):
    form = {"username": "wangwu", "display_name": "王五", "role": "finance", "password": "first-password"}

    response = client.post("/staff/users", data=form)

    assert response.status_code == 303
    assert roles_by_name(app)["wangwu"] == "finance"
    client.post("/logout")
    assert client.post("/login", data={"username": "wangwu", "password": "first-password"}).status_code == 302


def test_taken_name_and_short_password_are_refused_with_chinese_messages(app, client):
    form = {"username": "boss", "display_name": "", "role": "finance", "password": "short"}

    response = client.post("/staff/users", data=form)

    assert response.status_code == 422
    assert "用户名 boss 已存在" in response.text
    assert "密码至少 8 位" in response.text
    assert roles_by_name(app)["boss"] == "admin"
