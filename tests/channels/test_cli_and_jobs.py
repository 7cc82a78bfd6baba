"""Commands (sync-now, set-channel-credentials, simulator-load) and the worker jobs around them."""

import json
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from app.cli.channels import start_platform_simulators
from app.db import utcnow
from app.domain.channels import stockwatch, sync
from app.domain.channels.connect import credentials_of
from app.domain.channels.models import PushKind, PushRecord
from app.domain.channels.ratelimit import ChannelLimiter
from app.domain.orders.models import Order
from app.extensions import db
from app.jobs import get_queue
from app.redis_conn import get_redis
from tests.channels.builders import taobao_trade
from workers import channel_sync


@pytest.fixture
def pointed_at(app, monkeypatch, taobao_sim, jd_sim):
    """The app's configuration points the adapters at this test's simulators."""
    monkeypatch.setitem(app.config, "TAOBAO_GATEWAY_URL", taobao_sim.url + "/router/rest")
    monkeypatch.setitem(app.config, "JD_GATEWAY_URL", jd_sim.url + "/routerjson")
    return taobao_sim


def load(sim, *trades):
    body = {"trades_sold_increment_get_response": {"trades": {"trade": list(trades)}}}
    assert requests.post(f"{sim.url}/_sim/orders", json=body, timeout=5).ok


def jobs() -> list[tuple[str, list]]:
    return [(job.func_name, list(job.args)) for job in get_queue("channels").get_jobs()]


def test_sync_now_pulls_in_process_and_reports_what_it_did(app, world, pointed_at):
    load(pointed_at, taobao_trade("81001", "WAIT_SELLER_SEND_GOODS", utcnow() - timedelta(minutes=3), masked=False))

    result = app.test_cli_runner().invoke(args=["sync-now", "--channel", "tb-shop"])

    assert result.exit_code == 0, result.output
    assert "窗口" in result.output and "新载荷 1" in result.output and "新建订单 1" in result.output
    assert db.session.scalar(select(Order.status).where(Order.external_id == "81001")) == "02"


def test_sync_now_fails_visibly_when_the_token_expired(app, world, pointed_at):
    requests.post(f"{pointed_at.url}/_sim/config", json={"expire_session": "sim-taobao-session"}, timeout=5)
    result = app.test_cli_runner().invoke(args=["sync-now", "--channel", "tb-shop"])
    assert result.exit_code == 1 and "授权已过期" in result.output


def test_set_channel_credentials_echoes_only_the_last_four_characters(app, world):
    result = app.test_cli_runner().invoke(args=["set-channel-credentials", "--channel", "jd-shop", "--app-key", "K2",
                                                "--app-secret", "verysecret9876", "--session", "tok"])
    assert result.exit_code == 0 and "••••9876" in result.output and "verysecret" not in result.output
    db.session.expire_all()
    assert credentials_of(world.jd).app_secret == "verysecret9876"


def test_simulator_load_hands_a_platform_list_file_to_the_running_simulator(app, world, pointed_at, tmp_path):
    file = tmp_path / "orders.json"
    file.write_text(json.dumps({"trades_sold_increment_get_response": {"trades": {"trade": [
        taobao_trade("81002", "WAIT_BUYER_PAY", utcnow(), masked=False)]}}}), encoding="utf-8")

    result = app.test_cli_runner().invoke(args=["simulator-load", "--platform", "taobao", str(file)])

    assert result.exit_code == 0, result.output
    assert requests.get(f"{pointed_at.url}/_sim/state", timeout=5).json()["orders"] == 1


def test_simulator_load_for_a_channel_files_the_orders_under_that_shop(app, world, pointed_at, tmp_path):
    file = tmp_path / "orders.json"
    trade = taobao_trade("81004", "WAIT_SELLER_SEND_GOODS", utcnow(), masked=False) | {"seller_nick": "别的店"}
    file.write_text(json.dumps({"trades_sold_increment_get_response": {"trades": {"trade": [trade]}}}),
                    encoding="utf-8")

    result = app.test_cli_runner().invoke(args=["simulator-load", "--channel", "tm-shop", str(file)])

    assert result.exit_code == 0, result.output
    state = pointed_at.simulator.state
    assert state.sellers["81004"] == state.sessions["sim-tmall-session"]
    missing = app.test_cli_runner().invoke(args=["simulator-load", str(file)])
    assert missing.exit_code != 0 and "--channel" in missing.output


def test_the_minute_cron_queues_one_pull_per_shop_under_a_deterministic_id(world):
    shop_ids = sorted(channel.id for channel in (world.taobao, world.tmall, world.jd))  # jobs end the session

    assert channel_sync.enqueue_pulls() and channel_sync.enqueue_pulls() == []  # the second minute stacks nothing
    assert sorted(args[0] for name, args in jobs()) == shop_ids
    assert {job.id for job in get_queue("channels").get_jobs()} == {f"channel-pull-{id_}" for id_ in shop_ids}


