"""Incremental pulls end to end: adapter → simulator over HTTP → raw payloads → orders."""

from datetime import timedelta

import pytest
import requests
from sqlalchemy import func, select

from app.db import utcnow
from app.domain.channels import normalise, skus, sync
from app.domain.channels.models import PayloadStatus, RawPayload, RunStatus, SyncRun, SyncState, SyncStatus
from app.domain.orders.models import Order
from app.domain.orders.states import OrderStatus
from app.extensions import db
from tests.channels.builders import jd_order, taobao_trade


def load_taobao(sim, trades):
    body = {"trades_sold_increment_get_response": {"trades": {"trade": trades}}}
    assert requests.post(f"{sim.url}/_sim/orders", json=body, timeout=5).ok


def configure(sim, **faults):
    assert requests.post(f"{sim.url}/_sim/config", json=faults, timeout=5).ok


def orders_of(channel) -> list[Order]:
    return list(db.session.scalars(select(Order).where(Order.channel_id == channel.id).order_by(Order.external_id)))


def pull(channel, adapter, **options):
    return sync.pull(channel, adapter, checkpoint=db.session.commit, **options)


def test_a_pull_stores_payloads_creates_orders_and_moves_the_watermark(world, taobao_sim, taobao_adapter):
    now = utcnow()
    load_taobao(taobao_sim, [taobao_trade(str(7000 + n), "WAIT_SELLER_SEND_GOODS", now - timedelta(minutes=10),
                                          masked=False) for n in range(5)])

    report = pull(world.taobao, taobao_adapter, now=now)

    assert report.status == RunStatus.SUCCEEDED and (report.stored, report.created) == (5, 5)
    assert [order.status for order in orders_of(world.taobao)] == [OrderStatus.PAID] * 5
    state = db.session.scalar(select(SyncState).where(SyncState.channel_id == world.taobao.id))
    assert state.watermark == now and state.last_success_at is not None
    run = db.session.get(SyncRun, report.run_id)
    assert (run.status, run.pages, run.payloads_stored, run.orders_created) == (RunStatus.SUCCEEDED, 1, 5, 5)


def test_overlapping_windows_create_no_duplicate_order_and_skip_known_details(world, taobao_sim, taobao_adapter):
    now = utcnow()
    load_taobao(taobao_sim, [taobao_trade("7101", "WAIT_BUYER_PAY", now - timedelta(minutes=1), masked=False)])
    pull(world.taobao, taobao_adapter, now=now)

    second = pull(world.taobao, taobao_adapter, now=now + timedelta(seconds=30))

    assert second.windows[0][0] == now - timedelta(minutes=3)  # watermark − overlap
    assert (second.listed, second.fetched, second.stored) == (1, 0, 0)
    assert len(orders_of(world.taobao)) == 1


def test_a_pull_split_into_windows_within_the_platform_limit(world, taobao_sim, taobao_adapter):
    now = utcnow()
    load_taobao(taobao_sim, [taobao_trade("7201", "WAIT_BUYER_PAY", now - timedelta(days=2), masked=False),
                             taobao_trade("7202", "WAIT_BUYER_PAY", now - timedelta(hours=2), masked=False)])

    report = pull(world.taobao, taobao_adapter, now=now, since=now - timedelta(days=3))

    assert len(report.windows) == 3 and all(end - start <= timedelta(days=1) for start, end in report.windows)
    assert [order.external_id for order in orders_of(world.taobao)] == ["7201", "7202"]


def test_a_worker_killed_mid_page_loses_nothing_the_next_run_resumes(world, taobao_sim, taobao_adapter):
    now = utcnow()
    load_taobao(taobao_sim, [taobao_trade(str(7300 + n), "WAIT_SELLER_SEND_GOODS",
                                          now - timedelta(minutes=30) + timedelta(seconds=n), masked=False)
                             for n in range(8)])
    seen = []

    def crash_after_three(payload):
        seen.append(payload)
        if len(seen) == 3:
            raise SystemExit("worker killed")

    with pytest.raises(SystemExit):
        pull(world.taobao, taobao_adapter, now=now, on_payload=crash_after_three)
    db.session.rollback()  # what the job wrapper does; the process would simply be gone
    state = db.session.scalar(select(SyncState).where(SyncState.channel_id == world.taobao.id))
    assert state.watermark is None  # the window never completed

    report = pull(world.taobao, taobao_adapter, now=now + timedelta(seconds=10))

    assert report.status == RunStatus.SUCCEEDED
    assert [order.external_id for order in orders_of(world.taobao)] == [str(7300 + n) for n in range(8)]
    runs = db.session.scalars(select(SyncRun.status).where(SyncRun.channel_id == world.taobao.id)
                              .order_by(SyncRun.id)).all()
    assert runs == [RunStatus.INTERRUPTED, RunStatus.SUCCEEDED]


def test_throttling_backs_off_and_the_pull_completes(world, taobao_sim, taobao_adapter, sleeper):
    load_taobao(taobao_sim, [taobao_trade("7401", "WAIT_BUYER_PAY", utcnow() - timedelta(minutes=2), masked=False)])
    configure(taobao_sim, throttle_next=3, ban_seconds=1)

    report = pull(world.taobao, taobao_adapter)

    assert report.status == RunStatus.SUCCEEDED and report.created == 1
    assert sleeper.waits == [2.0, 2.0, 2.0]


