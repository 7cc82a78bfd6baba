"""Youzan: the push-signature vector, the adapter against its simulator over real HTTP on localhost, pulls
with token refresh, and the normalisation of Youzan payloads."""

from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from app.db import utcnow
from app.domain.channels import mapping, normalise, payloads, push, stockwatch, sync
from app.domain.channels.adapters.base import GMT8, Listing, PlatformError, RawOrder, TokenExpiredError
from app.domain.channels.adapters.youzan import DEFAULT_MAPPING, push_sign
from app.domain.channels.connect import credentials_of
from app.domain.channels.models import (
    ChannelOrder,
    PayloadSource,
    PayloadStatus,
    PushStatus,
    RunStatus,
    SyncState,
    SyncStatus,
)
from app.domain.orders import services
from app.domain.orders.models import Order
from app.domain.orders.states import OrderStatus
from app.domain.reference.models import Carrier
from app.extensions import db
from tests.channels.builders import youzan_order


def load(sim, infos):
    body = {"success": True, "code": 200, "data": {"total_results": len(infos),
                                                   "full_order_info_list": [{"full_order_info": i} for i in infos]}}
    assert requests.post(f"{sim.url}/_sim/orders", json=body, timeout=5).ok


def configure(sim, **faults):
    assert requests.post(f"{sim.url}/_sim/config", json=faults, timeout=5).ok


def test_the_push_signature_vector_from_platform_apis():
    msg = "%7B%22tid%22%3A%22E20240618100000012345678%22%7D"
    assert push_sign("yzclientid", msg, "test_secret") == "2f779114ace0482ee2bbe703afce1b69"


def test_lists_pages_backwards_with_ciphertexts_and_masked_twins(youzan_sim, yz_adapter):
    now = utcnow()
    load(youzan_sim, [youzan_order(f"E2026{n:06d}", "WAIT_SELLER_SEND_GOODS",
                                   now - timedelta(minutes=30) + timedelta(seconds=n)) for n in range(150)])

    pages = list(yz_adapter.list_window(now - timedelta(hours=1), now))

    assert [page.number for page in pages] == [2, 1]
    entries = [entry for page in pages for entry in page.orders]
    assert len({entry.external_id for entry in entries}) == 150 and all(entry.complete for entry in entries)
    info = entries[0].payload
    assert info["address_info"]["receiver_tel"].endswith("$1$") and "13800138000" not in str(info["address_info"])
    view = mapping.apply(DEFAULT_MAPPING, info)
    assert (view.receiver.name, view.receiver.phone, view.receiver.address) == ("张**", "138****8000", "世纪大道****")
    assert view.pii_tokens["receiver_tel"] == info["address_info"]["receiver_tel"] and view.stage == "paid"
    assert youzan_sim.simulator.state.counters["youzan.cloud.secret.decryptmask.batch"] == 2  # one per page
    assert entries[0].modified_at.tzinfo is not None


def test_window_page_size_and_throttle(youzan_sim, yz_adapter, sleeper):
    now = utcnow()
    with pytest.raises(PlatformError) as too_long:
        list(yz_adapter.list_window(now - timedelta(days=2), now))
    assert "一天" in too_long.value.message
    configure(youzan_sim, throttle_next=2)

    assert list(yz_adapter.list_window(now - timedelta(minutes=5), now))
    assert len(sleeper.waits) == 2 and yz_adapter.stats.retries == 2  # no ban length: exponential back-off


def test_an_expired_token_is_refreshed_once_then_the_shop_is_flagged(world, yz_shop, youzan_sim, yz_adapter):
    now = utcnow()
    load(youzan_sim, [youzan_order("E1", "WAIT_BUYER_PAY", now - timedelta(minutes=5))])
    configure(youzan_sim, expire_session="sim-youzan-token")

    report = sync.pull(yz_shop, yz_adapter, checkpoint=db.session.commit, now=now)

    assert report.status == RunStatus.SUCCEEDED and report.created == 1
    stored = credentials_of(yz_shop)
    assert stored.access_token != "sim-youzan-token" and stored.refresh_token != "sim-youzan-refresh"
    configure(youzan_sim, expire_session=stored.access_token)  # refused again, and the refresh token is spent
    youzan_sim.simulator.refresh_tokens.clear()

    again = sync.pull(yz_shop, yz_adapter, checkpoint=db.session.commit, now=now + timedelta(minutes=1))

    assert again.status == RunStatus.FAILED
    state = db.session.scalar(select(SyncState).where(SyncState.channel_id == yz_shop.id))
    assert state.status == SyncStatus.TOKEN_EXPIRED
    assert sync.pull(yz_shop, yz_adapter, checkpoint=db.session.commit).status == RunStatus.SKIPPED


def test_token_expiry_without_refresh_raises_at_once(youzan_sim, yz_adapter, sleeper):
    configure(youzan_sim, expire_session="sim-youzan-token")
    with pytest.raises(TokenExpiredError) as expired:
        yz_adapter.fetch_order("E1")
    assert expired.value.code == "4202" and yz_adapter.stats.calls == 1 and sleeper.waits == []


