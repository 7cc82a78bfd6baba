"""Hardening item 7 on the API: body size, JSON depth, NUL bytes and lone surrogates, and refused
tokens limited per address without a Redis key per made-up token."""

import json

from app.domain.orders.models import Order
from app.redis_conn import get_redis
from tests.api.conftest import count, order_body


def post_raw(client, token, body: str, **kwargs):
    return client.post("/api/v1/orders", data=body, content_type="application/json",
                       headers={"Authorization": f"Bearer {token}"}, **kwargs)


def test_a_body_over_the_limit_is_refused_with_413(client, token):
    response = post_raw(client, token, json.dumps(order_body(note="x" * (1024 * 1024))))

    assert response.status_code == 413
    assert response.json["error"]["code"] == "request_entity_too_large"


def test_deeply_nested_json_is_refused_before_parsing(client, token, sku):
    response = post_raw(client, token, '{"external_id": ' + "[" * 5000 + "]" * 5000 + "}")

    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"
    assert count(Order) == 0


def test_brackets_inside_strings_do_not_count_as_nesting(client, token, sku):
    body = order_body(note="[" * 100 + "{" * 100)
    assert post_raw(client, token, json.dumps(body)).status_code == 201


def test_nul_bytes_and_lone_surrogates_are_422_naming_each_field(client, token, sku):
    body = order_body(lines=[{"sku": "SKU-\ud800", "qty": 1, "unit_price": "59.00"}])
    body["receiver"]["name"] = "张\x00三"

    response = post_raw(client, token, json.dumps(body))

    assert response.status_code == 422
    assert set(response.json["error"]["details"]["fields"]) == {"lines[0].sku", "receiver.name"}
    assert count(Order) == 0


def test_a_nul_byte_in_the_query_string_or_path_is_422(client, token):
    headers = {"Authorization": f"Bearer {token}"}
    in_query = client.get("/api/v1/orders?status=paid%00", headers=headers)
    in_path = client.get("/api/v1/orders/OH%002601", headers=headers)

    assert in_query.status_code == 422 and "status" in in_query.json["error"]["details"]["fields"]
    assert in_path.status_code == 422


def test_made_up_tokens_share_one_bucket_per_address_and_add_no_keys(app, client, token, monkeypatch):
    monkeypatch.setitem(app.config, "API_AUTH_FAILURE_LIMIT_PER_IP", "5 per minute")
    attacker = {"REMOTE_ADDR": "198.51.100.7"}
    answers = []
    for number in range(3):
        answers.append(client.get("/api/v1/orders", headers={"Authorization": f"Bearer oh_bogus{number}"},
                                  environ_base=attacker).status_code)
    keys_after_three = len(get_redis().keys("*"))
    for number in range(3, 8):
        answers.append(client.get("/api/v1/orders", headers={"Authorization": f"Bearer oh_bogus{number}"},
                                  environ_base=attacker).status_code)

    assert answers == [401] * 5 + [429] * 3
    assert len(get_redis().keys("*")) == keys_after_three
    # A working token from another address is not affected; from the attacker's address it waits too.
    working = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/orders", headers=working).status_code == 200
    assert client.get("/api/v1/orders", headers=working, environ_base=attacker).status_code == 429
