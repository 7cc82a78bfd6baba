"""Hardening item 2: a platform order is never closed as unpaid by OrderHub (the platform owns its
payment); a late "paid" for an order we did close is an error that says so, not a silent failure."""

from datetime import timedelta

from sqlalchemy import select

from app.db import utcnow
from app.domain.channels import sync
from app.domain.channels.models import ChannelError, PayloadStatus, RawPayload
from app.domain.inventory import services as inventory
from app.domain.inventory.ledger import Change
from app.domain.orders import deadlines, services, timeouts
from app.domain.orders.models import Order
from app.domain.orders.states import OrderStatus
from app.extensions import db
from app.jobs import get_queue
from tests import factories
from tests.channels.builders import taobao_trade
from tests.channels.test_sync import load_taobao
from tests.conftest import run_worker
from tests.domain.stock_world import line, place


def pull(world, adapter, now):
    return sync.pull(world.taobao, adapter, checkpoint=db.session.commit, now=now)


def the_order(channel_id: int) -> Order:
    db.session.expire_all()
    return db.session.scalar(select(Order).where(Order.channel_id == channel_id))


def test_past_our_timeout_the_platform_is_asked_and_a_late_payment_is_applied(app, world, taobao_sim,
                                                                              taobao_adapter, monkeypatch):
    monkeypatch.setitem(app.config, "TAOBAO_GATEWAY_URL", taobao_sim.url + "/router/rest")  # the job's fetch
    channel_id, now = world.taobao.id, utcnow()
    load_taobao(taobao_sim, [taobao_trade("8801", "WAIT_BUYER_PAY", now - timedelta(minutes=1), masked=False)])
    pull(world, taobao_adapter, now)
    order = the_order(channel_id)
    assert order.status == OrderStatus.PENDING_PAYMENT

    applied = timeouts.sweep_due(order.payment_due_at + timedelta(minutes=1))
    db.session.commit()

    order = the_order(channel_id)
    assert applied == {deadlines.ASK_PLATFORM: 1}
    assert order.status == OrderStatus.PENDING_PAYMENT and order.deadline_rule == deadlines.ASK_PLATFORM
    [job] = get_queue("channels").get_jobs()
    assert (job.func_name, job.args) == (timeouts.PLATFORM_REFRESH_JOB, [channel_id, "8801"])

    load_taobao(taobao_sim, [taobao_trade("8801", "WAIT_SELLER_SEND_GOODS", utcnow(), masked=False)])
    run_worker()

    assert the_order(channel_id).status == OrderStatus.PAID


def test_our_own_channels_still_close_unpaid_orders(world):
    shop = factories.ChannelFactory(platform="miniapp")
    warehouse = factories.WarehouseFactory(priority=5)
    sku = factories.SkuFactory(code="OWN-1")
    inventory.receive(warehouse, [(sku, 3)], Change("test", "入库"))
    order = place(shop, line(sku))

    assert timeouts.sweep_due(order.payment_due_at + timedelta(minutes=1)) == {deadlines.CLOSE_UNPAID: 1}
    assert order.status == OrderStatus.CLOSED


def test_a_payment_for_an_order_we_closed_is_an_error_naming_the_order(world, taobao_sim, taobao_adapter):
    now = utcnow()
    load_taobao(taobao_sim, [taobao_trade("8802", "WAIT_BUYER_PAY", now - timedelta(minutes=2), masked=False)])
    pull(world, taobao_adapter, now)
    order = the_order(world.taobao.id)
    services.cancel(order, "客服取消", "user:kefu")
    db.session.commit()

    load_taobao(taobao_sim, [taobao_trade("8802", "WAIT_SELLER_SEND_GOODS", now - timedelta(minutes=1),
                                          masked=False)])
    pull(world, taobao_adapter, now + timedelta(minutes=1))

    assert the_order(world.taobao.id).status == OrderStatus.CLOSED
    payload = db.session.scalar(select(RawPayload).order_by(RawPayload.id.desc()))
    assert payload.status == PayloadStatus.ERROR and order.order_no in payload.reason and "已付款" in payload.reason
    assert db.session.scalar(select(ChannelError).where(ChannelError.raw_payload_id == payload.id)) is not None
