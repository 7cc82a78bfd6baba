"""POST /hooks/youzan/{channel}: Youzan's real push format (``sign`` over the raw ``msg``, ``Event-Sign``
over the raw body), built by the simulator, end to end to an order; and the simulator's own delivery."""

import json
import threading
from datetime import timedelta

import pytest
import redis
from flask import Flask, request
from sqlalchemy import delete, func, select
from werkzeug.serving import make_server

from app import jobs
from app.db import utcnow
from app.domain.channels import intake
from app.domain.channels.adapters.base import Credentials, PushBatch, PushMessage
from app.domain.channels.adapters.youzan import YouzanAdapter, push_sign
from app.domain.channels.connect import settings_of
from app.domain.channels.models import PayloadStatus, RawPayload
from app.domain.channels.shop_settings import CredentialsData, save_credentials
from app.domain.orders.models import Order
from app.extensions import db
from app.job_outbox import OutboxJob
from app.jobs import get_queue
from app.simulators import youzan
from app.simulators.shop_platform import now_gmt8, serve
from tests import factories
from tests.channels.builders import youzan_order
from tests.conftest import run_worker

HOOK = "/hooks/youzan/yz-hook"
SUCCESS = '{"code":0,"msg":"success"}'


@pytest.fixture
def youzan_sim(app, monkeypatch):
    running = serve(youzan.YouzanSimulator(seed=11))
    monkeypatch.setitem(app.config, "YOUZAN_GATEWAY_URL", running.url + "/api")  # the job's detail call
    yield running
    running.stop()


@pytest.fixture
def shop(world):
    channel = factories.ChannelFactory(code="yz-hook", platform="youzan", unpaid_timeout_minutes=3 * 24 * 60)
    save_credentials(channel, CredentialsData(youzan.DEMO_APP_KEY, youzan.DEMO_APP_SECRET, "sim-youzan-token",
                                              youzan.DEMO_APP_SECRET), "test")
    settings_of(channel).calls_per_second = 1000
    db.session.commit()
    return channel


def pushed(sim, tid="E8001", status="WAIT_SELLER_SEND_GOODS") -> tuple[bytes, dict]:
    """The push the simulator makes for an order it holds (sign + Event-Sign, as Youzan sends them)."""
    sim.simulator.load([youzan_order(tid, status, utcnow() - timedelta(minutes=1))], None)
    return sim.simulator.push_envelope(sim.simulator.state.orders[tid])


def resign(envelope: dict) -> tuple[bytes, dict]:
    envelope["sign"] = push_sign(youzan.DEMO_APP_KEY, envelope["msg"], youzan.DEMO_APP_SECRET)
    body = json.dumps(envelope).encode()
    return body, {"Event-Sign": push_sign(youzan.DEMO_APP_KEY, body.decode(), youzan.DEMO_APP_SECRET)}


def payload_count() -> int:
    return db.session.scalar(select(func.count()).select_from(RawPayload))


def test_a_signed_push_is_answered_then_fetched_and_becomes_an_order(client, shop, youzan_sim):
    body, headers = pushed(youzan_sim)
    assert json.loads(body)["type"] == "trade_TradePaid" and "%22tid%22" in json.loads(body)["msg"]

    response = client.post(HOOK, data=body, headers=headers)

    assert response.status_code == 200 and response.text == SUCCESS
    [job] = get_queue("channels").get_jobs()
    assert job.func_name == "workers.channel_sync.fetch_pushed_order" and job.args[1] == "E8001"
    run_worker()
    order = db.session.scalar(select(Order).where(Order.external_id == "E8001"))
    assert order is not None and order.status == "02" and order.receiver_phone == "138****8000"


def test_a_redelivery_is_dropped_by_its_message_id(client, shop, youzan_sim):
    body, headers = pushed(youzan_sim, "E8002")
    assert client.post(HOOK, data=body, headers=headers).status_code == 200

    again = json.loads(body) | {"sendCount": 2}  # Youzan retries: same type, id and version
    response = client.post(HOOK, data=resign(again)[0], headers=resign(again)[1])

    assert response.status_code == 200 and response.text == SUCCESS
    assert len(get_queue("channels").get_jobs()) == 1