def test_shipment_stock_detail_and_decrypt(youzan_sim, yz_adapter):
    load(youzan_sim, [youzan_order("E9001", "WAIT_SELLER_SEND_GOODS", utcnow() - timedelta(minutes=1))])

    assert yz_adapter.push_shipment("E9001", "7", "SF3001")["is_success"]
    assert yz_adapter.push_shipment("E9001", "7", "SF3001")["is_success"]  # the same again: acknowledged
    with pytest.raises(PlatformError):
        yz_adapter.push_shipment("E9001", "7", "SF-OTHER")
    listing = Listing("SN-001", "600000000000", "500000000000")
    yz_adapter.push_stock(listing, 12)
    assert yz_adapter.read_stock(listing) == 12
    raw = yz_adapter.fetch_order("E9001")
    view = mapping.apply(DEFAULT_MAPPING, raw.payload)
    assert (view.stage, view.waybill_no, view.carrier_code) == ("shipped", "SF3001", "shunfeng")
    receiver = yz_adapter.decrypt_receiver("E9001", view.pii_tokens, "waybill")
    assert (receiver.name, receiver.phone, receiver.city) == ("张晓雯", "13800138000", "上海市")
    assert "张晓雯" not in repr(receiver)


def receive(channel, info):
    external_id, modified = mapping.identify(normalise.spec_for(channel), info)
    payload, _ = payloads.store(channel, RawOrder(external_id, modified, info), PayloadSource.PUSH)
    return payload, normalise.process(payload)


def test_normalised_amounts_times_receiver_and_ciphertexts(yz_shop):
    modified = utcnow().replace(microsecond=0) - timedelta(hours=1)
    info = youzan_order("E7001", "WAIT_SELLER_SEND_GOODS", modified, lines=(("SN-001", 2, "99.90"),),
                        post="8.00", stored=True)

    _, outcome = receive(yz_shop, info)

    order = outcome.order
    assert order.status == OrderStatus.PAID and order.payable_fen == 2 * 9990 + 800
    assert (order.receiver_name, order.receiver_phone) == ("张**", "138****8000")
    link = db.session.scalar(select(ChannelOrder).where(ChannelOrder.order_id == order.id))
    assert link.pii_tokens["receiver_tel"] == "$dGVs$1$" and link.platform_modified_at.astimezone(GMT8).strftime(
        "%Y-%m-%d %H:%M:%S") == info["order_info"]["update_time"]


def test_out_of_order_payloads_the_newest_state_wins(yz_shop):
    t0 = utcnow() - timedelta(hours=1)
    receive(yz_shop, youzan_order("E7002", "WAIT_BUYER_CONFIRM_GOODS", t0 + timedelta(minutes=10), waybill="SF9",
                                  stored=True))

    payload, outcome = receive(yz_shop, youzan_order("E7002", "WAIT_BUYER_PAY", t0, stored=True))

    assert payload.status == PayloadStatus.SUPERSEDED and outcome.order.status == OrderStatus.SHIPPED_OUT
    _, closed = receive(yz_shop, youzan_order("E7003", "TRADE_CLOSE", t0, stored=True))
    assert closed.order.status == OrderStatus.CLOSED
    assert db.session.scalar(select(Order).where(Order.external_id == "E7002")).waybill_no == "SF9"


def test_the_core_pushes_our_shipment_and_stock_to_youzan(world, yz_shop, youzan_sim, yz_adapter):
    load(youzan_sim, [youzan_order("E9101", "WAIT_SELLER_SEND_GOODS", utcnow() - timedelta(minutes=2),
                                   lines=(("SN-001", 2, "99.90"),))])
    sync.pull(yz_shop, yz_adapter, checkpoint=db.session.commit)
    order = db.session.scalar(select(Order).where(Order.external_id == "E9101"))
    services.approve(order, "user:cangku")
    services.pack(order, "user:cangku")
    services.ship_out(order, db.session.scalar(select(Carrier).where(Carrier.code == "shunfeng")), "SF9101",
                      "user:cangku")

    record = push.push_shipment(order, yz_adapter, utcnow(), checkpoint=db.session.commit)

    assert record.status == PushStatus.ACKNOWLEDGED and record.sent["carrier"] == "7"
    assert youzan_sim.simulator.state.shipments["E9101"]["out_sid"] == "SF9101"
    stockwatch.scan(utcnow())
    report = push.push_stock(yz_shop, yz_adapter, stockwatch.take_dirty(yz_shop.id), utcnow(),
                             checkpoint=db.session.commit)
    assert len(report.pushed) == 1 and youzan_sim.simulator.state.stock["500000000000"] == 48
    sync.pull(yz_shop, yz_adapter, checkpoint=db.session.commit)  # Youzan now says shipped: nothing moves back
    assert order.status == OrderStatus.SHIPPED_OUT
