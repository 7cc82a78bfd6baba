"""Bearer tokens, scopes, last use, and the per-token rate limit."""

import pytest

from app.auth.api_tokens import ApiToken, revoke
from app.extensions import db
from tests.api.conftest import Api, order_body

PROTECTED = [
    ("GET", "/warehouses"), ("GET", "/skus/SKU-001"), ("PUT", "/skus/SKU-001"), ("GET", "/stock/SKU-001"),
    ("POST", "/stock/receipts"), ("POST", "/stock/adjustments"), ("GET", "/orders"), ("POST", "/orders"),
    ("GET", "/orders/OH1"), ("POST", "/orders/OH1/pay"), ("POST", "/orders/OH1/cancel"),
    ("POST", "/orders/OH1/refund"),
]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_no_token_is_401_with_a_bearer_challenge(api, method, path):
    response = api.request(method, path, token=None, json={})

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("header", ["Bearer oh_not-a-real-token", "Bearer ", "Basic dXNlcjpwYXNz", "oh_abc"])
def test_a_wrong_token_is_401(api, header):
    response = api.get("/warehouses", token=None, headers={"Authorization": header})

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_is_401(api, token):
    row = db.session.scalar(db.select(ApiToken))
    revoke(row)

    response = api.get("/warehouses")

    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize(("scopes", "method", "path", "needed"), [
    (["stock:read"], "POST", "/orders", "orders"),
    (["stock:read"], "GET", "/orders", "orders"),
    (["orders"], "GET", "/stock/SKU-001", "stock:read"),
    (["orders", "stock:read"], "POST", "/stock/receipts", "stock:write"),
    (["stock:write"], "POST", "/stock/adjustments", None),
    (["orders"], "PUT", "/skus/SKU-001", "catalog:write"),
])
def test_a_missing_scope_is_403_naming_it(client, make_token, scopes, method, path, needed):
    api = Api(client, make_token(scopes))

    response = api.request(method, path, json={})

    if needed is None:
        assert response.status_code == 422  # allowed: it reached the body checks
        return
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"
    assert response.json["error"]["details"]["required_scope"] == needed


def test_any_valid_token_may_read_warehouses_and_skus(client, make_token, sku):
    api = Api(client, make_token(["orders"]))

    assert api.get("/warehouses").status_code == 200
    assert api.get("/skus/SKU-001").status_code == 200


def test_use_is_recorded_on_the_token(api, token):
    row = db.session.scalar(db.select(ApiToken))
    assert row.last_used_at is None

    api.get("/warehouses")

    db.session.expire_all()
    first_use = db.session.scalar(db.select(ApiToken)).last_used_at
    assert first_use is not None
    api.get("/warehouses")
    db.session.expire_all()
    assert db.session.scalar(db.select(ApiToken)).last_used_at == first_use  # once a minute is enough


def test_the_rate_limit_is_per_token_and_answers_429_with_retry_after(app, client, make_token, warehouse):
    mine, theirs = Api(client, make_token()), Api(client, make_token())
    app.config["API_RATE_LIMIT"] = "3 per minute"
    try:
        answers = [mine.get("/warehouses").status_code for _ in range(4)]
        limited = mine.post("/orders", json=order_body())
        other_token = theirs.get("/warehouses")
    finally:
        del app.config["API_RATE_LIMIT"]

    assert answers == [200, 200, 200, 429]
    assert limited.status_code == 429
    assert limited.json["error"]["code"] == "too_many_requests"
    assert limited.json["error"]["message"] == "请求过于频繁，请稍后再试"
    assert int(limited.headers["Retry-After"]) > 0
    assert other_token.status_code == 200


def test_the_openapi_document_needs_no_token(api):
    response = api.get("/openapi.json", token=None)

    assert response.status_code == 200
    assert response.json["openapi"].startswith("3.1")


def test_unknown_api_paths_answer_json(api):
    response = api.get("/nothing-here")

    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_no_csrf_token_is_needed(app, api, warehouse, sku):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = api.post("/stock/receipts", json={"warehouse": "WH-SH", "lines": [{"sku": "SKU-001", "qty": 1}]})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False

    assert response.status_code == 201
