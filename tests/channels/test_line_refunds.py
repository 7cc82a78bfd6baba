"""Per-line after-sales from Taobao's sub-order refund_status, through the simulator and the pull: a
request holds the order before shipping, a grant refunds that line (its stock released, its amount
recorded), a withdrawn request releases the hold, and after shipping a request is raised."""

from datetime import timedelta

from sqlalchemy import select

from app.db import utcnow
from app.domain.channels import sync
from app.domain.inventory.models import StockLevel
from app.domain.logistics import shipments
from app.domain.orders import services
from app.domain.orders.models import OrderEvent
from app.domain.orders.states import OrderStatus
from app.domain.reference.models import Carrier
from app.extensions import db
from tests.channels.builders import gmt8, taobao_trade
from tests.channels.pulls import T0, load_trade, pull_order


def with_line_refund(trade: dict, minutes: int, status: str, line: int = 1, **line_fields) -> dict:
    changed = dict(trade, modified=gmt8(T0 + timedelta(minutes=minutes)))
    lines = [dict(each) for each in trade["orders"]["order"]]
    lines[line] |= {"refund_status": status, **line_fields}
    changed["orders"] = {"order": lines}
    return changed


def locked(world, code: str) -> int:
    return db.session.scalar(select(StockLevel.locked).where(StockLevel.sku_id == world.skus[code].id))


TWO_LINES = (("SN-001", 1, "99.90"), ("HH-010", 2, "49.90"))


def test_a_line_refund_requested_holds_then_granted_refunds_that_line(world, taobao_sim, taobao_adapter):
    trade = taobao_trade("83001", "WAIT_SELLER_SEND_GOODS", T0, lines=TWO_LINES)
    load_trade(taobao_sim, trade)
    assert pull_order(world.taobao, taobao_adapter, "83001").status == OrderStatus.PAID
    assert locked(world, "HH-010") == 2

    load_trade(taobao_sim, with_line_refund(trade, 1, "WAIT_SELLER_AGREE"))
    order = pull_order(world.taobao, taobao_adapter, "83001")
    assert order.status == OrderStatus.EXCEPTION
    assert "HH-010" in order.events[-1].reason and "WAIT_SELLER_AGREE" in order.events[-1].reason

    load_trade(taobao_sim, with_line_refund(trade, 2, "SUCCESS", divide_order_fee="99.80"))
    order = pull_order(world.taobao, taobao_adapter, "83001")
    assert order.status == OrderStatus.PAID and order.refunded_fen == 9980
    line = next(line for line in order.lines if line.sku.code == "HH-010")
    assert line.refunded_quantity == 2 and locked(world, "HH-010") == 0 and locked(world, "SN-001") == 1
    refund_event = db.session.scalar(select(OrderEvent).where(OrderEvent.order_id == order.id,
                                                              OrderEvent.action == "partial_refund"))
    assert refund_event.details["amount_fen"] == 9980 and refund_event.details["lines"] == [{"sku": "HH-010", "qty": 2}]

    load_trade(taobao_sim, with_line_refund(trade, 3, "SUCCESS", divide_order_fee="99.80", buyer_message="再拉一次"))
    assert pull_order(world.taobao, taobao_adapter, "83001").refunded_fen == 9980  # never twice


def test_a_withdrawn_request_releases_the_hold_and_a_refund_above_the_paid_amount_changes_nothing(
        world, taobao_sim, taobao_adapter):
    trade = taobao_trade("83002", "WAIT_SELLER_SEND_GOODS", T0, lines=TWO_LINES)
    load_trade(taobao_sim, with_line_refund(trade, 0, "WAIT_SELLER_AGREE"))
    assert pull_order(world.taobao, taobao_adapter, "83002").status == OrderStatus.EXCEPTION

    load_trade(taobao_sim, with_line_refund(trade, 1, "CLOSED"))
    assert pull_order(world.taobao, taobao_adapter, "83002").status == OrderStatus.PAID

    sync.pull(world.taobao, taobao_adapter, checkpoint=db.session.commit, now=utcnow())
    load_trade(taobao_sim, with_line_refund(trade, 2, "SUCCESS", divide_order_fee="999.00"))
    order = pull_order(world.taobao, taobao_adapter, "83002")
    assert order.refunded_fen == 0 and order.status == OrderStatus.PAID and locked(world, "HH-010") == 2


def test_a_line_refund_requested_after_shipping_is_raised(world, taobao_sim, taobao_adapter):
    trade = taobao_trade("83003", "WAIT_SELLER_SEND_GOODS", T0, lines=TWO_LINES)
    load_trade(taobao_sim, trade)
    order = pull_order(world.taobao, taobao_adapter, "83003")
    services.approve(order, "user:test")
    services.pack(order, "user:test")
    shipments.ship_order(order, db.session.scalar(select(Carrier).where(Carrier.code == "shunfeng")), "SF301",
                         "user:test")
    db.session.commit()

    load_trade(taobao_sim, with_line_refund(dict(trade, status="WAIT_BUYER_CONFIRM_GOODS"), 1, "WAIT_SELLER_AGREE",
                                      invoice_no="SF301", logistics_company="顺丰速运"))
    order = pull_order(world.taobao, taobao_adapter, "83003")

    assert order.status == OrderStatus.EXCEPTION and "HH-010" in order.events[-1].reason