@pytest.mark.parametrize("tamper", ["body", "header", "sign", "client"])
def test_a_bad_signature_is_refused_and_leaves_nothing(client, shop, youzan_sim, tamper):
    body, headers = pushed(youzan_sim, "E8003")
    envelope = json.loads(body)
    if tamper == "body":
        body = body.replace(b"E8003", b"E8999")
    elif tamper == "header":
        headers = headers | {"Event-Sign": "0" * 32}
    elif tamper == "sign":  # no header: the body's sign over msg alone decides
        envelope["msg"] = envelope["msg"].replace("E8003", "E8999")
        body, headers = json.dumps(envelope).encode(), {}
    else:
        body, headers = json.dumps(envelope | {"client_id": "someone-else"}).encode(), {}

    response = client.post(HOOK, data=body, headers=headers)

    assert response.status_code == 401 and response.json["error"]["code"] == "signature_invalid"
    assert payload_count() == 0 and get_queue("channels").get_jobs() == []


def test_the_body_sign_alone_is_enough_and_test_messages_are_only_acknowledged(client, shop, youzan_sim):
    body, _ = pushed(youzan_sim, "E8004")
    assert client.post(HOOK, data=body).status_code == 200 and len(get_queue("channels").get_jobs()) == 1

    ping, headers = resign(json.loads(body) | {"test": True, "version": 1})
    response = client.post(HOOK, data=ping, headers=headers)

    assert response.text == SUCCESS and len(get_queue("channels").get_jobs()) == 1