def test_an_expired_token_flags_the_shop_and_stops_pulling_it(world, taobao_sim, taobao_adapter):
    configure(taobao_sim, expire_session="sim-taobao-session")

    report = pull(world.taobao, taobao_adapter)

    state = db.session.scalar(select(SyncState).where(SyncState.channel_id == world.taobao.id))
    assert report.status == RunStatus.FAILED and state.status == SyncStatus.TOKEN_EXPIRED
    assert taobao_adapter.stats.calls == 1  # no retry loop
    assert pull(world.taobao, taobao_adapter).status == RunStatus.SKIPPED
    assert world.taobao not in sync.pullable_channels(utcnow())
    assert world.jd in sync.pullable_channels(utcnow())

    sync.reset_after_new_credentials(world.taobao)  # what saving new credentials does
    assert world.taobao in sync.pullable_channels(utcnow())


def test_a_long_ban_marks_the_shop_throttled_until_then(world, taobao_sim, taobao_adapter):
    configure(taobao_sim, throttle_next=1, ban_seconds=600)
    now = utcnow()

    report = pull(world.taobao, taobao_adapter, now=now)

    state = db.session.scalar(select(SyncState).where(SyncState.channel_id == world.taobao.id))
    assert report.status == RunStatus.FAILED and state.status == SyncStatus.THROTTLED
    assert state.throttled_until == now + timedelta(seconds=601)
    assert world.taobao not in sync.pullable_channels(now)


def test_an_unknown_code_waits_then_fixing_the_mapping_creates_the_order(world, taobao_sim, taobao_adapter):
    load_taobao(taobao_sim, [taobao_trade("7501", "WAIT_SELLER_SEND_GOODS", utcnow() - timedelta(minutes=2),
                                          lines=(("TB-NUTS-750", 1, "99.90"),), masked=False)])
    report = pull(world.taobao, taobao_adapter)
    assert report.waiting == 1 and orders_of(world.taobao) == []

    skus.save_mapping(world.taobao, "TB-NUTS-750", "SN-001", "user:yunying")
    counts = normalise.reprocess_waiting(world.taobao)

    assert counts == {PayloadStatus.APPLIED: 1}
    [order] = orders_of(world.taobao)
    assert order.status == OrderStatus.PAID and order.lines[0].sku.code == "SN-001"


def test_jd_pull_end_to_end(world, jd_sim, jd_adapter):
    now = utcnow()
    body = {"jingdong_pop_order_enSearch_responce": {"searchorderinfo_result": {"orderInfoList": [
        jd_order("8001", "WAIT_SELLER_STOCK_OUT", now - timedelta(minutes=3)),
        jd_order("8002", "WAIT_GOODS_RECEIVE_CONFIRM", now - timedelta(minutes=2), waybill="SF1|YT2", logistics_id="467"),
    ]}}}
    assert requests.post(f"{jd_sim.url}/_sim/orders", json=body, timeout=5).ok

    report = pull(world.jd, jd_adapter, now=now)

    assert (report.stored, report.created, report.fetched) == (2, 2, 0)  # JD lists full orders
    paid, shipped = orders_of(world.jd)
    assert paid.status == OrderStatus.PAID and paid.receiver_phone == "138****8000"
    assert shipped.status == OrderStatus.SHIPPED_OUT and shipped.waybill_no == "SF1"
    assert db.session.scalar(select(func.count()).select_from(RawPayload).where(RawPayload.channel_id == world.jd.id)) == 2


def test_the_receiver_is_decrypted_only_through_the_platform_and_only_the_access_is_recorded(
        world, taobao_sim, taobao_adapter):
    from app.domain.channels import pii
    from app.domain.channels.models import ChannelOrder

    load_taobao(taobao_sim, [taobao_trade("7601", "WAIT_SELLER_SEND_GOODS", utcnow() - timedelta(minutes=2),
                                          masked=False)])
    pull(world.taobao, taobao_adapter)
    [order] = orders_of(world.taobao)
    payload = db.session.scalar(select(RawPayload).where(RawPayload.external_id == "7601"))
    assert "13800138000" not in str(payload.payload) and order.receiver_phone == "138****8000"

    receiver = pii.reveal_receiver(order, taobao_adapter, "shunfeng", "user:cangku",
                                   checkpoint=db.session.commit)

    assert (receiver.name, receiver.phone) == ("张晓雯", "13800138000")
    link = db.session.scalar(select(ChannelOrder).where(ChannelOrder.order_id == order.id))
    assert set(link.pii_tokens) == {"oaid"} and order.receiver_name == "张**"
    event = order.events[-1]
    assert (event.action, event.actor) == ("pii_decrypted", "user:cangku")
    assert "张晓雯" not in event.reason + str(event.details)


def test_an_adapter_that_can_refresh_its_token_does_so_once_and_carries_on(world, taobao_sim):
    from app.domain.channels.adapters.base import Credentials
    from app.domain.channels.adapters.taobao import TaobaoAdapter
    from app.domain.channels.connect import credentials_of

    class Refreshing(TaobaoAdapter):  # how Douyin or Youzan would behave
        def refresh_access_token(self):
            configure(taobao_sim, restore_session="sim-taobao-session")
            return Credentials(self.credentials.app_key, self.credentials.app_secret, "sim-taobao-session", "r2")

    load_taobao(taobao_sim, [taobao_trade("7701", "WAIT_BUYER_PAY", utcnow() - timedelta(minutes=1), masked=False)])
    configure(taobao_sim, expire_session="sim-taobao-session")
    adapter = Refreshing(Credentials("sim-taobao-app", "sim-taobao-secret", "sim-taobao-session"),
                         taobao_sim.url + "/router/rest")

    report = pull(world.taobao, adapter)

    assert report.status == RunStatus.SUCCEEDED and report.created == 1
    assert credentials_of(world.taobao).refresh_token == "r2"
