"""Phone + one-time SMS code: the code is sent through the notifications outbox, stored hashed in Redis
with a TTL and an attempt counter, and lists the phone's orders of the last 180 days."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.db import utcnow
from app.domain.notifications.models import Message
from app.domain.orders.models import Order
from app.extensions import db
from app.redis_conn import get_redis
from tests.conftest import htmx_headers
from tests.portal import orders

WRONG_CODE = "验证码错误或已过期，请重新获取"


def request_code(client, phone=orders.RECEIVER_PHONE, **kwargs):
    return client.post("/portal/code", data={"phone": phone}, **kwargs)


def challenge_in(html: str) -> str:
    return re.search(r'name="challenge" type="hidden" value="([^"]+)"', html)[1]


def sent_code(app, phone=orders.RECEIVER_PHONE) -> str:
    """The code as the SMS provider would get it: from the outbox row the portal queued."""
    with app.app_context():
        message = db.session.scalar(select(Message).where(Message.recipient == phone, Message.template == "login_code")
                                    .order_by(Message.id.desc()))
        return message.params["code"]


def verify(client, challenge, code, **kwargs):
    return client.post("/portal/code/verify", data={"challenge": challenge, "code": code}, **kwargs)


def log_in_with_code(app, client, phone=orders.RECEIVER_PHONE, **kwargs):
    challenge = challenge_in(request_code(client, phone).text)
    return verify(client, challenge, sent_code(app, phone), **kwargs)


def test_code_page_and_its_htmx_panel(client):
    page = client.get("/portal/code")
    panel = client.get("/portal/code", headers=htmx_headers())

    assert page.status_code == panel.status_code == 200
    assert "<html" in page.text and "<html" not in panel.text
    assert 'id="code-panel"' in panel.text


@pytest.mark.parametrize("htmx", [False, True])
def test_requesting_a_code_queues_an_sms_and_shows_the_masked_phone(app, client, htmx):
    response = request_code(client, headers=htmx_headers() if htmx else {})

    assert response.status_code == 200
    assert "验证码已发送至 138****8000" in response.text
    assert "13800138000" not in response.text
    assert ("<html" in response.text) is not htmx
    assert re.fullmatch(r"\d{6}", sent_code(app))


def test_the_code_is_stored_hashed_with_a_five_minute_ttl(app, client):
    challenge = challenge_in(request_code(client).text)
    code = sent_code(app)

    with app.app_context():
        redis = get_redis()
        key = f"portal:login-code:{challenge}"
        stored = redis.hgetall(key)
        assert 0 < redis.ttl(key) <= 300
        assert code.encode() not in b"".join(stored.values())
        assert stored[b"attempts"] == b"0"
        assert not any(b"13800138000" in k for k in redis.keys("portal:login-code-for:*"))


@pytest.mark.parametrize("htmx", [False, True])
def test_right_code_lists_the_phones_orders_as_receiver_and_buyer(app, client, shop, htmx):
    with app.app_context():
        as_receiver = orders.place_order(shop, "in_transit")
        as_buyer = orders.place_order(shop, "paid", receiver_phone="13622223333", buyer_phone=orders.RECEIVER_PHONE)
        someone_else = orders.place_order(shop, "paid", receiver_phone="13622223333", buyer_phone="13622223333")
        db.session.commit()

    response = log_in_with_code(app, client, headers=htmx_headers() if htmx else {})

    assert response.status_code == 200
    assert ("<html" in response.text) is not htmx
    assert as_receiver.order_no in response.text and as_buyer.order_no in response.text
    assert someone_else.order_no not in response.text
    assert "138****8000" in response.text and "13800138000" not in response.text
    links = re.findall(r'href="(/portal/o/[^"]+)"', response.text)
    assert len(links) == 2
    assert all(client.get(link).status_code == 200 for link in links)


def test_orders_older_than_180_days_are_not_listed(app, client, shop):
    with app.app_context():
        old = orders.place_order(shop, "completed")
        db.session.get(Order, old.id).created_at = utcnow() - timedelta(days=181)
        recent = orders.place_order(shop, "paid")
        db.session.commit()

    html = log_in_with_code(app, client).text

    assert recent.order_no in html and old.order_no not in html


def test_a_phone_without_orders_gets_an_empty_list_not_an_error(app, client):
    response = log_in_with_code(app, client, phone="13722223333")

    assert response.status_code == 200
    assert "近 180 天没有这个手机号的订单。" in response.text


@pytest.mark.parametrize("htmx", [False, True])
def test_wrong_code_is_refused_with_one_message(app, client, htmx):
    challenge = challenge_in(request_code(client).text)
    wrong = f"{(int(sent_code(app)) + 1) % 10**6:06d}"

    response = verify(client, challenge, wrong, headers=htmx_headers() if htmx else {})

    assert response.status_code == 422
    assert WRONG_CODE in response.text
    assert ("<html" in response.text) is not htmx


def test_unknown_or_forged_challenge_gets_the_same_answer_as_a_wrong_code(app, client):
    challenge = challenge_in(request_code(client).text)
    wrong = verify(client, challenge, "000000" if sent_code(app) != "000000" else "111111")
    unknown = verify(client, "A" * 32, "123456")
    forged = verify(client, "../../etc", "123456")

    assert wrong.status_code == unknown.status_code == forged.status_code == 422
    assert WRONG_CODE in wrong.text and WRONG_CODE in unknown.text and WRONG_CODE in forged.text


def test_a_code_works_once(app, client):
    challenge = challenge_in(request_code(client).text)
    code = sent_code(app)

    assert verify(client, challenge, code).status_code == 200
    assert verify(client, challenge, code).status_code == 422


def test_after_five_wrong_guesses_the_right_code_no_longer_works(app, client):
    challenge = challenge_in(request_code(client).text)
    code = sent_code(app)
    wrong = f"{(int(code) + 1) % 10**6:06d}"

    for _ in range(5):
        assert verify(client, challenge, wrong).status_code == 422
    assert verify(client, challenge, code).status_code == 422


def test_a_new_code_replaces_the_previous_one(app, client):
    first = challenge_in(request_code(client).text)
    first_code = sent_code(app)
    second = challenge_in(request_code(client).text)

    assert verify(client, first, first_code).status_code == 422
    assert verify(client, second, sent_code(app)).status_code == 200


def test_an_expired_code_is_refused(app, client):
    challenge = challenge_in(request_code(client).text)
    with app.app_context():
        get_redis().delete(f"portal:login-code:{challenge}")  # what the TTL does after five minutes

    assert verify(client, challenge, sent_code(app)).status_code == 422


@pytest.mark.parametrize(("phone", "message"), [
    ("12345", "手机号格式不正确"),
    ("02162345678", "验证码只能发送到手机号"),
    ("", "请输入手机号"),
])
@pytest.mark.parametrize("htmx", [False, True])
def test_malformed_phone_is_refused_in_chinese_and_nothing_is_sent(app, client, phone, message, htmx):
    response = request_code(client, phone, headers=htmx_headers() if htmx else {})

    assert response.status_code == 422
    assert message in response.text
    with app.app_context():
        assert db.session.scalar(select(Message.id).where(Message.template == "login_code")) is None


@pytest.mark.parametrize("code", ["12345", "abcdef", "1234567", ""])
def test_malformed_code_is_refused_in_chinese(client, code):
    response = verify(client, "A" * 32, code)

    assert response.status_code == 422
    assert "验证码" in response.text
