"""The sync health page: a green/amber/red light per shop and overall, errors filtered and paged, and a
bulk retry of one shop's failed payloads (as a job). Each view with and without HX-Request."""

from datetime import timedelta

from flask import g
from sqlalchemy import select

from app.db import utcnow
from app.domain.channels import health
from app.domain.channels.models import (
    ChannelError,
    PayloadStatus,
    RawPayload,
    SkuMapping,
    SyncState,
    SyncStatus,
)
from app.extensions import db
from app.jobs import get_queue
from tests import factories
from tests.channels.builders import taobao_trade
from tests.channels.test_staff_pages import T0, stored
from tests.conftest import htmx_headers, run_worker


def state(channel, **values):
    row = db.session.scalar(select(SyncState).where(SyncState.channel_id == channel.id))
    if row is None:
        row = SyncState(channel_id=channel.id)
        db.session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    db.session.commit()


def lights(now=None) -> dict[str, tuple[str, str]]:
    return {shop.channel.code: (shop.light, shop.light_reason) for shop in health.overview(now or utcnow())}


def test_each_shop_gets_a_light_and_the_page_shows_the_worst(client, login_as, world):
    now = utcnow()
    state(world.taobao, last_success_at=now - timedelta(minutes=1))
    state(world.tmall, last_success_at=now - timedelta(minutes=5))
    state(world.jd, last_success_at=now - timedelta(minutes=1), status=SyncStatus.TOKEN_EXPIRED)
    factories.ChannelFactory(code="pdd-new", platform="taobao")  # no credentials yet
    db.session.commit()

    assert lights(now) == {"tb-shop": ("green", "同步正常"), "tm-shop": ("amber", "最近成功在 5 分钟前"),
                           "jd-shop": ("red", "授权已过期，请更新凭证"), "pdd-new": ("grey", "未配置接口凭证")}
    login_as("customer_service")
    page = client.get("/staff/sync")
    assert page.status_code == 200 and "<html" in page.text
    assert 'id="sync-overall" class="light-banner light-red"' in page.text and "有渠道同步异常" in page.text
    assert f'id="sync-shop-{world.taobao.id}" data-light="green"' in page.text
    fragment = client.get("/staff/sync", headers=htmx_headers())
    assert "<html" not in fragment.text and f'id="sync-shop-{world.tmall.id}" data-light="amber"' in fragment.text


def test_the_page_is_green_when_every_shop_synced_lately_without_errors(client, login_as, world):
    for channel in (world.taobao, world.tmall, world.jd):
        state(channel, last_success_at=utcnow() - timedelta(seconds=40))
    login_as("operations")
    fragment = client.get("/staff/sync", headers=htmx_headers())
    assert "light-banner light-green" in fragment.text and "全部渠道同步正常" in fragment.text


def test_throttling_errors_and_a_long_silence_change_the_light(world):
    now = utcnow()
    state(world.taobao, last_success_at=now - timedelta(minutes=1), throttled_until=now + timedelta(minutes=5))
    state(world.tmall, last_success_at=now - timedelta(minutes=20))
    state(world.jd, last_success_at=now - timedelta(minutes=1))
    db.session.add(ChannelError(channel_id=world.jd.id, kind="pull", message="服务器错误"))
    db.session.commit()
    assert lights(now) == {"tb-shop": ("red", "被平台限流"), "tm-shop": ("red", "超过 15 分钟没有成功同步"),
                           "jd-shop": ("amber", "1 个未解决错误")}


def test_errors_are_filtered_by_shop_and_kind_and_paged(client, login_as, world):
    for number in range(25):
        db.session.add(ChannelError(channel_id=world.taobao.id, kind="pull", message=f"淘宝错误{number:02}"))
    db.session.add(ChannelError(channel_id=world.jd.id, kind="push", message="京东推送错误"))
    db.session.commit()
    login_as("operations")

    first = client.get("/staff/sync")
    assert "共 26 条" in first.text and "第 1 / 2 页" in first.text and "京东推送错误" in first.text
    assert "淘宝错误05" not in first.text  # newest first: 24…06 and the JD one fill the first page

    second = client.get(f"/staff/sync?channel={world.taobao.id}&page=2", headers=htmx_headers())
    assert "<html" not in second.text and "淘宝错误04" in second.text and "京东推送错误" not in second.text
    assert f'hx-get="/staff/sync?channel={world.taobao.id}&amp;page=2"' in second.text  # polling keeps the filter

    kind = client.get("/staff/sync?kind=push")
    assert "共 1 条" in kind.text and "京东推送错误" in kind.text and "淘宝错误" not in kind.text.split("未解决的错误")[1]


def test_bulk_retry_queues_one_job_per_shop_that_reprocesses_its_failed_payloads(client, login_as, world):
    payloads = [stored(world.taobao, taobao_trade(tid, "WAIT_SELLER_SEND_GOODS", T0, lines=(("NOPE-1", 1, "1.00"),)))
                for tid in ("62001", "62002")]
    payload_ids = [payload.id for payload in payloads]
    db.session.add(SkuMapping(channel_id=world.taobao.id, platform_code="NOPE-1", sku_id=world.skus["SN-001"].id))
    db.session.commit()
    login_as("operations")
    assert "全部重试" in client.get("/staff/sync").text

    url = f"/staff/sync/channels/{world.taobao.id}/retry-failed"
    first = client.post(url)
    again = client.post(url, headers=htmx_headers())

    assert first.status_code == 303 and again.headers["HX-Redirect"] == f"/staff/sync?channel={world.taobao.id}"
    jobs = get_queue("channels").get_jobs()
    assert [(job.id, job.func_name, job.args) for job in jobs] == [
        (f"channel-retry-{world.taobao.id}", "workers.channel_sync.retry_failed_payloads", [world.taobao.id])]
    run_worker()
    g.pop("_login_user", None)  # the worker ended the session the signed-in user was loaded in
    statuses = set(db.session.scalars(select(RawPayload.status).where(RawPayload.id.in_(payload_ids))))
    assert statuses == {PayloadStatus.APPLIED}
    assert db.session.scalar(select(ChannelError.id).where(ChannelError.resolved_at.is_(None))) is None
    assert "没有未解决的错误" in client.get("/staff/sync").text
