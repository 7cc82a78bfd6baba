"""POST /hooks/{platform}/{channel}: the generic intake, exercised with a fake push platform.

Taobao and JD have no HTTP push; Douyin and Youzan will add their verify/parse functions to their
adapters and get everything tested here (raw-body signature, duplicate ids, reply, queued work) for free.
"""

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.db import utcnow
from app.domain.channels.adapters import ADAPTERS
from app.domain.channels.adapters.base import PushBatch, PushMessage
from app.domain.channels.adapters.taobao import TaobaoAdapter
from app.domain.channels.models import RawPayload
from app.domain.channels.shop_settings import CredentialsData, save_credentials
from app.domain.orders.models import Order
from app.extensions import csrf, db
from app.jobs import get_queue
from tests import factories
from tests.channels.builders import taobao_trade
from tests.conftest import run_worker


class FakePushAdapter(TaobaoAdapter):
    """Taobao's payloads, pushed over HTTP with an HMAC of the raw body in a header."""

    platform = "fakepush"

    def verify_push(self, headers, body: bytes) -> bool:
        expected = hmac.new(self.credentials.push_secret.encode(), body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, headers.get("X-Sign", ""))

    def parse_push(self, headers, body: bytes) -> PushBatch:
        messages = [PushMessage(item["id"], item.get("tid", ""), item.get("trade"), item.get("topic", ""))
                    for item in json.loads(body)]
        return PushBatch(messages, reply_body='{"result":"ok"}')


@pytest.fixture
def fake_shop(world, monkeypatch):
    monkeypatch.setitem(ADAPTERS, "fakepush", FakePushAdapter)
    channel = factories.ChannelFactory(code="fake-shop", platform="fakepush")
    save_credentials(channel, CredentialsData("k", "s", "t", "hook-secret"), "test")
    db.session.commit()
    return channel


def post(client, body: bytes, secret: str = "hook-secret", path: str = "/hooks/fakepush/fake-shop"):
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post(path, data=body, headers={"X-Sign": signature, "Content-Type": "application/json"})


def trade_message(message_id: str, tid: str) -> dict:
    return {"id": message_id, "topic": "trade_TradeBuyerPay",
            "trade": taobao_trade(tid, "WAIT_SELLER_SEND_GOODS", utcnow() - timedelta(minutes=1))}


def payload_count() -> int:
    return db.session.scalar(select(func.count()).select_from(RawPayload))


def test_the_hooks_blueprint_is_exempt_from_csrf_and_checks_signatures_instead():
    assert "hooks" in {getattr(blueprint, "name", blueprint) for blueprint in csrf._exempt_blueprints}


def test_a_signed_push_is_stored_answered_and_processed_by_a_job(client, fake_shop):
    shop_id = fake_shop.id
    body = json.dumps([trade_message("m-1", "51001")]).encode()

    response = post(client, body)

    assert response.status_code == 200 and response.text == '{"result":"ok"}'
    assert payload_count() == 1
    assert [job.func_name for job in get_queue("channels").get_jobs()] == ["workers.channel_sync.process_payload"]
    run_worker()  # the job's unit of work ends its session: reload by id
    order = db.session.scalar(select(Order).where(Order.external_id == "51001"))
    assert order is not None and order.channel_id == shop_id and order.status == "02"


def test_a_repeated_message_id_is_dropped(client, fake_shop):
    body = json.dumps([trade_message("m-2", "51002")]).encode()
    assert post(client, body).status_code == 200

    again = post(client, body)

    assert again.status_code == 200 and payload_count() == 1 and len(get_queue("channels").get_jobs()) == 1


def test_a_tampered_body_is_refused_and_leaves_nothing(client, fake_shop):
    body = json.dumps([trade_message("m-3", "51003")]).encode()
    signature = hmac.new(b"hook-secret", body, hashlib.sha256).hexdigest()

    response = client.post("/hooks/fakepush/fake-shop", data=body.replace(b"51003", b"59999"),
                           headers={"X-Sign": signature})

    assert response.status_code == 401 and response.json["error"]["code"] == "signature_invalid"
    assert payload_count() == 0 and get_queue("channels").get_jobs() == []


def test_a_message_naming_only_the_order_queues_a_detail_fetch(client, fake_shop):
    response = post(client, json.dumps([{"id": "m-4", "tid": "51004"}]).encode())

    assert response.status_code == 200
    [job] = get_queue("channels").get_jobs()
    assert (job.func_name, job.args[:2]) == ("workers.channel_sync.fetch_pushed_order", [fake_shop.id, "51004"])
    assert job.args[2]["message_id"] == "m-4" and job.args[2]["external_id"] == "51004"


@pytest.mark.parametrize("path", ["/hooks/taobao/tb-shop", "/hooks/jd/tb-shop", "/hooks/fakepush/no-such-shop"])
def test_platforms_without_http_push_and_unknown_shops_are_not_found(client, world, path):
    response = post(client, b"[]", path=path)
    assert response.status_code == 404
