"""Pinduoduo end to end: pulls through the simulator into orders, PDD's payloads normalised (yuan numbers,
GMT+8 text, town = district, ciphertexts kept off the order), the status table, arrival order."""

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.db import utcnow
from app.domain.channels import mapping, normalise, payloads, push, stockwatch, sync
from app.domain.channels.adapters.base import RawOrder
from app.domain.channels.adapters.pdd import DEFAULT_MAPPING
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
from tests.channels import pdd_support
from tests.channels.pdd_support import configure, load, pdd_order, sim_state

pdd_shop, pdd_sim, pdd_adapter = pdd_support.pdd_shop, pdd_support.pdd_sim, pdd_support.pdd_adapter
T0 = utcnow().replace(microsecond=0) - timedelta(hours=2)


def pull(channel, adapter, **options):
    return sync.pull(channel, adapter, checkpoint=db.session.commit, **options)


def orders_of(channel) -> list[Order]:
    return list(db.session.scalars(select(Order).where(Order.channel_id == channel.id).order_by(Order.external_id)))


def receive(channel, order: dict):
    spec = normalise.spec_for(channel)
    identity, modified = mapping.identify(spec, order)
    payload, _ = payloads.store(channel, RawOrder(identity, modified, order), PayloadSource.PULL)
    return normalise.process(payload)


def test_a_pull_reads_30_minute_windows_ending_3_minutes_back(world, pdd_shop, pdd_sim, pdd_adapter):
    now = utcnow().replace(microsecond=0)
    load(pdd_sim, [pdd_order(f"261125-{100000000000000 + n}", now - timedelta(minutes=50) + timedelta(minutes=n),
                             items=(("SN-001", 1, 99.9),)) for n in range(45)]
         + [pdd_order("261125-100000000009999", now - timedelta(minutes=1))])  # inside the lag: next run

    report = pull(pdd_shop, pdd_adapter, now=now, since=now - timedelta(hours=1))

    assert report.status == RunStatus.SUCCEEDED and (report.stored, report.created) == (45, 45)
    assert report.windows[-1][1] == now - timedelta(minutes=3)
    assert len(report.windows) == 2 and all(end - start <= timedelta(minutes=30) for start, end in report.windows)
    assert report.fetched == 0  # the list carries full orders: no detail calls
    assert {order.status for order in orders_of(pdd_shop)} == {OrderStatus.PAID}
    state = db.session.scalar(select(SyncState).where(SyncState.channel_id == pdd_shop.id))
    assert state.watermark == now - timedelta(minutes=3)


def test_throttling_backs_off_and_the_pull_completes(world, pdd_shop, pdd_sim, pdd_adapter, sleeper):
    load(pdd_sim, [pdd_order("261125-200000000000001", utcnow() - timedelta(minutes=5))])
    configure(pdd_sim, throttle_next=3)

    report = pull(pdd_shop, pdd_adapter)

    assert report.status == RunStatus.SUCCEEDED and report.created == 1 and len(sleeper.waits) == 3


def test_an_expired_token_flags_the_shop_and_stops_pulling_it(world, pdd_shop, pdd_sim, pdd_adapter):
    configure(pdd_sim, expire_session="sim-pdd-token")

    report = pull(pdd_shop, pdd_adapter)

    state = db.session.scalar(select(SyncState).where(SyncState.channel_id == pdd_shop.id))
    assert report.status == RunStatus.FAILED and state.status == SyncStatus.TOKEN_EXPIRED
    assert pdd_adapter.stats.calls == 1
    assert pdd_shop not in sync.pullable_channels(utcnow())


def test_a_pdd_payload_is_normalised_into_fen_utc_and_masked_receiver(world, pdd_shop):
    order = pdd_order("261125-300000000000001", T0, items=(("SN-001", 2, 99.9), ("BT-002", 1, 59.0)),
                      postage=6, discount=10.1, encrypted=True)

    outcome = receive(pdd_shop, order)

    placed = outcome.order
    assert (placed.goods_fen, placed.shipping_fen, placed.payable_fen) == (25880, 600, 25470)
    assert placed.discount_fen == 1010 and placed.paid_at == T0.astimezone(UTC)
    assert (placed.receiver_province, placed.receiver_city, placed.receiver_district) == ("上海市", "上海市", "浦东新区")
    assert (placed.receiver_name, placed.receiver_phone, placed.receiver_address) == ("张*雯", "1*********0", "世纪大道****")
    link = db.session.scalar(select(ChannelOrder).where(ChannelOrder.order_id == placed.id))
    assert link.pii_tokens["receiver_phone"] == "$7a2c$AgAAAAEBBg==$0$$" and link.pii_tokens["town"] == "浦东新区"
    assert [line.quantity * line.unit_price_fen for line in placed.lines] == [19980, 5900]


