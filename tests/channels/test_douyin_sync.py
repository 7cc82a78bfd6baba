"""Douyin (抖店) pulls end to end and its payloads normalised: fen, unix seconds, address parts, ciphertexts,
token refresh then flag, and the newest state winning whatever the arrival order."""

import json
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.db import utcnow
from app.domain.channels import mapping, normalise, payloads, push, stockwatch, sync
from app.domain.channels.adapters.base import RawOrder
from app.domain.channels.connect import credentials_of
from app.domain.channels.models import (
    ChannelOrder,
    PayloadSource,
    PushStatus,
    RawPayload,
    RunStatus,
    SyncState,
    SyncStatus,
)
from app.domain.orders import services
from app.domain.orders.consistency import stock_differences
from app.domain.orders.models import Order
from app.domain.orders.states import OrderStatus
from app.domain.reference.models import Carrier
from app.extensions import db
from app.simulators import douyin
from tests.channels import douyin_support
from tests.channels.douyin_support import configure, douyin_order, list_response, load, sim_state

douyin_shop, douyin_sim, douyin_adapter = douyin_support.douyin_shop, douyin_support.douyin_sim, douyin_support.douyin_adapter
T0 = utcnow() - timedelta(hours=2)


def pull(channel, adapter, **options):
    return sync.pull(channel, adapter, checkpoint=db.session.commit, **options)


def orders_of(channel) -> list[Order]:
    return list(db.session.scalars(select(Order).where(Order.channel_id == channel.id).order_by(Order.external_id)))


def receive(channel, order: dict):
    identity, modified = mapping.identify(normalise.spec_for(channel), order)
    payload, _ = payloads.store(channel, RawOrder(identity, modified, order), PayloadSource.PULL)
    return payload, normalise.process(payload)


def test_a_pull_in_30_minute_windows_creates_orders_with_masked_receivers(douyin_shop, douyin_sim, douyin_adapter):
    now = utcnow()
    load(douyin_sim, [douyin_order("6900000000000008001", 2, now - timedelta(minutes=50)),
                      douyin_order("6900000000000008002", 3, now - timedelta(minutes=5), waybill="SF8002")])

    report = pull(douyin_shop, douyin_adapter, now=now, since=now - timedelta(hours=1))

    assert report.status == RunStatus.SUCCEEDED and (report.stored, report.created, report.fetched) == (2, 2, 0)
    assert all(end - start <= timedelta(minutes=30) for start, end in report.windows) and len(report.windows) == 2
    paid, shipped = orders_of(douyin_shop)
    assert paid.status == OrderStatus.PAID and shipped.status == OrderStatus.SHIPPED_OUT
    assert shipped.waybill_no == "SF8002" and shipped.carrier.code == "shunfeng"
    assert (paid.receiver_name, paid.receiver_phone) == ("张**", "138****8000")
    stored = db.session.scalars(select(RawPayload.payload).where(RawPayload.channel_id == douyin_shop.id)).all()
    assert "13800138000" not in str(stored) and "张晓雯" not in str(stored)


def test_throttling_backs_off_and_the_pull_completes(douyin_shop, douyin_sim, douyin_adapter, sleeper):
    load(douyin_sim, [douyin_order("6900000000000008101", 105, utcnow() - timedelta(minutes=2))])
    configure(douyin_sim, throttle_next=3)

    report = pull(douyin_shop, douyin_adapter)

    assert report.status == RunStatus.SUCCEEDED and report.created == 1 and len(sleeper.waits) == 3


def test_an_expired_token_is_refreshed_once_and_the_pull_carries_on(douyin_shop, douyin_sim, douyin_adapter):
    load(douyin_sim, [douyin_order("6900000000000008201", 2, utcnow() - timedelta(minutes=1))])
    configure(douyin_sim, expire_session="sim-douyin-token")

    report = pull(douyin_shop, douyin_adapter)

    assert report.status == RunStatus.SUCCEEDED and report.created == 1
    stored = credentials_of(douyin_shop)
    assert stored.access_token != "sim-douyin-token" and stored.refresh_token != douyin.DEMO_REFRESH_TOKEN


def test_when_the_refresh_fails_too_the_shop_is_flagged(douyin_shop, douyin_sim, douyin_adapter):
    douyin_sim.simulator.refresh_tokens.clear()  # the merchant revoked the app: the refresh token is dead
    configure(douyin_sim, expire_session="sim-douyin-token")

    report = pull(douyin_shop, douyin_adapter)

    state = db.session.scalar(select(SyncState).where(SyncState.channel_id == douyin_shop.id))
    assert report.status == RunStatus.FAILED and state.status == SyncStatus.TOKEN_EXPIRED
    assert douyin_adapter.stats.calls == 2  # the list call, one refresh, nothing more
    assert douyin_shop not in sync.pullable_channels(utcnow())