def test_the_simulator_pushes_new_and_changed_orders_to_the_hook_url(world):
    received = []
    hook = Flask("hook")
    adapter = YouzanAdapter(Credentials(youzan.DEMO_APP_KEY, youzan.DEMO_APP_SECRET), "http://unused")

    @hook.post("/hooks/youzan/demo")
    def receive():
        body = request.get_data()
        received.append((adapter.verify_push(request.headers, body), adapter.parse_push(request.headers, body)))
        return SUCCESS

    server = make_server("127.0.0.1", 0, hook, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    simulator = youzan.YouzanSimulator(seed=3, push_url=f"http://127.0.0.1:{server.server_port}/hooks/youzan/demo")
    try:
        info = simulator.new_order("小满生活有赞微商城", youzan.now_gmt8())
        for _ in range(50):
            if simulator.state.counters["push_200"]:  # counted once our answer is back
                break
            threading.Event().wait(0.05)
    finally:
        server.shutdown()
    [(valid, batch)] = received
    assert valid and batch.messages[0].external_id == info["order_info"]["tid"] and batch.reply_body == SUCCESS
    assert simulator.state.counters["push_200"] == 1


# ---- replay (hardening item 8) ----------------------------------------------------------------------

@pytest.mark.parametrize("changed", [{"version": 1}, {"type": "trade_TradeCreate"}, {"id": "E9999"}])
def test_a_body_signed_only_in_msg_cannot_be_replayed_with_changed_unsigned_fields(client, shop, youzan_sim,
                                                                                   changed):
    body, _ = pushed(youzan_sim, "E8005")
    assert client.post(HOOK, data=body).status_code == 200

    replay = json.dumps(json.loads(body) | changed).encode()  # sign over msg still valid, no Event-Sign
    response = client.post(HOOK, data=replay)

    assert response.status_code == 200 and response.text == SUCCESS
    assert len(get_queue("channels").get_jobs()) == 1


def test_the_same_bytes_twice_are_dropped_by_the_body_digest(client, shop, youzan_sim):
    body, headers = pushed(youzan_sim, "E8006")

    answers = [client.post(HOOK, data=body, headers=headers).status_code for _ in range(3)]

    assert answers == [200, 200, 200] and len(get_queue("channels").get_jobs()) == 1


def test_a_message_older_than_the_replay_window_is_acknowledged_and_dropped(client, shop, youzan_sim):
    youzan_sim.simulator.load([youzan_order("E8007", "WAIT_SELLER_SEND_GOODS", utcnow() - timedelta(days=3))],
                              None)
    body, headers = youzan_sim.simulator.push_envelope(youzan_sim.simulator.state.orders["E8007"])

    response = client.post(HOOK, data=body, headers=headers)

    assert response.status_code == 200 and response.text == SUCCESS
    assert get_queue("channels").get_jobs() == []


def test_a_push_while_redis_is_down_is_acknowledged_once_stored_and_fetched_after_redis_is_back(
        client, shop, youzan_sim, monkeypatch):
    def refuse(*args, **kwargs):
        raise redis.exceptions.ConnectionError("Connection refused")

    db.session.execute(delete(OutboxJob))  # rows other tests' real commits left (rolled back with this test)
    send = jobs.enqueue_now
    monkeypatch.setattr(jobs, "enqueue_now", refuse)
    body, headers = pushed(youzan_sim, "E8010")
    response = client.post(HOOK, data=body, headers=headers)
    assert response.status_code == 200 and response.text == SUCCESS
    assert get_queue("channels").get_jobs() == []
    monkeypatch.setattr(jobs, "enqueue_now", send)  # Redis is back

    assert jobs.sweep_outbox(utcnow() + timedelta(minutes=1))["sent"] == 1
    run_worker()
    assert db.session.scalar(select(Order).where(Order.external_id == "E8010")) is not None


def test_a_redelivered_message_whose_stored_payload_still_waits_is_processed_again(world):
    trade = youzan_order("E8011", "WAIT_SELLER_SEND_GOODS", utcnow() - timedelta(minutes=1))
    channel = factories.ChannelFactory(code="yz-full", platform="youzan")
    message = PushMessage("msg-1", "E8011", payload=trade)
    assert intake.accept(channel, PushBatch([message]), body_digest="d1").accepted == 1
    stored = db.session.scalar(select(RawPayload).where(RawPayload.channel_id == channel.id))
    assert intake.accept(channel, PushBatch([message]), body_digest="d1").reprocessed == 0  # its job is on its way
    db.session.execute(delete(OutboxJob))  # that job is gone (failed and left to RQ), the payload still waits
    assert stored.status == PayloadStatus.PENDING

    report = intake.accept(channel, PushBatch([message]), body_digest="d1")

    assert (report.duplicates, report.reprocessed) == (1, 1)
    stored.status = PayloadStatus.APPLIED
    assert intake.accept(channel, PushBatch([message]), body_digest="d1").reprocessed == 0


# ---- a redelivery that names only the message id ------------------------------------------------------

def id_only(envelope: dict, tid: str) -> dict:
    """Youzan's redelivery of a trade message whose ``msg`` is empty: the trade is named only by ``id``."""
    return envelope | {"id": tid, "msg": "", "sendCount": 2, "sign": push_sign(youzan.DEMO_APP_KEY, "",
                                                                                 youzan.DEMO_APP_SECRET)}


@pytest.mark.parametrize("signed", ["body", "msg"])
def test_a_redelivery_naming_only_the_message_id_fetches_the_order(client, shop, youzan_sim, signed):
    body, _ = pushed(youzan_sim, "E8020")
    envelope = id_only(json.loads(body), "E8020")
    body = json.dumps(envelope).encode()
    headers = resign(envelope)[1] if signed == "body" else {}

    response = client.post(HOOK, data=body, headers=headers)

    assert response.status_code == 200 and response.text == SUCCESS
    [job] = get_queue("channels").get_jobs()
    assert job.func_name == "workers.channel_sync.fetch_pushed_order" and job.args[1] == "E8020"
    run_worker()
    order = db.session.scalar(select(Order).where(Order.external_id == "E8020"))
    assert order is not None and order.status == "02"


def test_id_only_redeliveries_of_two_orders_are_two_messages_and_each_is_fetched_once(client, shop, youzan_sim):
    first, _ = pushed(youzan_sim, "E8021")
    second, _ = pushed(youzan_sim, "E8022")
    deliveries = [json.dumps(id_only(json.loads(body), tid)).encode()
                  for body, tid in ((first, "E8021"), (second, "E8022"), (first, "E8021"))]

    answers = [client.post(HOOK, data=body).status_code for body in deliveries]

    assert answers == [200, 200, 200]
    assert sorted(job.args[1] for job in get_queue("channels").get_jobs()) == ["E8021", "E8022"]
    run_worker()
    assert db.session.scalar(select(func.count()).select_from(Order).where(
        Order.external_id.in_(["E8021", "E8022"]))) == 2


def test_a_refund_pushed_on_one_line_is_fetched_and_holds_the_order(client, shop, youzan_sim):
    simulator = youzan_sim.simulator
    simulator.load([youzan_order("E8301", "WAIT_SELLER_SEND_GOODS", utcnow() - timedelta(minutes=1),
                                 lines=(("SN-001", 1, "99.90"), ("HH-010", 2, "49.90")))], None)
    info = simulator.state.orders["E8301"]
    client.post(HOOK, data=simulator.push_envelope(info)[0], headers=simulator.push_envelope(info)[1])
    run_worker()

    simulator.request_line_refund(info, now_gmt8(), line=info["orders"][1])
    pushed_refund = simulator.outbox[-1]
    assert json.loads(pushed_refund["body"])["type"] == "trade_refund_RefundCreated"
    response = client.post(HOOK, data=pushed_refund["body"].encode(), headers=pushed_refund["headers"])
    assert response.status_code == 200 and response.text == SUCCESS
    run_worker()

    order = db.session.scalar(select(Order).where(Order.external_id == "E8301"))
    db.session.refresh(order)
    assert order.status == "E1" and "HH-010" in order.events[-1].reason
