"""Creating tokens: the create-api-token command and the staff page (list, create once, revoke)."""

import pytest

from app.auth.api_tokens import ApiToken, find_active_token
from app.extensions import db
from tests.api.conftest import Api
from tests.conftest import htmx_headers


def test_cli_prints_a_working_token_once(app, client, channel):
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["create-api-token", "--channel", "miniapp",
                                                "--scopes", "orders,stock:read", "--name", "小程序"])

    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token.startswith("oh_")
    row = find_active_token(token)
    assert (row.channel.code, row.scopes, row.name, row.created_by) == ("miniapp", "orders,stock:read", "小程序", "cli")
    assert token not in row.token_hash
    assert Api(client, token).get("/orders").status_code == 200


@pytest.mark.parametrize(("args", "message"), [
    (["--channel", "nope", "--scopes", "orders"], "渠道 nope 不存在"),
    (["--channel", "miniapp", "--scopes", "orders,admin"], "admin"),
])
def test_cli_refuses_unknown_channels_and_scopes(app, channel, args, message):
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["create-api-token", *args])

    assert result.exit_code != 0
    assert message in result.output
    assert db.session.scalar(db.select(db.func.count()).select_from(ApiToken)) == 0


@pytest.fixture
def operations(app_context, login_as, channel):
    db.session.commit()
    return login_as("operations")


def test_staff_page_lists_tokens_without_showing_them(client, operations, make_token):
    token = make_token(["orders"])
    db.session.commit()

    page = client.get("/staff/api-tokens")

    assert page.status_code == 200
    assert "开放接口" in page.text
    assert token[:10] in page.text
    assert token not in page.text


def test_staff_creates_a_token_and_sees_it_once(client, operations, channel):
    response = client.post("/staff/api-tokens", data={"channel_id": channel.id, "name": "POS 3 号机",
                                                      "scopes": ["orders", "stock:read"]})

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    token = response.text.split('id="api-token" class="token">')[1].split("<")[0]
    row = find_active_token(token)
    assert (row.name, row.scopes, row.created_by) == ("POS 3 号机", "orders,stock:read", "user:operations-user")
    assert token not in client.get("/staff/api-tokens").text


def test_staff_create_without_scopes_shows_the_error(client, operations, channel):
    response = client.post("/staff/api-tokens", data={"channel_id": channel.id, "name": "x"})

    assert response.status_code == 422
    assert "权限范围" in response.text
    assert db.session.scalar(db.select(db.func.count()).select_from(ApiToken)) == 0


def test_staff_revoke_with_htmx_returns_the_row(client, operations, make_token):
    token = make_token()
    db.session.commit()
    row_id = db.session.scalar(db.select(ApiToken.id))

    response = client.post(f"/staff/api-tokens/{row_id}/revoke", headers=htmx_headers())

    assert response.status_code == 200
    assert response.text.lstrip().startswith(f'<tr id="api-token-{row_id}"')
    assert "已吊销" in response.text
    assert "HX-Request" in response.headers["Vary"]
    assert find_active_token(token) is None


def test_staff_revoke_without_htmx_redirects_to_the_list(client, operations, make_token):
    token = make_token()
    db.session.commit()
    row_id = db.session.scalar(db.select(ApiToken.id))

    response = client.post(f"/staff/api-tokens/{row_id}/revoke")

    assert response.status_code == 303
    assert response.location.endswith("/staff/api-tokens")
    assert find_active_token(token) is None
    assert "已吊销" in client.get("/staff/api-tokens").text


@pytest.mark.parametrize("role", ["customer_service", "warehouse", "finance"])
def test_other_roles_may_not_manage_tokens(client, login_as, role, app_context):
    login_as(role)

    assert client.get("/staff/api-tokens").status_code == 403
    assert client.post("/staff/api-tokens/1/revoke").status_code == 403


def test_navigation_shows_the_api_page_to_operations(client, operations):
    assert 'href="/staff/api-tokens"' in client.get("/staff/").text


def test_unsigned_visitors_are_sent_to_login(client):
    response = client.get("/staff/api-tokens")

    assert response.status_code == 302
    assert "/login" in response.location
