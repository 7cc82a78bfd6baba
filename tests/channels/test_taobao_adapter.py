"""The Taobao adapter against the TOP simulator over real HTTP on localhost."""

from datetime import timedelta

import pytest
import requests

from app.db import utcnow
from app.domain.channels.adapters.base import (
    Credentials,
    Listing,
    PlatformError,
    ThrottledError,
    TokenExpiredError,
)
from app.domain.channels.adapters.taobao import TaobaoAdapter
from app.domain.channels.connect import build_adapter
from tests.channels.builders import taobao_trade
from tests.channels.conftest import gateways


def load(sim, trades, seller=None):
    response = requests.post(f"{sim.url}/_sim/orders", json={"trades_sold_increment_get_response": {
        "trades": {"trade": trades}}}, params={"seller": seller} if seller else None, timeout=5)
    assert response.ok, response.text


def configure(sim, **faults):
    assert requests.post(f"{sim.url}/_sim/config", json=faults, timeout=5).ok


def test_lists_a_window_backwards_from_its_last_page_and_fetches_full_trades(taobao_sim, taobao_adapter):
    now = utcnow()
    load(taobao_sim, [taobao_trade(str(4000 + n), "WAIT_SELLER_SEND_GOODS", now - timedelta(minutes=30) + timedelta(seconds=n),
                                   masked=False) for n in range(230)])

    pages = list(taobao_adapter.list_window(now - timedelta(hours=1), now))

    assert [page.number for page in pages] == [3, 2, 1]
    ids = [entry.external_id for page in pages for entry in page.orders]
    assert sorted(ids) == sorted(str(4000 + n) for n in range(230))
    assert not pages[0].orders[0].complete  # the list is partial: the detail call completes it
    full = taobao_adapter.fetch_order(ids[0])
    assert full.payload["receiver_name"] == "张**" and full.payload["oaid"]
    assert full.modified_at is not None


def test_only_the_sellers_own_trades_are_listed(taobao_sim, taobao_adapter):
    now = utcnow()
    load(taobao_sim, [taobao_trade("5001", "WAIT_BUYER_PAY", now - timedelta(minutes=5))], seller="小满生活旗舰店")

    assert [page.orders for page in taobao_adapter.list_window(now - timedelta(hours=1), now)] == [[]]


def test_the_simulator_refuses_windows_longer_than_a_day_and_older_than_three_months(taobao_adapter):
    now = utcnow()
    with pytest.raises(PlatformError) as too_long:
        list(taobao_adapter.list_window(now - timedelta(days=2), now))
    assert too_long.value.code == "41"
    with pytest.raises(PlatformError) as too_old:
        list(taobao_adapter.list_window(now - timedelta(days=95), now - timedelta(days=94, hours=1)))
    assert "三个月" in too_old.value.message


def test_a_wrong_secret_is_refused_by_the_signature_check(world, taobao_sim):
    adapter = TaobaoAdapter(Credentials("sim-taobao-app", "not-the-secret", "sim-taobao-session"),
                            taobao_sim.url + "/router/rest")
    with pytest.raises(PlatformError) as refused:
        adapter.fetch_order("1")
    assert refused.value.code == "25"


def test_throttled_calls_wait_as_told_then_succeed(taobao_sim, taobao_adapter, sleeper):
    configure(taobao_sim, throttle_next=2, ban_seconds=1)

    pages = list(taobao_adapter.list_window(utcnow() - timedelta(hours=1), utcnow()))

    assert pages and sleeper.waits[:2] == [2.0, 2.0]  # "ban will last 1 seconds" → N + 1
    assert taobao_adapter.stats.retries == 2


def test_a_long_ban_is_not_slept_through(taobao_sim, taobao_adapter, sleeper):
    configure(taobao_sim, throttle_next=1, ban_seconds=3600)
    with pytest.raises(ThrottledError) as banned:
        taobao_adapter.fetch_order("1")
    assert banned.value.retry_after == 3601 and sleeper.waits == []


def test_an_expired_session_raises_token_expired_without_retrying(taobao_sim, taobao_adapter, sleeper):
    configure(taobao_sim, expire_session="sim-taobao-session")
    with pytest.raises(TokenExpiredError):
        taobao_adapter.fetch_order("1")
    assert taobao_adapter.stats.calls == 1 and sleeper.waits == []


def test_server_errors_are_retried_with_backoff(taobao_sim, taobao_adapter, sleeper):
    configure(taobao_sim, fail_next=2)
    assert list(taobao_adapter.list_window(utcnow() - timedelta(minutes=10), utcnow()))
    assert len(sleeper.waits) == 2 and all(0 < wait <= 2 for wait in sleeper.waits)


def test_shipment_stock_and_decrypt_round_trip(taobao_sim, taobao_adapter):
    now = utcnow()
    load(taobao_sim, [taobao_trade("6001", "WAIT_SELLER_SEND_GOODS", now - timedelta(minutes=1), masked=False)])

    assert taobao_adapter.push_shipment("6001", "SF", "SF1001")["shipping"]["is_success"]
    assert taobao_adapter.push_shipment("6001", "SF", "SF1001")["shipping"]["is_success"]  # the same again: fine
    with pytest.raises(PlatformError):
        taobao_adapter.push_shipment("6001", "SF", "SF-OTHER")
    listing = Listing("SN-001", "600000000000", "500000000000")
    taobao_adapter.push_stock(listing, 17)
    assert taobao_adapter.read_stock(listing) == 17
    trade = taobao_adapter.fetch_order("6001").payload
    assert trade["status"] == "WAIT_BUYER_CONFIRM_GOODS" and trade["orders"]["order"][0]["invoice_no"] == "SF1001"
    receiver = taobao_adapter.decrypt_receiver("6001", {"oaid": trade["oaid"]}, "shunfeng")
    assert (receiver.name, receiver.phone) == ("张晓雯", "13800138000")
    assert "张晓雯" not in repr(receiver)


def test_a_platform_answering_after_the_read_timeout_is_a_transient_failure_retried(world, taobao_sim, sleeper):
    adapter = build_adapter(world.taobao, gateways(taobao_sim.url) | {"CHANNEL_READ_TIMEOUT": 0.5}, sleep=sleeper)
    assert adapter.timeout == (5.0, 0.5)
    taobao_sim.simulator.state.faults.slow_next, taobao_sim.simulator.state.faults.slow_seconds = 1, 1.5
    now = utcnow()

    pages = list(adapter.list_window(now - timedelta(hours=1), now))

    assert pages and adapter.stats.retries == 1 and taobao_sim.simulator.state.faults.slow_next == 0
