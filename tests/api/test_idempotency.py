"""Idempotency-Key: replay, conflict, per-channel keys, stored refusals, and what is not stored."""

import json

from app.domain.orders.models import Order
from app.web.api.idempotency_models import IdempotencyRecord
from tests.api.conftest import Api, count, order_body, receive


def test_the_same_key_and_body_replay_the_first_response(api, sku):
    first = api.post("/orders", json=order_body(), key="key-1")
    second = api.post("/orders", json=order_body(), key="key-1")

    assert first.status_code == second.status_code == 201
    assert second.json == first.json
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert count(Order) == 1
    assert api.get("/stock/SKU-001").json["available"] == 8


def test_key_order_and_whitespace_of_the_body_do_not_matter(api, sku):
    body = order_body()
    api.post("/orders", json=body, key="key-1")
    reordered = dict(reversed(body.items())) | {"buyer": {"phone": "13800138000", "name": "张三"}}

    replayed = api.post("/orders", data=json.dumps(reordered, ensure_ascii=False, indent=2),
                        content_type="application/json", key="key-1")

    assert list(reordered) != list(body)
    assert replayed.status_code == 201
    assert replayed.headers["Idempotent-Replayed"] == "true"


def test_the_same_key_with_another_body_is_409_and_changes_nothing(api, sku):
    api.post("/orders", json=order_body(), key="key-1")

    response = api.post("/orders", json=order_body(external_id="OTHER"), key="key-1")

    assert response.status_code == 409
    assert response.json["error"]["code"] == "idempotency_conflict"
    assert count(Order) == 1


def test_the_same_key_on_another_path_is_a_conflict_too(api, sku):
    order_no = api.post("/orders", json=order_body(), key="key-1").json["order_no"]

    response = api.post(f"/orders/{order_no}/cancel", json={}, key="key-1")

    assert response.status_code == 409
    assert response.json["error"]["code"] == "idempotency_conflict"
    assert api.get(f"/orders/{order_no}").json["status"] == "01"


def test_keys_belong_to_one_channel(api, sku, make_token, other_channel):
    other = Api(api.client, make_token(["orders"], other_channel))

    mine = api.post("/orders", json=order_body(), key="shared-key")
    theirs = other.post("/orders", json=order_body(), key="shared-key")

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json["order_no"] != theirs.json["order_no"]
    assert theirs.json["channel"] == "pos-sh-01"


def test_a_refusal_is_stored_and_replayed_even_when_it_would_now_succeed(api, sku, warehouse):
    body = order_body(lines=[{"sku": "SKU-001", "qty": 20}], discount="0.00")
    refused = api.post("/orders", json=body, key="key-1")
    receive(warehouse, sku, 100)

    replayed = api.post("/orders", json=body, key="key-1")
    fresh = api.post("/orders", json=body, key="key-2")

    assert refused.status_code == replayed.status_code == 409
    assert replayed.json == refused.json
    assert refused.json["error"]["code"] == "out_of_stock"
    assert fresh.status_code == 201
    assert count(Order) == 1


def test_a_validation_refusal_is_stored_and_leaves_nothing_else(api, sku):
    body = order_body(receiver=dict(order_body()["receiver"], phone="123"))

    first = api.post("/orders", json=body, key="key-1")
    again = api.post("/orders", json=body, key="key-1")

    assert first.status_code == again.status_code == 422
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count(Order) == 0
    assert count(IdempotencyRecord) == 1


def test_forbidden_and_unauthorized_answers_are_not_stored(api, sku, make_token, client):
    stock_only = Api(client, make_token(["stock:read"]))

    forbidden = stock_only.post("/orders", json=order_body(), key="key-1")
    unauthorized = api.post("/orders", json=order_body(), key="key-1", token="oh_wrong")
    allowed = api.post("/orders", json=order_body(), key="key-1")

    assert (forbidden.status_code, unauthorized.status_code, allowed.status_code) == (403, 401, 201)
    assert "Idempotent-Replayed" not in allowed.headers


def test_an_action_replayed_answers_as_the_first_time(api, sku):
    order = api.post("/orders", json=order_body()).json
    pay = {"paid_amount": "108.00"}

    first = api.post(f"/orders/{order['order_no']}/pay", json=pay, key="pay-1")
    second = api.post(f"/orders/{order['order_no']}/pay", json=pay, key="pay-1")

    assert second.json == first.json
    assert [event["action"] for event in second.json["events"]] == ["create", "pay"]


def test_a_malformed_key_is_refused(api, sku):
    response = api.post("/orders", json=order_body(), key="x" * 256)

    assert response.status_code == 422
    assert "Idempotency-Key" in response.json["error"]["details"]["fields"]
    assert count(Order) == 0
