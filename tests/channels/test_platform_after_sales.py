"""Per-line after-sales and platform holds beyond Taobao, in each platform's real format, through the
simulators and the pull: Douyin's ``after_sale_info`` per sku order, Pinduoduo's ``after_sales_status``
(per order), Pinduoduo's group not formed and ship-hold tag, Taobao's PAID_FORBID_CONSIGN."""

from datetime import timedelta

from sqlalchemy import select

from app.db import utcnow
from app.domain.channels import sync
from app.domain.channels.models import ChannelOrder, RunStatus
from app.domain.inventory.models import StockLevel
from app.domain.logistics import shipments
from app.domain.orders import services
from app.domain.orders.models import OrderEvent
from app.domain.orders.states import OrderStatus
from app.domain.reference.models import Carrier
from app.extensions import db
from tests.channels import douyin_support, pdd_support
from tests.channels.builders import gmt8, taobao_trade
from tests.channels.pulls import T0 as TAOBAO_T0
from tests.channels.pulls import load_trade, pull_order

douyin_shop, douyin_sim, douyin_adapter = douyin_support.douyin_shop, douyin_support.douyin_sim, douyin_support.douyin_adapter
pdd_shop, pdd_sim, pdd_adapter = pdd_support.pdd_shop, pdd_support.pdd_sim, pdd_support.pdd_adapter
T0 = utcnow().replace(microsecond=0) - timedelta(hours=1)
TWO_LINES_FEN = (("SN-001", 1, 9990), ("HH-010", 2, 4990))


def pulled(channel, adapter, external_id: str):
    report = sync.pull(channel, adapter, checkpoint=db.session.commit, now=utcnow(), since=T0 - timedelta(minutes=5))
    assert report.status == RunStatus.SUCCEEDED, report.errors
    link = db.session.scalar(select(ChannelOrder).where(ChannelOrder.channel_id == channel.id,
                                                        ChannelOrder.external_id == external_id))
    db.session.refresh(link.order)
    return link.order


def locked(world, code: str) -> int:
    return db.session.scalar(select(StockLevel.locked).where(StockLevel.sku_id == world.skus[code].id))


def douyin_changed(order: dict, minutes: int, after_sale_status: int, line: int = 1) -> dict:
    stamp = int((T0 + timedelta(minutes=minutes)).timestamp())
    lines = [dict(each) for each in order["sku_order_list"]]
    lines[line]["after_sale_info"] = {"after_sale_status": after_sale_status, "after_sale_type": 2,
                                      "refund_status": 3 if after_sale_status == 12 else 1}
    return dict(order, update_time=stamp, sku_order_list=lines)


def test_douyin_after_sale_on_a_line_holds_then_its_grant_refunds_that_line(world, douyin_shop, douyin_sim,
                                                                             douyin_adapter):
    order = douyin_support.douyin_order("6900000000000009001", 2, T0, lines=TWO_LINES_FEN)
    order["sku_order_list"][1]["pay_amount"] = 9480  # the line's share of a shop coupon, as 抖店 spreads it
    douyin_support.load(douyin_sim, [order])
    assert pulled(douyin_shop, douyin_adapter, "6900000000000009001").status == OrderStatus.PAID

    douyin_support.load(douyin_sim, [douyin_changed(order, 1, 6)])
    held = pulled(douyin_shop, douyin_adapter, "6900000000000009001")
    assert held.status == OrderStatus.EXCEPTION
    assert "HH-010" in held.events[-1].reason and "（6）" in held.events[-1].reason

    douyin_support.load(douyin_sim, [douyin_changed(order, 2, 12)])
    refunded = pulled(douyin_shop, douyin_adapter, "6900000000000009001")
    assert refunded.status == OrderStatus.PAID and refunded.refunded_fen == 9480
    line = next(line for line in refunded.lines if line.sku.code == "HH-010")
    assert line.refunded_quantity == 2 and locked(world, "HH-010") == 0 and locked(world, "SN-001") == 1


def test_douyin_refused_after_sale_releases_the_hold(world, douyin_shop, douyin_sim, douyin_adapter):
    order = douyin_support.douyin_order("6900000000000009002", 105, T0, lines=TWO_LINES_FEN)
    douyin_support.load(douyin_sim, [douyin_changed(order, 0, 7)])
    assert pulled(douyin_shop, douyin_adapter, "6900000000000009002").status == OrderStatus.EXCEPTION

    douyin_support.load(douyin_sim, [douyin_changed(order, 1, 27)])
    order = pulled(douyin_shop, douyin_adapter, "6900000000000009002")
    assert order.status == OrderStatus.PAID and order.refunded_fen == 0


