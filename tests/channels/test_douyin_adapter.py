"""The Douyin (抖店) adapter: its signature vector, and against the 抖店 simulator over real HTTP on localhost."""

from datetime import timedelta

import pytest

from app.db import utcnow
from app.domain.channels.adapters.base import (
    Credentials,
    Listing,
    PlatformError,
    ThrottledError,
    TokenExpiredError,
    TransientError,
)
from app.domain.channels.adapters.douyin import DEFAULT_MAPPING, DouyinAdapter, classify, param_json, sign
from app.domain.channels.mapping import apply
from app.simulators import douyin
from tests.channels import douyin_support
from tests.channels.douyin_support import configure, douyin_order, load, sim_state

douyin_shop, douyin_sim, douyin_adapter = douyin_support.douyin_shop, douyin_support.douyin_sim, douyin_support.douyin_adapter


def test_the_signature_vector_from_platform_apis():
    body = param_json({"update_time_start": 1718670000, "size": 100, "page": 0, "update_time_end": 1718676000})
    assert body == '{"page":"0","size":"100","update_time_end":"1718676000","update_time_start":"1718670000"}'
    assert sign("test_secret", "7000000000000000000", "order.searchList", body, "2024-06-18 10:00:00", "2") == (
        "ae0d8f83c04111b14d324f20ed5ff7f25fd6d8eaac4db34392df3bd0935575cf")


def test_param_json_sorts_nested_keys_and_strings_every_value():
    assert param_json({"b": [{"z": 1, "a": True}], "a": {"y": None, "x": 2}}) == (
        '{"a":{"x":"2","y":""},"b":[{"a":"true","z":"1"}]}')


def test_the_window_and_list_shape_are_douyins():
    assert (DouyinAdapter.max_window, DouyinAdapter.list_is_complete) == (timedelta(minutes=30), True)


@pytest.mark.parametrize(("answer", "kind"), [
    ({"code": 60000, "msg": "触发限流"}, ThrottledError),
    ({"code": 40003, "sub_code": "isv.access-token-expired"}, TokenExpiredError),
    ({"code": 40003, "sub_code": "isv.access-token-no-existed"}, TokenExpiredError),
    ({"code": 30001, "sub_code": "dop.authorization-no-existed"}, TokenExpiredError),
    ({"code": 20001, "msg": "服务超时"}, TransientError),
    ({"code": 40003, "sub_code": "isv.signature-invalid"}, PlatformError),
])
def test_error_codes_are_classified_as_platform_apis_says(answer, kind):
    assert type(classify(answer)) is kind


def test_lists_full_orders_by_0_based_page_from_the_last_and_maps_them(douyin_sim, douyin_adapter):
    now = utcnow()
    load(douyin_sim, [douyin_order(str(6900000000000000000 + n), 2, now - timedelta(minutes=20) + timedelta(seconds=n))
                      for n in range(230)])

    pages = list(douyin_adapter.list_window(now - timedelta(minutes=30), now))

    assert [page.number for page in pages] == [2, 1, 0]
    entries = [entry for page in pages for entry in page.orders]
    assert len({entry.external_id for entry in entries}) == 230 and all(entry.complete for entry in entries)
    assert sim_state(douyin_sim)["counters"]["order.searchList"] == 4  # the probe, then three pages
    view = apply(DEFAULT_MAPPING, entries[0].payload)
    assert view.stage == "paid" and view.receiver.name == "张**" and view.receiver.phone == "138****8000"
    assert view.pii_tokens["encrypt_post_tel"].startswith("$") and "13800138000" not in str(entries[0].payload)


def test_the_simulator_refuses_long_windows_large_pages_and_wrong_signatures(world, douyin_sim, douyin_adapter):
    now = utcnow()
    with pytest.raises(PlatformError) as too_long:
        list(douyin_adapter.list_window(now - timedelta(hours=1), now))
    assert too_long.value.code == "40003" and "30分钟" in too_long.value.message
    with pytest.raises(PlatformError) as too_big:
        douyin_adapter.call("order.searchList", {"update_time_start": 1, "update_time_end": 2, "page": 0, "size": 101})
    assert too_big.value.code == "40003"
    stranger = DouyinAdapter(Credentials(douyin.DEMO_APP_KEY, "not-the-secret", "sim-douyin-token"),
                             douyin_sim.url + "/")
    with pytest.raises(PlatformError) as refused:
        stranger.fetch_order("1")
    assert refused.value.sub_code == "isv.signature-invalid"


def test_throttled_calls_back_off_and_the_window_completes(douyin_sim, douyin_adapter, sleeper):
    now = utcnow()
    load(douyin_sim, [douyin_order("6900000000000000501", 105, now - timedelta(minutes=2))])
    configure(douyin_sim, throttle_next=2)

    pages = list(douyin_adapter.list_window(now - timedelta(minutes=10), now))

    assert [entry.external_id for page in pages for entry in page.orders] == ["6900000000000000501"]
    assert len(sleeper.waits) == 2 and douyin_adapter.stats.retries == 2  # 60000 names no ban: exponential


def test_an_expired_token_is_raised_without_retrying(douyin_sim, douyin_adapter, sleeper):
    configure(douyin_sim, expire_session="sim-douyin-token")
    with pytest.raises(TokenExpiredError) as expired:
        douyin_adapter.fetch_order("1")
    assert expired.value.sub_code == "isv.access-token-expired"
    assert douyin_adapter.stats.calls == 1 and sleeper.waits == []


def test_token_refresh_gives_a_working_token_once(douyin_sim, douyin_adapter):
    load(douyin_sim, [douyin_order("6900000000000000601", 2, utcnow() - timedelta(minutes=1))])
    configure(douyin_sim, expire_session="sim-douyin-token")

    fresh = douyin_adapter.refresh_access_token()

    assert fresh.access_token not in ("", "sim-douyin-token") and fresh.refresh_token != douyin.DEMO_REFRESH_TOKEN
    douyin_adapter.credentials = fresh
    assert douyin_adapter.fetch_order("6900000000000000601").external_id == "6900000000000000601"
    assert douyin_adapter.refresh_access_token() is None  # once per run; then staff re-authorise


def test_shipment_stock_and_decrypt_round_trip(douyin_sim, douyin_adapter):
    load(douyin_sim, [douyin_order("6900000000000000701", 2, utcnow() - timedelta(minutes=1))])

    assert douyin_adapter.push_shipment("6900000000000000701", "shunfeng", "SF3001") == {}
    assert douyin_adapter.push_shipment("6900000000000000701", "shunfeng", "SF3001") == {}  # again: fine
    with pytest.raises(PlatformError):
        douyin_adapter.push_shipment("6900000000000000701", "shunfeng", "SF-OTHER")
    listing = Listing("SN-001", "600000000000", "500000000000")
    douyin_adapter.push_stock(listing, 13)
    assert douyin_adapter.read_stock(listing) == 13
    order = douyin_adapter.fetch_order("6900000000000000701")
    view = apply(DEFAULT_MAPPING, order.payload)
    assert view.stage == "shipped" and (view.waybill_no, view.carrier_code) == ("SF3001", "shunfeng")
    receiver = douyin_adapter.decrypt_receiver("6900000000000000701", view.pii_tokens, "shunfeng")
    assert (receiver.name, receiver.phone, receiver.district) == ("张晓雯", "13800138000", "浦东新区")
    assert receiver.address == "陆家嘴街道 世纪大道100号 环球金融中心 1203室" and "张晓雯" not in repr(receiver)
    assert sim_state(douyin_sim)["shipments"]["6900000000000000701"]["logistics_code"] == "SF3001"
