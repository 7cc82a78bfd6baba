"""POST /hooks/douyin/{channel}: 抖店's push with the real verify/parse, end to end to the order, and the
simulator pushing to OrderHub's hook when it creates or changes an order."""

import json
import threading
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from flask import Flask, request
from sqlalchemy import func, select
from werkzeug.datastructures import Headers
from werkzeug.serving import make_server

from app.db import utcnow
from app.domain.channels.adapters.douyin import event_sign
from app.domain.channels.connect import build_adapter
from app.domain.channels.models import ChannelError, HookMessage, PayloadStatus, RawPayload
from app.domain.orders.models import Order
from app.domain.orders.states import OrderStatus
from app.extensions import db
from app.jobs import get_queue
from app.simulators import douyin
from tests.channels import douyin_support
from tests.channels.douyin_support import douyin_order, gateways, load, sim_state
from tests.conftest import run_worker

douyin_shop, douyin_sim = douyin_support.douyin_shop, douyin_support.douyin_sim
HOOK = "/hooks/douyin/dy-shop"
REPLY = '{"code":0,"msg":"success"}'


@pytest.fixture
def hooked(app, monkeypatch, douyin_shop, douyin_sim):
    """The shop committed and the app's Douyin gateway pointed at this test's simulator (the fetch job uses it)."""
    monkeypatch.setitem(app.config, "DOUYIN_GATEWAY_URL", douyin_sim.url + "/")
    db.session.commit()
    return douyin_sim


def push_body(order_id: str, msg_id: str = "7100000000000000001", tag: str = "101") -> bytes:
    data = json.dumps({"p_id": order_id, "s_ids": [f"{order_id}0"], "order_status": 2, "order_type": 0,
                       "pay_amount": 19980, "pay_type": 1, "pay_time": 1718670000, "shop_id": 100001},
                      separators=(",", ":"))
    return json.dumps([{"tag": tag, "msg_id": msg_id, "data": data}], separators=(",", ":")).encode()


def post(client, body: bytes, secret: str = douyin.DEMO_APP_SECRET, app_id: str = douyin.DEMO_APP_KEY):
    return client.post(HOOK, data=body, headers={"app-id": app_id, "event-sign": event_sign(app_id, secret, body),
                                                 "Content-Type": "application/json"})


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def order_named(external_id: str) -> Order | None:
    return db.session.scalar(select(Order).where(Order.external_id == external_id))


def test_a_signed_push_is_answered_as_douyin_expects_and_the_order_fetched(client, hooked):
    load(hooked, [douyin_order("6900000000000010001", 2, utcnow() - timedelta(minutes=1))])

    response = post(client, push_body("6900000000000010001"))

    assert response.status_code == 200 and response.text == REPLY
    assert [(job.func_name, job.args[1]) for job in get_queue("channels").get_jobs()] == [
        ("workers.channel_sync.fetch_pushed_order", "6900000000000010001")]
    run_worker()
    assert order_named("6900000000000010001").status == OrderStatus.PAID


@pytest.mark.parametrize("forged", ["body", "secret", "app-id"])
def test_a_bad_signature_is_refused_with_401_and_nothing_is_stored(client, hooked, forged):
    body = push_body("6900000000000010002")
    headers = {"app-id": douyin.DEMO_APP_KEY, "event-sign": event_sign(douyin.DEMO_APP_KEY, douyin.DEMO_APP_SECRET, body)}
    if forged == "body":
        body = body.replace(b"10002", b"19999")
    elif forged == "secret":
        headers["event-sign"] = event_sign(douyin.DEMO_APP_KEY, "guessed", body)
    else:
        headers["app-id"] = "7000000000000000999"

    response = client.post(HOOK, data=body, headers=headers)

    assert response.status_code == 401 and response.json["error"]["code"] == "signature_invalid"
    assert count(HookMessage) == 0 and count(RawPayload) == 0 and get_queue("channels").get_jobs() == []


def test_fifty_copies_of_one_push_make_one_order(client, hooked):
    load(hooked, [douyin_order("6900000000000010003", 105, utcnow() - timedelta(minutes=1))])
    body = push_body("6900000000000010003")

    replies = {(response.status_code, response.text) for response in (post(client, body) for _ in range(50))}

    assert replies == {(200, REPLY)} and count(HookMessage) == 1 and len(get_queue("channels").get_jobs()) == 1
    run_worker()
    assert db.session.scalar(select(func.count()).select_from(Order)
                             .where(Order.external_id == "6900000000000010003")) == 1
    assert count(RawPayload) == 1