def test_fen_unix_times_address_parts_and_ciphertexts_are_normalised(douyin_shop):
    order = douyin_order("6900000000000008301", 105, T0, lines=(("SN-001", 2, 9990), ("HH-010", 1, 4990)), post=600,
                         promotion=1000, encrypted=True)

    payload, outcome = receive(douyin_shop, order)

    placed = outcome.order
    assert outcome.created and placed.status == OrderStatus.PAID
    assert placed.payable_fen == 2 * 9990 + 4990 + 600 - 1000 and placed.shipping_fen == 600
    assert placed.discount_fen == 1000
    view = mapping.apply(normalise.spec_for(douyin_shop), order)  # unix seconds → aware UTC
    assert view.created_at == view.paid_at == T0.replace(microsecond=0) == payload.platform_modified_at
    assert (placed.receiver_province, placed.receiver_city, placed.receiver_district) == ("上海市", "上海市", "浦东新区")
    assert (placed.receiver_name, placed.receiver_phone, placed.receiver_address) == ("张**", "138****8000", "世纪大道****")
    link = db.session.scalar(select(ChannelOrder).where(ChannelOrder.order_id == placed.id))
    assert link.pii_tokens["encrypt_post_tel"] == "$138$AgAAAx2$"
    assert link.pii_tokens["encrypt_detail"] == "#世纪#AgAAAx3#" and link.platform_status == "105"


def test_cancelled_unpaid_is_closed_and_cancelled_after_payment_is_a_refund(douyin_shop):
    receive(douyin_shop, douyin_order("6900000000000008401", 1, T0))
    _, unpaid = receive(douyin_shop, douyin_order("6900000000000008401", 4, T0 + timedelta(minutes=1), paid=False))
    receive(douyin_shop, douyin_order("6900000000000008402", 2, T0))
    _, paid = receive(douyin_shop, douyin_order("6900000000000008402", 4, T0 + timedelta(minutes=1)))

    assert unpaid.order.status == OrderStatus.CLOSED and paid.order.status == OrderStatus.REFUNDED


FLOW = [(1, OrderStatus.PENDING_PAYMENT), (105, OrderStatus.PAID), (2, OrderStatus.PAID),
        (3, OrderStatus.SHIPPED_OUT), (5, OrderStatus.COMPLETED)]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(arrivals=st.lists(st.integers(0, len(FLOW) - 1), min_size=1, max_size=8))
def test_the_newest_payload_wins_whatever_the_arrival_order(douyin_shop, arrivals):
    savepoint = db.session.begin_nested()
    try:
        for index in arrivals:
            status, _ = FLOW[index]
            receive(douyin_shop, douyin_order("6900000000000009001", status, T0 + timedelta(minutes=index),
                                              waybill="SF9001" if status in (3, 5) else ""))
        placed = db.session.scalar(select(Order).where(Order.external_id == "6900000000000009001"))
        assert placed.status == FLOW[max(arrivals)][1]
        assert db.session.scalar(select(func.count()).select_from(RawPayload)
                                 .where(RawPayload.external_id == "6900000000000009001")) == len(set(arrivals))
        assert stock_differences() == []
    finally:
        savepoint.rollback()


def test_simulator_load_takes_a_douyin_list_response_file(app, monkeypatch, douyin_sim, tmp_path):
    monkeypatch.setitem(app.config, "DOUYIN_GATEWAY_URL", douyin_sim.url + "/")
    file = tmp_path / "douyin.json"
    file.write_text(json.dumps(list_response([douyin_order("6900000000000008501", 2, utcnow())])), encoding="utf-8")

    result = app.test_cli_runner().invoke(args=["simulator-load", "--platform", "douyin", str(file)])

    assert result.exit_code == 0, result.output
    stored = douyin_sim.simulator.state.orders["6900000000000008501"]
    assert stored["mask_post_tel"] == "138****8000" and stored["post_tel"] == ""


def test_our_shipment_and_stock_are_pushed_and_acknowledged(douyin_shop, douyin_sim, douyin_adapter):
    load(douyin_sim, [douyin_order("6900000000000008601", 2, utcnow() - timedelta(minutes=2))])
    pull(douyin_shop, douyin_adapter)
    [placed] = orders_of(douyin_shop)
    services.approve(placed, "user:cangku")
    services.pack(placed, "user:cangku")
    services.ship_out(placed, db.session.scalar(select(Carrier).where(Carrier.code == "shunfeng")), "SF8601",
                      "user:cangku")

    record = push.push_shipment(placed, douyin_adapter, utcnow(), checkpoint=db.session.commit)
    stockwatch.scan(utcnow())
    report = push.push_stock(douyin_shop, douyin_adapter, stockwatch.take_dirty(douyin_shop.id), utcnow(),
                             checkpoint=db.session.commit)

    assert record.status == PushStatus.ACKNOWLEDGED and record.sent["carrier"] == "shunfeng"
    state = sim_state(douyin_sim)
    assert state["shipments"]["6900000000000008601"]["logistics_code"] == "SF8601"
    assert len(report.pushed) == 1 and state["stock"]["500000000000"] == 48  # SN-001: 50 − 2 shipped
    pull(douyin_shop, douyin_adapter)  # the platform now says shipped (3): nothing moves back
    assert placed.status == OrderStatus.SHIPPED_OUT
