"""Each adapter against its simulator over real HTTP and SMTP on localhost: the request the provider
accepts, its errors sorted into transient and permanent, and what the customer would read."""

import json
from datetime import timedelta
from urllib.request import Request, urlopen

import pytest

from app.db import utcnow
from app.domain.notifications import adapters, outbox
from app.domain.notifications.adapters import PermanentError, TransientError, http
from app.domain.notifications.adapters.sms import signature
from app.domain.notifications.models import MessageStatus
from app.domain.notifications.outbox import Outgoing
from app.extensions import db
from app.redis_conn import get_redis
from tests.conftest import run_worker
from tests.notifications.conftest import OPENID, free_port, later, messages

pytestmark = pytest.mark.usefixtures("app_context")
PAID = {"order_no": "OH26112500000001", "amount": "59.00"}


def outgoing(channel: str, recipient: str, template: str = "order_paid", params: dict | None = None,
             message_id: int = 41) -> Outgoing:
    return Outgoing(message_id, channel, recipient, template, params or PAID, 1, False)


def adapter(app, channel: str):
    return adapters.build(channel, app.config, get_redis())


def inbox(simulators, channel: str | None = None) -> list[dict]:
    return simulators.store.messages(channel)


def fault(simulators, channel: str, code, times: int = 1) -> None:
    body = json.dumps({"channel": channel, "code": code, "times": times}).encode()
    request = Request(f"{simulators.http_url}/_simulator/faults", data=body, method="POST",
                      headers={"Content-Type": "application/json"})
    with urlopen(request, timeout=5):
        pass


# --- SMS (Aliyun-style) -----------------------------------------------------------------------------------

def test_rpc_signature_matches_the_providers_published_examples():
    describe_regions = {"AccessKeyId": "testid", "Action": "DescribeRegions", "Format": "XML",
                        "SignatureMethod": "HMAC-SHA1", "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
                        "SignatureVersion": "1.0", "Timestamp": "2016-02-23T12:46:24Z", "Version": "2014-05-26"}
    send_sms = {"AccessKeyId": "testId", "Action": "SendSms", "Format": "XML", "OutId": "123",
                "PhoneNumbers": "15300000001", "RegionId": "cn-hangzhou", "SignName": "阿里云短信测试专用",
                "SignatureMethod": "HMAC-SHA1", "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
                "SignatureVersion": "1.0", "TemplateCode": "SMS_71390007", "TemplateParam": '{"customer":"test"}',
                "Timestamp": "2017-07-12T02:42:19Z", "Version": "2017-05-25"}

    assert signature(describe_regions, "testsecret", "GET") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
    assert signature(send_sms, "testSecret", "GET") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_sms_is_accepted_with_a_biz_id_and_rendered_by_the_gateway(app, simulators):
    biz_id = adapter(app, "sms").send(outgoing("sms", "13800138000"))

    [received] = inbox(simulators, "sms")
    assert received["provider_id"] == biz_id and biz_id.endswith("^0")
    assert received["recipient"] == "13800138000"
    assert received["text"] == "【小满生活】您的订单OH26112500000001已支付成功，实付59.00元，我们会尽快为您发货。"
    assert received["correlation"] == "41"  # OutId: our row id
    assert received["payload"]["TemplateCode"] == "SMS_ORDER_PAID"
    assert json.loads(received["payload"]["TemplateParam"]) == PAID


