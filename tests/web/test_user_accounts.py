"""Staff accounts: edit name and role, disable and enable, reset a password; no default role."""

import re

from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from tests.conftest import htmx_headers


def account(app, username: str) -> User:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        db.session.expunge(user)
        return user


def create(client, username: str, role: str = "warehouse", password: str = "first-password"):
    return client.post("/staff/users", data={"username": username, "display_name": "", "role": role,
                                             "password": password})


def test_the_new_account_form_has_no_default_role(app, client, login_as):
    login_as("admin", username="boss")
    page = client.get("/staff/users")
    role_select = re.search(r'<select[^>]*name="role".*?</select>', page.text, re.S).group(0)
    assert re.search(r'<option[^>]*value="">请选择角色</option>', role_select)
    assert re.findall(r"<option[^>]*>", role_select)[0].find('value=""') > 0  # the blank one comes first
    assert "selected" not in role_select.replace('<option selected value="">', "")
    refused = client.post("/staff/users", data={"username": "norole", "role": "", "password": "first-password"})
    assert refused.status_code == 422 and "此项必填" in refused.text


def test_admin_changes_a_role_disables_and_resets_and_the_old_sessions_end(app, client, login_as):
    login_as("admin", username="boss")
    assert create(client, "xiaowang").status_code == 303
    user_id = account(app, "xiaowang").id
    staff = app.test_client()
    assert staff.post("/login", data={"username": "xiaowang", "password": "first-password"}).status_code == 302
    assert staff.get("/staff/stock").status_code == 200

    page = client.get(f"/staff/users/{user_id}")
    assert page.status_code == 200 and "编辑账号 xiaowang" in page.text
    assert client.get(f"/staff/users/{user_id}", headers=htmx_headers()).status_code == 200
    saved = client.post(f"/staff/users/{user_id}", data={"display_name": "小王", "role": "customer_service",
                                                         "active": "y"})
    assert saved.status_code == 303
    changed = account(app, "xiaowang")
    assert (changed.display_name, changed.role, changed.active) == ("小王", "customer_service", True)
    assert staff.get("/staff/stock").status_code in (302, 401)  # the role changed: signed out

    client.post(f"/staff/users/{user_id}", data={"display_name": "小王", "role": "customer_service"})
    assert account(app, "xiaowang").active is False
    assert staff.post("/login", data={"username": "xiaowang", "password": "first-password"}).status_code != 302

    client.post(f"/staff/users/{user_id}", data={"display_name": "小王", "role": "customer_service", "active": "y"})
    short = client.post(f"/staff/users/{user_id}/password", data={"password": "short"})
    assert short.status_code == 422 and "密码至少" in short.text
    assert client.post(f"/staff/users/{user_id}/password", data={"password": "second-password"}).status_code == 303
    assert staff.post("/login", data={"username": "xiaowang", "password": "first-password"}).status_code != 302
    assert staff.post("/login", data={"username": "xiaowang", "password": "second-password"}).status_code == 302


def test_an_admin_cannot_lock_themselves_out(app, client, login_as):
    login_as("admin", username="boss")
    me = account(app, "boss")
    refused = client.post(f"/staff/users/{me.id}", data={"display_name": "老板", "role": "finance", "active": "y"})
    assert refused.status_code == 422 and "不能停用自己的账号或取消自己的管理员角色" in refused.text
    assert client.post(f"/staff/users/{me.id}", data={"display_name": "老板", "role": "admin"}).status_code == 422
    assert account(app, "boss").role == "admin" and account(app, "boss").active


def test_after_a_reset_the_user_must_choose_a_new_password_before_any_page(app, client, login_as):
    login_as("admin", username="boss")
    create(client, "xiaoli", role="finance")
    user_id = account(app, "xiaoli").id
    assert client.post(f"/staff/users/{user_id}/password", data={"password": "told-in-person"}).status_code == 303
    assert account(app, "xiaoli").must_change_password

    staff = app.test_client()
    signed_in = staff.post("/login", data={"username": "xiaoli", "password": "told-in-person"})
    assert signed_in.status_code == 302
    for path in ("/staff/", "/finance/invoices"):
        sent = staff.get(path)
        assert sent.status_code == 302 and sent.location == f"/staff/password?next={path}"
    page = staff.get("/staff/password")
    assert page.status_code == 200 and "管理员重置了你的密码" in page.text

    mismatch = staff.post("/staff/password", data={"password": "my-own-secret", "repeated": "my-own-secrex"})
    assert mismatch.status_code == 422 and "两次输入的密码不一致" in mismatch.text
    same = staff.post("/staff/password", data={"password": "told-in-person", "repeated": "told-in-person"})
    assert same.status_code == 422 and "新密码不能与原密码相同" in same.text
    short = staff.post("/staff/password", data={"password": "short", "repeated": "short"})
    assert short.status_code == 422 and "密码至少" in short.text
    assert account(app, "xiaoli").must_change_password

    done = staff.post("/staff/password?next=/finance/invoices",
                      data={"password": "my-own-secret", "repeated": "my-own-secret"})
    assert done.status_code == 303 and done.location == "/finance/invoices"
    assert staff.get("/finance/invoices").status_code == 200  # still signed in, in a fresh session
    assert not account(app, "xiaoli").must_change_password
    fresh = app.test_client()
    assert fresh.post("/login", data={"username": "xiaoli", "password": "my-own-secret"}).status_code == 302


def test_anyone_may_change_their_own_password_without_being_sent_there(client, login_as):
    login_as("warehouse", username="cangku-pw")
    assert client.get("/staff/").status_code == 200
    page = client.get("/staff/password")
    assert page.status_code == 200 and "管理员重置了你的密码" not in page.text