def test_the_verification_message_gets_the_success_reply_and_queues_nothing(client, hooked):
    body = json.dumps([{"tag": "0", "msg_id": "0", "data": "{}"}]).encode()

    response = post(client, body)

    assert (response.status_code, response.text) == (200, REPLY) and get_queue("channels").get_jobs() == []


def test_a_signed_body_that_is_not_douyins_array_is_a_400(client, hooked):
    assert post(client, b'{"tag":"101"}').status_code == 400


def test_the_simulator_pushes_new_and_changed_orders_to_the_hook(app, client, hooked):
    simulator = hooked.simulator

    def deliver(url, headers, body):  # OrderHub's hook, through the test client instead of a socket
        response = client.post(urlsplit(url).path, data=body, headers=headers)
        return response.status_code, response.text

    simulator.deliver = deliver
    simulator.push_targets[next(iter(simulator.state.sessions.values()))] = f"http://orderhub.test{HOOK}"
    load(hooked, [douyin_order("6900000000000010004", 1, utcnow() - timedelta(minutes=1))])
    run_worker()
    assert order_named("6900000000000010004").status == OrderStatus.PENDING_PAYMENT

    with simulator.state.lock:
        simulator.advance("6900000000000010004", douyin.now_gmt8())  # paid (or cancelled) by the buyer
    assert simulator.flush_pushes() == 1
    run_worker()

    expected = {105: OrderStatus.PAID, 4: OrderStatus.CLOSED}[simulator.state.orders["6900000000000010004"]["order_status"]]
    assert order_named("6900000000000010004").status == expected
    assert sim_state(hooked)["counters"]["pushes_sent"] == 2 and count(HookMessage) == 2


def test_the_simulator_posts_pushes_over_http_signed_as_douyin_does(world, douyin_shop):
    received = []
    receiver = Flask("hook-receiver")

    @receiver.post("/hooks/douyin/dy-shop")
    def hook():
        received.append((Headers(request.headers), request.get_data()))  # case-insensitive, as Flask's
        return REPLY, 200, {"Content-Type": "application/json"}

    server = make_server("127.0.0.1", 0, receiver, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        simulator = douyin.DouyinSimulator(seed=3, push_url=f"http://127.0.0.1:{server.server_port}{HOOK}")
        simulator.trickle_step()  # the first step always creates an order
    finally:
        server.shutdown()
        thread.join(timeout=5)

    [(headers, body)] = received
    adapter = build_adapter(douyin_shop, gateways("http://127.0.0.1:1"), sleep=lambda _: None)
    assert adapter.verify_push(headers, body) and headers["app-id"] == douyin.DEMO_APP_KEY
    [message] = adapter.parse_push(headers, body).messages
    assert message.external_id in simulator.state.orders and message.topic == "trade_TradeCreate"
    assert simulator.state.counters["pushes_sent"] == 1


def test_a_push_whose_detail_fetch_fails_is_an_error_on_the_health_page_with_the_message_and_a_retry(
        client, login_as, hooked):
    assert post(client, push_body("6900000000000019001", msg_id="7100000000000000901")).status_code == 200
    run_worker()  # the platform does not know the order (yet): the detail call is refused

    [error] = db.session.scalars(select(ChannelError).where(ChannelError.resolved_at.is_(None))).all()
    assert error.kind == "push" and "6900000000000019001" in error.message
    stub = error.raw_payload
    assert stub.status == PayloadStatus.FETCH_FAILED
    assert stub.payload["pushed_message"]["message_id"] == "7100000000000000901"
    login_as("customer_service")
    page = client.get("/staff/sync").text
    assert "6900000000000019001" in page and f'value="{stub.id}"' in page
    assert "7100000000000000901" in client.get(f"/staff/sync/payload?id={stub.id}").text
    error_id, stub_id = error.id, stub.id

    load(hooked, [douyin_order("6900000000000019001", 2, utcnow() - timedelta(minutes=1))])
    assert client.post("/staff/sync/retry", data={"payload_id": stub_id}).status_code in (200, 302, 303)
    run_worker()

    assert order_named("6900000000000019001").status == OrderStatus.PAID
    assert db.session.scalar(select(ChannelError.resolved_at).where(ChannelError.id == error_id)) is not None
    assert db.session.scalar(select(RawPayload.status).where(RawPayload.id == stub_id)) == PayloadStatus.SUPERSEDED