def test_sms_with_a_wrong_secret_is_refused_for_good(app, simulators, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_ACCESS_KEY_SECRET", "not-the-secret")

    with pytest.raises(PermanentError, match="SignatureDoesNotMatch"):
        adapter(app, "sms").send(outgoing("sms", "13800138000"))
    assert inbox(simulators) == []


@pytest.mark.parametrize("setting, value, code", [
    ("SMS_ACCESS_KEY_ID", "unknown-key", "InvalidAccessKeyId.NotFound"),
    ("SMS_SIGN_NAME", "别家店", "isv.SMS_SIGNATURE_ILLEGAL"),
    ("SMS_TEMPLATE_CODES", {"order_paid": "SMS_NOT_APPROVED"}, "isv.SMS_TEMPLATE_ILLEGAL"),
])
def test_sms_account_mistakes_are_permanent(app, simulators, monkeypatch, setting, value, code):
    monkeypatch.setitem(app.config, setting, value)

    with pytest.raises(PermanentError, match=code):
        adapter(app, "sms").send(outgoing("sms", "13800138000"))


def test_sms_throttling_and_an_unavailable_gateway_are_transient(app, simulators):
    fault(simulators, "sms", "isv.BUSINESS_LIMIT_CONTROL")
    fault(simulators, "sms", "ServiceUnavailable")
    sms = adapter(app, "sms")

    with pytest.raises(TransientError, match="isv.BUSINESS_LIMIT_CONTROL"):
        sms.send(outgoing("sms", "13800138000"))
    with pytest.raises(TransientError, match="ServiceUnavailable"):
        sms.send(outgoing("sms", "13800138000"))
    assert sms.send(outgoing("sms", "13800138000"))
    assert len(inbox(simulators)) == 1


def test_the_gateway_refuses_a_replayed_or_stale_request(app, simulators):
    sms = adapter(app, "sms")
    params = sms.request_params(outgoing("sms", "13800138000"))
    params["Signature"] = signature(params, app.config["SMS_ACCESS_KEY_SECRET"])
    stale = sms.request_params(outgoing("sms", "13800138000"), now=utcnow() - timedelta(minutes=20))
    stale["Signature"] = signature(stale, app.config["SMS_ACCESS_KEY_SECRET"])

    assert http.post_form(sms.endpoint, params)[1]["Code"] == "OK"
    assert http.post_form(sms.endpoint, params)[1]["Code"] == "SignatureNonceUsed"
    assert http.post_form(sms.endpoint, stale)[1]["Code"] == "InvalidTimeStamp.Expired"


def test_an_sms_gateway_that_does_not_answer_is_transient(app, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_ENDPOINT", f"http://127.0.0.1:{free_port()}/sms/")

    with pytest.raises(TransientError, match="网络错误"):
        adapter(app, "sms").send(outgoing("sms", "13800138000"))


# --- WeChat template messages -----------------------------------------------------------------------------

def test_wechat_fetches_a_token_once_shares_it_and_sends_the_template_message(app, simulators):
    wechat = adapter(app, "wechat")

    msgid = wechat.send(outgoing("wechat", OPENID))
    cached = get_redis().get(wechat.token_key)
    adapter(app, "wechat").send(outgoing("wechat", OPENID, message_id=42))

    assert cached and get_redis().get(wechat.token_key) == cached  # the second worker used the shared token
    second, first = inbox(simulators, "wechat")
    assert first["provider_id"] == msgid and first["recipient"] == OPENID
    assert first["text"] == "订单支付成功通知\nOH26112500000001\n59.00元\n我们会尽快为您发货"
    assert first["payload"]["template_id"] == "TPL_ORDER_PAID"
    assert first["payload"]["client_msg_id"] == "orderhub-41"


def test_wechat_fetches_a_new_token_when_the_shared_one_is_no_longer_valid(app, simulators):
    wechat = adapter(app, "wechat")
    wechat.send(outgoing("wechat", OPENID))
    old = get_redis().get(wechat.token_key)
    urlopen(Request(f"{simulators.http_url}/_simulator/tokens", method="DELETE"), timeout=5).close()

    wechat.send(outgoing("wechat", OPENID, message_id=42))

    assert get_redis().get(wechat.token_key) != old
    assert len(inbox(simulators, "wechat")) == 2


def test_wechat_sends_one_message_per_client_msg_id(app, simulators):
    wechat = adapter(app, "wechat")

    first = wechat.send(outgoing("wechat", OPENID))
    again = wechat.send(outgoing("wechat", OPENID))  # a resend after a lost outcome

    assert first == again
    assert len(inbox(simulators, "wechat")) == 1


@pytest.mark.parametrize("recipient, setting, code", [
    (OPENID, ("WECHAT_APP_SECRET", "wrong-secret"), "40125"),
    ("not-an-openid", None, "40003"),
    (OPENID, ("WECHAT_TEMPLATE_IDS", {"order_paid": "TPL_UNKNOWN"}), "40037"),
])
def test_wechat_mistakes_are_permanent(app, simulators, monkeypatch, recipient, setting, code):
    if setting:
        monkeypatch.setitem(app.config, *setting)

    with pytest.raises(PermanentError, match=code):
        adapter(app, "wechat").send(outgoing("wechat", recipient))


def test_wechat_busy_is_transient(app, simulators):
    fault(simulators, "wechat", -1)

    with pytest.raises(TransientError, match="system error"):
        adapter(app, "wechat").send(outgoing("wechat", OPENID))


# --- Email over SMTP --------------------------------------------------------------------------------------

def test_email_is_delivered_with_our_message_id_subject_and_signature(app, simulators):
    message_id = adapter(app, "email").send(outgoing("email", "zhang@example.com"))

    [received] = inbox(simulators, "email")
    assert message_id == "<orderhub-message-41@orderhub.local>" == received["provider_id"]
    assert received["title"] == "订单OH26112500000001支付成功"
    assert "您的订单OH26112500000001已支付成功，实付59.00元" in received["text"]
    assert received["text"].rstrip().endswith("小满生活")


def test_an_email_sent_twice_arrives_twice_and_is_recognisable(app, simulators):
    email = adapter(app, "email")
    email.send(outgoing("email", "zhang@example.com"))
    email.send(outgoing("email", "zhang@example.com"))

    second, first = inbox(simulators, "email")
    assert first["provider_id"] == second["provider_id"]
    assert (first["duplicate"], second["duplicate"]) == (False, True)


def test_smtp_4xx_is_transient_and_5xx_permanent(app, simulators):
    fault(simulators, "email", "451")
    fault(simulators, "email", "550")
    email = adapter(app, "email")

    with pytest.raises(TransientError, match="451"):
        email.send(outgoing("email", "zhang@example.com"))
    with pytest.raises(PermanentError, match="550"):
        email.send(outgoing("email", "zhang@example.com"))


def test_an_smtp_server_that_does_not_answer_is_transient(app, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", free_port())

    with pytest.raises(TransientError, match="SMTP"):
        adapter(app, "email").send(outgoing("email", "zhang@example.com"))


# --- End to end -------------------------------------------------------------------------------------------

def test_a_paid_order_reaches_the_customer_on_every_channel(shop, simulators):
    order = shop.paid_order(invoice_email="zhang@example.com", openid=OPENID)
    order_no = order.order_no
    db.session.commit()

    run_worker()

    assert {m.status for m in messages()} == {MessageStatus.SENT}
    assert {m.channel: m.provider_id for m in messages()} == {
        received["channel"]: received["provider_id"] for received in inbox(simulators)}
    assert all(order_no in received["text"] for received in inbox(simulators))


def test_a_throttled_sms_goes_out_on_the_retry(shop, simulators):
    fault(simulators, "sms", "isv.BUSINESS_LIMIT_CONTROL")
    shop.paid_order()
    db.session.commit()

    run_worker()
    [message] = messages()
    assert message.status == MessageStatus.RETRYING and "isv.BUSINESS_LIMIT_CONTROL" in message.last_error
    outbox.release_due_retries(later(2))
    db.session.commit()
    run_worker()

    [message] = messages()
    assert (message.status, message.attempts) == (MessageStatus.SENT, 2)
    assert [received["provider_id"] for received in inbox(simulators)] == [message.provider_id]
