"""Hardening item 7 outside the API: form input, webhook size and rate, the import's own body limit,
and client addresses behind trusted proxies."""

import io

from flask import request

from tests.security.outages import redis_is_down


def test_a_nul_byte_in_a_form_field_is_a_422_naming_the_field(client):
    response = client.post("/login", data={"username": "zhang\x00san", "password": "whatever-long"})

    assert response.status_code == 422
    assert "username" in response.text and "<html" in response.text


def test_a_push_over_the_hook_limit_is_refused_before_the_shop_is_looked_up(client):
    response = client.post("/hooks/youzan/no-such-shop", data=b"{" + b" " * (300 * 1024) + b"}",
                           content_type="application/json")

    assert response.status_code == 413


def test_deep_json_at_a_hook_is_refused_before_the_signature_check(client):
    response = client.post("/hooks/youzan/no-such-shop", data=b"[" * 1000 + b"]" * 1000,
                           content_type="text/plain")

    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"


def test_pushes_are_rate_limited_per_shop(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "HOOK_RATE_LIMIT_PER_CHANNEL", "2 per minute")
    answers = [client.post("/hooks/youzan/shop-a", data=b"{}").status_code for _ in range(3)]

    assert answers == [404, 404, 429]
    assert client.post("/hooks/youzan/shop-b", data=b"{}").status_code == 404


def test_pushes_are_rate_limited_per_address_across_shops(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "HOOK_RATE_LIMIT_PER_IP", "3 per minute")
    answers = [client.post(f"/hooks/youzan/made-up-{number}", data=b"{}").status_code for number in range(4)]

    assert answers == [404, 404, 404, 429]


def test_hooks_answer_503_json_when_redis_is_down(client, monkeypatch, app):
    redis_is_down(monkeypatch, app)
    response = client.post("/hooks/youzan/no-such-shop", data=b"{}")

    assert response.status_code == 503
    assert response.json["error"]["code"] == "service_unavailable"


def test_the_order_import_accepts_a_file_larger_than_the_general_limit(client, login_as):
    login_as("admin")
    big_csv = b"order_no,phone\n" + b"OH1,13800138000\n" * (3 * 1024 * 1024 // 16)

    response = client.post("/staff/channels/import", data={"file": (io.BytesIO(big_csv), "big.csv")},
                           content_type="multipart/form-data")

    assert response.status_code == 422  # the form's own answer (no shop chosen), not 413
    too_big = client.post("/staff/orders", data={"note": "x" * (2 * 1024 * 1024)})
    assert too_big.status_code == 413


def test_client_addresses_come_from_trusted_proxies_only(app, make_app, tmp_path):
    settings = {"TESTING": True, "INSTANCE_PATH": str(tmp_path), "REDIS_URL": app.config["REDIS_URL"]}
    behind_one = make_app(settings | {"TRUSTED_PROXIES": 1})
    direct = make_app(settings)
    for each in (behind_one, direct):
        each.add_url_rule("/whoami", "whoami", lambda: request.remote_addr)
    forwarded = {"X-Forwarded-For": "203.0.113.9"}

    assert behind_one.test_client().get("/whoami", headers=forwarded).text == "203.0.113.9"
    assert direct.test_client().get("/whoami", headers=forwarded).text == "127.0.0.1"