def test_the_pull_job_runs_a_pull_and_skips_a_shop_another_worker_is_pulling(world, pointed_at):
    load(pointed_at, taobao_trade("81003", "WAIT_BUYER_PAY", utcnow() - timedelta(minutes=1), masked=False))
    channel_id = world.taobao.id
    lock = get_redis().lock(f"orderhub:channels:pull-lock:{channel_id}", timeout=60)
    assert lock.acquire(blocking=False)
    assert channel_sync.pull_channel(channel_id) == {"skipped": "另一个同步正在进行"}
    lock.release()

    assert channel_sync.pull_channel(channel_id)["created"] == 1


def test_the_ledger_scan_queues_a_debounced_stock_push_per_shop_and_the_push_drains_the_set(world, pointed_at):
    load(pointed_at, taobao_trade("81004", "WAIT_SELLER_SEND_GOODS", utcnow() - timedelta(minutes=1), masked=False))
    channel_id = world.taobao.id
    channel_sync.pull_channel(channel_id)

    summary = channel_sync.scan_stock_changes()

    assert summary["skus"] >= 1
    scheduled = get_queue("channels").scheduled_job_registry.get_job_ids()
    assert f"channel-stock-{channel_id}" in scheduled
    channel_sync.scan_stock_changes()  # a second scan within the debounce adds no second push
    assert get_queue("channels").scheduled_job_registry.get_job_ids().count(f"channel-stock-{channel_id}") == 1
    assert channel_sync.push_stock(channel_id)["pushed"] == 1
    assert stockwatch.take_dirty(channel_id) == set()
    assert db.session.scalar(select(PushRecord.quantity).where(PushRecord.kind == PushKind.STOCK)) == 48


def test_the_limiter_keeps_all_workers_of_a_shop_under_its_rate(app):
    now = [1000.0]
    waits = []

    def sleep(seconds):
        waits.append(seconds)
        now[0] += seconds

    first = ChannelLimiter(99, 3, sleep=sleep, clock=lambda: now[0])
    second = ChannelLimiter(99, 3, sleep=sleep, clock=lambda: now[0])  # another worker, same shop
    for limiter in (first, second, first, second):
        limiter.wait()
    assert waits == [1.0]  # the fourth call of second 1000 waited for second 1001

    first.ban(5)
    second.wait()
    assert waits[-1] == 5.0  # one worker heard "banned for 5 s": the other waits too


def test_simulator_trickle_off_serves_the_simulators_without_a_trickle(app, world, monkeypatch):
    for platform in ("TAOBAO", "JD", "PDD", "YOUZAN", "DOUYIN"):
        monkeypatch.setitem(app.config, f"{platform}_SIMULATOR_PORT", 0)  # any free port
        monkeypatch.setitem(app.config, f"{platform}_GATEWAY_URL", "")
    monkeypatch.setitem(app.config, "SIMULATOR_TRICKLE", "off")

    running = start_platform_simulators(app.config)
    try:
        assert len(running) == 5 and all(each.trickle is None for each in running)
    finally:
        for each in running:
            each.stop()


def test_a_lock_left_by_a_job_that_no_longer_runs_is_taken_over(world, pointed_at):
    load(pointed_at, taobao_trade("81101", "WAIT_BUYER_PAY", utcnow() - timedelta(minutes=1), masked=False))
    shop = world.taobao.id
    get_redis().set(sync.pull_lock_key(shop), "job:channel-pull-gone", ex=sync.LOCK_SECONDS)

    assert channel_sync.pull_channel(shop)["created"] == 1
    assert sync.pull_lock_holder(shop) is None  # released after the pull


def test_a_lock_held_by_a_running_job_or_by_a_command_blocks_the_pull(world, pointed_at):
    shop = world.taobao.id
    running = get_queue("channels").enqueue("workers.channel_sync.pull_channel", shop, job_id="channel-pull-running")
    running.set_status("started")
    for holder in ("job:channel-pull-running", "process:4242:abc"):
        get_redis().set(sync.pull_lock_key(shop), holder, ex=60)
        assert channel_sync.pull_channel(shop) == {"skipped": "另一个同步正在进行"}
        assert sync.pull_lock_holder(shop) == holder


def test_a_lock_is_released_only_by_its_holder():
    with sync.pull_lock(424242) as acquired:
        assert acquired
        get_redis().set(sync.pull_lock_key(424242), "process:1:someone-else")
    assert sync.pull_lock_holder(424242) == "process:1:someone-else"
