"""Hardening item 2: a platform order is never closed as unpaid by OrderHub (the platform owns its
payment); a late "paid" for an order we did close reopens it, or parks it as an exception saying why."""

from datetime import timedelta

from sqlalchemy import select

from app.db import utcnow
from app.domain.channels import sync
from app.domain.channels.models import PayloadStatus, RawPayload
from app.domain.inventory import services as inventory
from app.domain.inventory.ledger import Change
from app.domain.inventory.models import StockLevel
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


def _closed_then_paid_on_the_platform(world, taobao_sim, taobao_adapter, tid: str, before_payment=None) -> Order:
    now = utcnow()
    load_taobao(taobao_sim, [taobao_trade(tid, "WAIT_BUYER_PAY", now - timedelta(minutes=2), masked=False)])
    pull(world, taobao_adapter, now)
    services.cancel(the_order(world.taobao.id), "客服取消", "user:kefu")
    if before_payment:
        before_payment()
    db.session.commit()
    load_taobao(taobao_sim, [taobao_trade(tid, "WAIT_SELLER_SEND_GOODS", now - timedelta(minutes=1), masked=False)])
    pull(world, taobao_adapter, now + timedelta(minutes=1))
    return the_order(world.taobao.id)


def test_a_payment_for_an_order_we_closed_reopens_it_with_its_stock_locked_again(world, taobao_sim, taobao_adapter):
    order = _closed_then_paid_on_the_platform(world, taobao_sim, taobao_adapter, "8802")

    assert order.status == OrderStatus.PAID and order.closed_at is None and order.paid_fen == order.payable_fen
    assert [event.action for event in order.events] == ["create", "cancel", "reopen_paid"]
    reopened = order.events[-1]
    assert (reopened.from_status, reopened.to_status) == (OrderStatus.CLOSED, OrderStatus.PAID)
    sn = db.session.scalar(select(StockLevel).where(StockLevel.sku_id == world.skus["SN-001"].id))
    assert (sn.reserved, sn.locked) == (0, 2)
    payload = db.session.scalar(select(RawPayload).order_by(RawPayload.id.desc()))
    assert payload.status == PayloadStatus.APPLIED
    assert [job.func_name for job in get_queue().get_jobs()].count("workers.routing.route_paid_order") == 1


def test_a_payment_for_a_closed_order_whose_stock_is_gone_parks_it_as_an_exception_saying_so(
        world, taobao_sim, taobao_adapter):
    def sell_everything():
        inventory.adjust_to_count(world.warehouse, world.skus["SN-001"], 0, Change("user:cangku", "盘点"))

    order = _closed_then_paid_on_the_platform(world, taobao_sim, taobao_adapter, "8803", sell_everything)

    assert order.status == OrderStatus.EXCEPTION and order.status_before_exception == OrderStatus.PAID
    assert [event.action for event in order.events][-2:] == ["reopen_paid", "mark_exception"]
    reason = order.events[-1].reason
    assert "重新占用库存失败" in reason and "SN-001 0/2" in reason
    assert order.paid_fen == order.payable_fen
    sn = db.session.scalar(select(StockLevel).where(StockLevel.sku_id == world.skus["SN-001"].id))
    assert (sn.on_hand, sn.reserved, sn.locked) == (0, 0, 0)
