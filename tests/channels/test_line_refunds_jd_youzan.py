"""Refunds asked, granted and withdrawn on JD and Youzan, in each platform's own shape, through the
simulators and the pull. JD: an application on the whole order before shipping (the order LOCKED, the
applications read by refundapply.queryPageList), granted by cancelling the order. Youzan: a
``refund_order`` entry beside the trade naming one line's oid, with its refund_state and refund_fee."""

import json
from datetime import timedelta

import requests
from sqlalchemy import select

from app.db import utcnow
from app.domain.channels import mapping, sync
from app.domain.channels.adapters.youzan import DEFAULT_MAPPING as YOUZAN_MAPPING
from app.domain.channels.models import ChannelOrder, RawPayload, RunStatus
from app.domain.inventory.models import StockLevel
from app.domain.orders.states import OrderStatus
from app.extensions import db
from app.simulators.shop_platform import GMT8
from tests.channels.builders import jd_order, youzan_order

T0 = utcnow().replace(microsecond=0) - timedelta(minutes=30)
TWO_LINES = (("SN-001", 1, "99.90"), ("HH-010", 2, "49.90"))


def at(minutes: int):
    return (T0 + timedelta(minutes=minutes)).astimezone(GMT8)


def load(sim, orders: list[dict]) -> None:
    assert requests.post(f"{sim.url}/_sim/orders", json=orders, timeout=5).ok


def pulled(channel, adapter, external_id: str):
    report = sync.pull(channel, adapter, checkpoint=db.session.commit, now=utcnow(), since=T0 - timedelta(minutes=5))
    assert report.status == RunStatus.SUCCEEDED, report.errors
    link = db.session.scalar(select(ChannelOrder).where(ChannelOrder.channel_id == channel.id,
                                                        ChannelOrder.external_id == external_id))
    db.session.refresh(link.order)
    return link.order


def locked(world, code: str) -> int:
    return db.session.scalar(select(StockLevel.locked).where(StockLevel.sku_id == world.skus[code].id))


def test_jd_refund_application_holds_the_order_with_jds_status_and_its_grant_refunds_it(world, jd_sim, jd_adapter):
    load(jd_sim, [jd_order("3200001", "WAIT_SELLER_STOCK_OUT", T0, items=TWO_LINES)])
    assert pulled(world.jd, jd_adapter, "3200001").status == OrderStatus.PAID
    simulator = jd_sim.simulator
    served = simulator.state.orders["3200001"]

    simulator.request_refund(served, at(1))
    held = pulled(world.jd, jd_adapter, "3200001")
    assert held.status == OrderStatus.EXCEPTION
    assert "SN-001" in held.events[-1].reason and "HH-010" in held.events[-1].reason
    assert "（0）" in held.events[-1].reason  # JD's own status: 未审核
    payload = db.session.get(RawPayload, db.session.scalar(
        select(ChannelOrder.last_payload_id).where(ChannelOrder.external_id == "3200001")))
    assert payload.payload["refundApply"][-1]["status"] == "0"  # kept as JD answered it
    assert locked(world, "HH-010") == 2

    simulator.settle_refund(served, granted=True, now=at(2))
    refunded = pulled(world.jd, jd_adapter, "3200001")
    assert refunded.status == OrderStatus.REFUNDED and refunded.refunded_fen == refunded.paid_fen == 19970
    assert locked(world, "HH-010") == 0 and locked(world, "SN-001") == 0


def test_jd_withdrawn_refund_application_releases_the_order(world, jd_sim, jd_adapter):
    load(jd_sim, [jd_order("3200002", "WAIT_SELLER_STOCK_OUT", T0, items=TWO_LINES)])
    simulator = jd_sim.simulator
    served = simulator.state.orders["3200002"]
    simulator.request_refund(served, at(1))
    assert pulled(world.jd, jd_adapter, "3200002").status == OrderStatus.EXCEPTION

    simulator.settle_refund(served, granted=False, now=at(2))
    assert simulator.refund_applications["3200002"][-1]["status"] == "11"  # 用户撤销
    order = pulled(world.jd, jd_adapter, "3200002")
    assert order.status == OrderStatus.PAID and order.refunded_fen == 0 and locked(world, "HH-010") == 2