def test_the_status_table_joins_order_refund_and_risk_status():
    def stage(**fields):
        return mapping.apply(DEFAULT_MAPPING, pdd_order("261125-1", T0, encrypted=True) | fields).stage

    assert stage(order_status=1, refund_status=1, risk_control_status=0) == "paid"
    assert stage(order_status=1, refund_status=1, risk_control_status=1) == "hold"
    assert stage(order_status=1, refund_status=2) == "hold"
    assert stage(order_status=2, refund_status=3) == "shipped"
    assert stage(order_status=3, refund_status=1) == "signed"
    assert stage(order_status=2, refund_status=4) == "refunded"
    without_risk = pdd_order("261125-1", T0, encrypted=True)
    del without_risk["risk_control_status"]
    assert mapping.apply(DEFAULT_MAPPING, without_risk).platform_status == "1/1/"
    assert mapping.apply(DEFAULT_MAPPING, without_risk).stage == "paid"


def test_a_refund_request_before_shipping_holds_the_order_until_it_closes(world, pdd_shop):
    order = pdd_order("261125-400000000000001", T0, encrypted=True)
    placed = receive(pdd_shop, order).order
    assert placed.status == OrderStatus.PAID

    receive(pdd_shop, order | {"refund_status": 2, "updated_at": _at(1)})
    assert placed.status == OrderStatus.EXCEPTION
    receive(pdd_shop, order | {"refund_status": 1, "updated_at": _at(2)})
    assert placed.status == OrderStatus.PAID
    receive(pdd_shop, order | {"refund_status": 4, "updated_at": _at(3)})
    assert placed.status == OrderStatus.REFUNDED


def test_our_shipment_is_pushed_with_pdds_carrier_id(world, pdd_shop, pdd_sim, pdd_adapter):
    load(pdd_sim, [pdd_order("261125-500000000000001", utcnow() - timedelta(minutes=5))])
    pull(pdd_shop, pdd_adapter)
    [order] = orders_of(pdd_shop)
    services.approve(order, "user:cangku")
    services.pack(order, "user:cangku")
    services.ship_out(order, db.session.scalar(select(Carrier).where(Carrier.code == "yuantong")), "YT9001",
                      "user:cangku")
    assert order.id in stockwatch.scan(utcnow()).shipped_order_ids

    record = push.push_shipment(order, pdd_adapter, utcnow(), checkpoint=db.session.commit)

    assert record.status == PushStatus.ACKNOWLEDGED and record.sent["carrier"] == "85"
    assert sim_state(pdd_sim)["shipments"]["261125-500000000000001"]["tracking_number"] == "YT9001"


def _at(minutes: int) -> str:
    from tests.channels.builders import gmt8

    return gmt8(T0 + timedelta(minutes=minutes))


FLOW = [({"order_status": 1, "refund_status": 1}, OrderStatus.PAID),
        ({"order_status": 2, "refund_status": 1, "tracking_number": "YT3001", "logistics_id": 85},
         OrderStatus.SHIPPED_OUT),
        ({"order_status": 3, "refund_status": 1, "tracking_number": "YT3001", "logistics_id": 85}, OrderStatus.SIGNED)]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_newest_pdd_payload_wins_whatever_the_arrival_order(world, pdd_shop, data):
    arrivals = data.draw(st.lists(st.integers(0, len(FLOW) - 1), min_size=1, max_size=6), label="arrivals")
    savepoint = db.session.begin_nested()
    try:
        for index in arrivals:
            fields, _ = FLOW[index]
            receive(pdd_shop, pdd_order("261125-600000000000001", T0, encrypted=True) | fields
                    | {"updated_at": _at(index)})
        order = db.session.scalar(select(Order).where(Order.external_id == "261125-600000000000001"))
        assert order.status == FLOW[max(arrivals)][1]
        assert db.session.scalar(select(func.count()).select_from(RawPayload)
                                 .where(RawPayload.external_id == "261125-600000000000001")) == len(set(arrivals))
        assert stock_differences() == []
    finally:
        savepoint.rollback()


def test_a_naive_time_never_leaks_in():
    view = mapping.apply(DEFAULT_MAPPING, pdd_order("261125-1", datetime(2026, 11, 25, 12, 0, tzinfo=UTC),
                                                    encrypted=True))
    assert view.modified_at == datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # "20:00:00" GMT+8 read back as UTC