def pdd_at(order: dict, minutes: int, **fields) -> dict:
    return order | {"updated_at": gmt8(T0 + timedelta(minutes=minutes))} | fields


def test_pdd_after_sales_request_holds_with_its_status_and_a_withdrawal_releases(world, pdd_shop, pdd_sim,
                                                                                 pdd_adapter):
    order = pdd_support.pdd_order("261204-300000000000001", T0, encrypted=True) | {"after_sales_status": 0}
    pdd_support.load(pdd_sim, [pdd_at(order, 0, refund_status=2, after_sales_status=2)])
    held = pulled(pdd_shop, pdd_adapter, "261204-300000000000001")
    assert held.status == OrderStatus.EXCEPTION and "SN-001" in held.events[-1].reason
    assert "（2）" in held.events[-1].reason

    pdd_support.load(pdd_sim, [pdd_at(order, 1, refund_status=1, after_sales_status=11)])
    assert pulled(pdd_shop, pdd_adapter, "261204-300000000000001").status == OrderStatus.PAID


def test_pdd_after_sales_request_after_shipping_is_raised(world, pdd_shop, pdd_sim, pdd_adapter):
    order = pdd_support.pdd_order("261204-300000000000002", T0, encrypted=True) | {"after_sales_status": 0}
    pdd_support.load(pdd_sim, [order])
    ours = pulled(pdd_shop, pdd_adapter, "261204-300000000000002")
    services.approve(ours, "user:test")
    services.pack(ours, "user:test")
    shipments.ship_order(ours, db.session.scalar(select(Carrier).where(Carrier.code == "yuantong")), "YT9002",
                         "user:test")
    db.session.commit()

    pdd_support.load(pdd_sim, [pdd_at(order, 1, order_status=2, tracking_number="YT9002", logistics_id=85,
                                      refund_status=2, after_sales_status=3)])
    ours = pulled(pdd_shop, pdd_adapter, "261204-300000000000002")
    assert ours.status == OrderStatus.EXCEPTION and "SN-001" in ours.events[-1].reason


def test_pdd_group_not_formed_and_ship_hold_keep_the_order_from_the_warehouse(world, pdd_shop, pdd_sim,
                                                                              pdd_adapter):
    order = pdd_support.pdd_order("261204-300000000000003", T0, encrypted=True)
    pdd_support.load(pdd_sim, [pdd_at(order, 0, group_status=0)])
    held = pulled(pdd_shop, pdd_adapter, "261204-300000000000003")
    assert held.status == OrderStatus.EXCEPTION and "group_status=0" in held.events[-1].reason
    assert locked(world, "SN-001") == 2  # paid: the stock stays locked for it

    pdd_support.load(pdd_sim, [pdd_at(order, 1, group_status=1,
                                      order_tag_list=[{"name": "ship_hold", "value": 1},
                                                      {"name": "same_city_distribution", "value": 0}])])
    held = pulled(pdd_shop, pdd_adapter, "261204-300000000000003")
    assert held.status == OrderStatus.EXCEPTION

    pdd_support.load(pdd_sim, [pdd_at(order, 2, group_status=1, order_tag_list=[{"name": "ship_hold", "value": 0}])])
    released = pulled(pdd_shop, pdd_adapter, "261204-300000000000003")
    assert released.status == OrderStatus.PAID
    reasons = [event.reason for event in db.session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == released.id).order_by(OrderEvent.id))]
    assert any("ship_hold" not in reason and "group_status=0" in reason for reason in reasons)


def test_taobao_paid_but_forbidden_to_ship_is_held_until_the_platform_allows(world, taobao_sim, taobao_adapter):
    trade = taobao_trade("83101", "PAID_FORBID_CONSIGN", TAOBAO_T0)
    load_trade(taobao_sim, trade)
    assert pull_order(world.taobao, taobao_adapter, "83101").status == OrderStatus.EXCEPTION

    load_trade(taobao_sim, dict(trade, status="WAIT_SELLER_SEND_GOODS", modified=gmt8(TAOBAO_T0 + timedelta(minutes=1))))
    assert pull_order(world.taobao, taobao_adapter, "83101").status == OrderStatus.PAID