def test_youzan_line_refund_requested_holds_then_granted_refunds_that_line(world, yz_shop, youzan_sim, yz_adapter):
    load(youzan_sim, [youzan_order("E20261205000000000000001", "WAIT_SELLER_SEND_GOODS", T0, lines=TWO_LINES)])
    assert pulled(yz_shop, yz_adapter, "E20261205000000000000001").status == OrderStatus.PAID
    simulator = youzan_sim.simulator
    info = simulator.state.orders["E20261205000000000000001"]
    line = info["orders"][1]

    refund = simulator.request_line_refund(info, at(1), line=line)
    assert refund["refund_state"] == 1 and refund["oids"] == [{"oid": line["oid"]}] and refund["refund_fee"] == 9980
    held = pulled(yz_shop, yz_adapter, "E20261205000000000000001")
    assert held.status == OrderStatus.EXCEPTION
    assert "HH-010" in held.events[-1].reason and "SN-001" not in held.events[-1].reason
    assert "（1）" in held.events[-1].reason

    refund["refund_fee"] = 9000  # the seller agreed to give back part of it
    simulator.settle_line_refund(info, refund, granted=True, now=at(2))
    order = pulled(yz_shop, yz_adapter, "E20261205000000000000001")
    assert order.status == OrderStatus.PAID and order.refunded_fen == 9000
    line = next(line for line in order.lines if line.sku.code == "HH-010")
    assert line.refunded_quantity == 2 and locked(world, "HH-010") == 0 and locked(world, "SN-001") == 1
    assert [each["topic"] for each in _pushed(simulator)][-2:] == ["trade_refund_RefundCreated",
                                                                    "trade_refund_RefundSuccess"]


def test_youzan_withdrawn_line_refund_releases_the_hold(world, yz_shop, youzan_sim, yz_adapter):
    load(youzan_sim, [youzan_order("E20261205000000000000002", "WAIT_SELLER_SEND_GOODS", T0, lines=TWO_LINES)])
    simulator = youzan_sim.simulator
    info = simulator.state.orders["E20261205000000000000002"]
    refund = simulator.request_line_refund(info, at(1), line=info["orders"][0])
    assert pulled(yz_shop, yz_adapter, "E20261205000000000000002").status == OrderStatus.EXCEPTION

    simulator.settle_line_refund(info, refund, granted=False, now=at(2))
    order = pulled(yz_shop, yz_adapter, "E20261205000000000000002")
    assert order.status == OrderStatus.PAID and order.refunded_fen == 0 and locked(world, "SN-001") == 1


def test_youzan_refund_order_is_read_per_oid_and_an_amount_over_several_lines_is_no_lines_amount():
    info = youzan_order("E1", "WAIT_SELLER_SEND_GOODS", T0, lines=TWO_LINES, stored=True)
    info["refund_order"] = [
        {"refund_id": "r1", "refund_state": 50, "refund_fee": 100, "oids": [{"oid": "E1-0"}]},
        {"refund_id": "r2", "refund_state": 60, "refund_fee": 19970, "oids": [{"oid": "E1-0"}, {"oid": "E1-1"}]},
    ]
    view = mapping.apply(YOUZAN_MAPPING, info)
    assert [(line.refund, line.refund_status, line.refund_fen) for line in view.lines] == [
        ("granted", "60", None), ("granted", "60", None)]  # the latest entry; its fee covers two lines

    info["refund_order"] = [{"refund_id": "r3", "refund_state": 1, "refund_fee": 4990, "oids": [{"oid": "E1-1"}]}]
    view = mapping.apply(YOUZAN_MAPPING, info)
    assert [(line.refund, line.refund_fen) for line in view.lines] == [("none", None), ("requested", 4990)]


def _pushed(simulator) -> list[dict]:
    return [{"topic": json.loads(each["body"])["type"]} for each in simulator.outbox]


def test_the_jd_demo_stream_asks_for_refunds_and_jd_grants_or_the_buyer_withdraws(jd_sim):
    simulator, seen = jd_sim.simulator, set()
    for _attempt in range(400):
        order = simulator.new_order("小满生活京东旗舰店", at(0))
        if simulator.advance(order["orderId"], at(2)) and order["orderState"] == "LOCKED":
            assert simulator.pending_refund(order["orderId"])["applyRefundSum"] == order["orderPayment"]
            assert simulator.advance(order["orderId"], at(3))
            status = simulator.refund_applications[order["orderId"]][-1]["status"]
            seen.add((status, order["orderState"]))
        if len(seen) == 2:
            break
    assert seen == {("1", "TRADE_CANCELED"), ("11", "WAIT_SELLER_STOCK_OUT")}


def test_the_youzan_demo_stream_asks_for_a_line_refund_then_settles_it(youzan_sim):
    simulator, seen = youzan_sim.simulator, set()
    for _attempt in range(400):
        info = simulator.new_order("小满生活有赞微商城", at(0))
        tid = info["order_info"]["tid"]
        if info["order_info"]["status"] != "WAIT_SELLER_SEND_GOODS" or len(info["orders"]) < 2:
            continue
        if simulator.advance(tid, at(2)) and simulator.pending_refund(tid):
            refund = simulator.pending_refund(tid)
            assert simulator.advance(tid, at(3))
            seen.add(refund["refund_state"])
            assert simulator.answer(tid)["refund_order"][-1]["refund_state"] == refund["refund_state"]
        if len(seen) == 2:
            break
    assert seen == {50, 60}
    topics = {json.loads(each["body"])["type"] for each in simulator.outbox}
    assert {"trade_refund_RefundCreated", "trade_refund_RefundSuccess", "trade_refund_RefundClosed"} <= topics
