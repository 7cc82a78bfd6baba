"""The Pinduoduo adapter: its signature vector, and against the PDD simulator over real HTTP on localhost."""

from datetime import timedelta

import pytest

from app.db import utcnow
from app.domain.channels.adapters.base import Listing, PlatformError, ThrottledError, TokenExpiredError
from app.domain.channels.adapters.pdd import DEFAULT_MAPPING, PddAdapter, classify
from app.domain.channels.adapters.signing import md5_wrapped
from app.domain.channels.mapping import apply
from tests.channels import pdd_support
from tests.channels.pdd_support import configure, load, pdd_order, sim_state

pdd_shop, pdd_sim, pdd_adapter = pdd_support.pdd_shop, pdd_support.pdd_sim, pdd_support.pdd_adapter


def test_the_signature_vector_from_platform_apis():
    params = {"type": "pdd.order.number.list.increment.get", "client_id": "cid", "access_token": "tok",
              "timestamp": "1718676000", "data_type": "JSON", "start_updated_at": "1718674200",
              "end_updated_at": "1718676000", "order_status": "5", "refund_status": "5", "page": "1",
              "page_size": "100", "use_has_next": "true", "is_lucky_flag": "0"}
    assert md5_wrapped("test_secret", params) == "9A769160C783DAE3922604A08C36B284"


def test_the_window_limits_are_pdds():
    assert (PddAdapter.max_window, PddAdapter.end_lag, PddAdapter.list_is_complete) == (
        timedelta(minutes=30), timedelta(minutes=3), True)


def test_lists_full_orders_by_page_from_the_last_and_maps_them(pdd_sim, pdd_adapter):
    now = utcnow()
    load(pdd_sim, [pdd_order(f"261125-{900000000000000 + n}", now - timedelta(minutes=20) + timedelta(seconds=n))
                   for n in range(230)])

    pages = list(pdd_adapter.list_window(now - timedelta(minutes=30), now))

    assert [page.number for page in pages] == [3, 2, 1]
    entries = [entry for page in pages for entry in page.orders]
    assert len({entry.external_id for entry in entries}) == 230 and all(entry.complete for entry in entries)
    assert "13800138000" not in str(entries[0].payload) and "张晓雯" not in str(entries[0].payload)
    view = apply(DEFAULT_MAPPING, entries[0].payload)
    assert view.stage == "paid" and view.receiver.name == "张*雯" and view.receiver.phone == "1*********0"
    assert view.pii_tokens["receiver_phone"].startswith("$") and view.pii_tokens["receiver_name"].startswith("~")
    assert view.payment_fen == 19980 and view.lines[0].code == "SN-001"
    detail = pdd_adapter.fetch_order(entries[0].external_id)
    assert detail.payload == entries[0].payload and detail.modified_at == entries[0].modified_at


def test_the_simulator_refuses_windows_over_30_minutes_and_older_than_three_months(pdd_adapter):
    now = utcnow()
    with pytest.raises(PlatformError) as too_long:
        list(pdd_adapter.list_window(now - timedelta(minutes=31), now))
    assert "30分钟" in too_long.value.message
    with pytest.raises(PlatformError) as too_old:
        list(pdd_adapter.list_window(now - timedelta(days=95), now - timedelta(days=95) + timedelta(minutes=30)))
    assert "三个月" in too_old.value.message


def test_throttle_backs_off_and_an_expired_token_is_never_retried(pdd_sim, pdd_adapter, sleeper):
    configure(pdd_sim, throttle_next=2)
    assert list(pdd_adapter.list_window(utcnow() - timedelta(minutes=10), utcnow()))
    assert len(sleeper.waits) == 2  # PDD names no ban length: exponential back-off with jitter

    configure(pdd_sim, expire_session="sim-pdd-token")
    calls = pdd_adapter.stats.calls
    with pytest.raises(TokenExpiredError):
        pdd_adapter.fetch_order("261125-000000000000001")
    assert pdd_adapter.stats.calls == calls + 1


def test_error_envelopes_are_classified_by_code_or_wording():
    assert isinstance(classify({"error_code": 52001, "error_msg": "限流"}), ThrottledError)
    assert isinstance(classify({"error_code": 99999, "error_msg": "调用过于频繁"}), ThrottledError)
    assert isinstance(classify({"error_code": 10035, "error_msg": "token无效"}), TokenExpiredError)
    assert type(classify({"error_code": 10000, "error_msg": "参数错误"})) is PlatformError


def test_shipment_stock_and_decrypt(pdd_sim, pdd_adapter):
    order_sn = "261125-000000000091001"
    load(pdd_sim, [pdd_order(order_sn, utcnow() - timedelta(minutes=5))])

    assert pdd_adapter.push_shipment(order_sn, "85", "YT2001")["is_success"]
    assert pdd_adapter.push_shipment(order_sn, "85", "YT2001")["is_success"]  # a repeat is harmless
    with pytest.raises(PlatformError):
        pdd_adapter.push_shipment(order_sn, "85", "YT-OTHER")
    listing = Listing("SN-001", "600000000000", "500000000000")
    assert pdd_adapter.push_stock(listing, 9)["is_success"]
    assert pdd_adapter.read_stock(listing) == 9 and sim_state(pdd_sim)["stock"]["500000000000"] == 9
    order = pdd_adapter.fetch_order(order_sn).payload
    assert (order["order_status"], order["tracking_number"], order["logistics_id"]) == (2, "YT2001", 85)

    tokens = apply(DEFAULT_MAPPING, order).pii_tokens
    receiver = pdd_adapter.decrypt_receiver(order_sn, tokens, "yuantong")
    assert (receiver.name, receiver.phone, receiver.district) == ("张晓雯", "13800138000", "浦东新区")
    assert receiver.address.startswith("世纪大道100号") and "张晓雯" not in repr(receiver)
    with pytest.raises(PlatformError):
        pdd_adapter.decrypt_receiver(order_sn, tokens | {"receiver_phone": "$x$forged$0$$"}, "yuantong")
