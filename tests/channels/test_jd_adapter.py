"""The JD adapter against the JOS simulator over real HTTP on localhost."""

from datetime import timedelta

import pytest
import requests

from app.db import utcnow
from app.domain.channels.adapters.base import Listing, PlatformError, ShippedParcel, TokenExpiredError
from app.domain.channels.adapters.jd import DEFAULT_MAPPING
from app.domain.channels.mapping import apply
from tests.channels.builders import jd_order


def load(sim, orders):
    body = {"jingdong_pop_order_enSearch_responce": {"searchorderinfo_result": {"orderInfoList": orders}}}
    assert requests.post(f"{sim.url}/_sim/orders", json=body, timeout=5).ok


def test_lists_full_orders_by_page_from_the_last_and_maps_them(jd_sim, jd_adapter):
    now = utcnow()
    load(jd_sim, [jd_order(str(90000 + n), "WAIT_SELLER_STOCK_OUT", now - timedelta(minutes=20) + timedelta(seconds=n))
                  for n in range(150)])

    pages = list(jd_adapter.list_window(now - timedelta(hours=1), now))

    assert [page.number for page in pages] == [2, 1]
    entries = [entry for page in pages for entry in page.orders]
    assert len({entry.external_id for entry in entries}) == 150 and all(entry.complete for entry in entries)
    view = apply(DEFAULT_MAPPING, entries[0].payload)
    assert view.stage == "paid" and view.receiver.name == "张**" and view.receiver.phone == "138****8000"
    assert view.pii_tokens["mobile"].startswith("JDE:") and "13800138000" not in str(entries[0].payload)


def test_window_limit_token_expiry_and_throttling(jd_sim, jd_adapter, sleeper):
    now = utcnow()
    with pytest.raises(PlatformError) as too_long:
        list(jd_adapter.list_window(now - timedelta(days=40), now))
    assert "一个月" in too_long.value.message

    assert requests.post(f"{jd_sim.url}/_sim/config", json={"throttle_next": 1}, timeout=5).ok
    list(jd_adapter.list_window(now - timedelta(minutes=5), now))
    assert len(sleeper.waits) == 1  # JD names no ban length: exponential back-off with jitter

    assert requests.post(f"{jd_sim.url}/_sim/config", json={"expire_session": "sim-jd-token"}, timeout=5).ok
    with pytest.raises(TokenExpiredError):
        jd_adapter.fetch_order("1")


def test_shipment_stock_and_decrypt(jd_sim, jd_adapter):
    load(jd_sim, [jd_order("91001", "WAIT_SELLER_STOCK_OUT", utcnow() - timedelta(minutes=1))])

    assert jd_adapter.push_shipment("91001", "467", "SF2001")["success"]
    assert jd_adapter.push_shipment("91001", "467", "SF2001")["success"]
    with pytest.raises(PlatformError):
        jd_adapter.push_shipment("91001", "467", "SF-OTHER")
    listing = Listing("SN-001", "800000000000", "700000000000")
    jd_adapter.push_stock(listing, 9)
    assert jd_adapter.read_stock(listing) == 9
    order = jd_adapter.fetch_order("91001").payload
    assert order["orderState"] == "WAIT_GOODS_RECEIVE_CONFIRM" and order["waybill"] == "SF2001"
    receiver = jd_adapter.decrypt_receiver("91001", {"oaid": order["oaid"]}, "1")
    assert receiver.phone == "13800138000" and receiver.city == "上海市"


def test_every_parcel_of_a_split_order_goes_in_one_shipment_call(jd_sim, jd_adapter):
    """One carrier's numbers joined with ',', carriers with '|' (JD's waybill field)."""
    load(jd_sim, [jd_order("91002", "WAIT_SELLER_STOCK_OUT", utcnow() - timedelta(minutes=1)),
                  jd_order("91003", "WAIT_SELLER_STOCK_OUT", utcnow() - timedelta(minutes=1))])

    assert jd_adapter.push_parcels("91002", [ShippedParcel("467", "SF2001"), ShippedParcel("467", "SF2002")])["success"]
    assert jd_adapter.push_parcels("91003", [ShippedParcel("467", "SF3001"), ShippedParcel("2087", "JD3002"),
                                             ShippedParcel("467", "SF3003")])["success"]

    shipments = requests.get(f"{jd_sim.url}/_sim/state", timeout=5).json()["shipments"]
    assert (shipments["91002"]["logistics_id"], shipments["91002"]["waybill"]) == ("467", "SF2001,SF2002")
    assert (shipments["91003"]["logistics_id"], shipments["91003"]["waybill"]) == ("467|2087", "SF3001,SF3003|JD3002")
