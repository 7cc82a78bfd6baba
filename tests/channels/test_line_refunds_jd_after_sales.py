"""JD after-sales after shipping, per SKU, in JD's own shape, through the simulator over HTTP and the
pull: a service order (售后服务单) opened on one SKU of a shipped order is read by jingdong.asc.query.list,
its refund by jingdong.asc.serviceAndRefund.view. Requested → after-sales (completed order) or an
exception (parcel on its way) naming the SKU and JD's status; completed with a refund → that line
refunded with JD's amount; cancelled → what the request opened ends. A service leaves the order's
modified time alone, so the pull finds it by the services updated in its window."""

from datetime import timedelta

import requests
from sqlalchemy import select

from app.db import utcnow
from app.domain.channels import mapping, sync
from app.domain.channels.adapters.jd import DEFAULT_MAPPING as JD_MAPPING
from app.domain.channels.models import ChannelOrder, PayloadStatus, RawPayload, RunStatus
from app.domain.orders.models import OrderEvent
from app.domain.orders.states import OrderStatus
from app.extensions import db
from tests.channels.builders import jd_order
from tests.channels.test_line_refunds_jd_youzan import T0, TWO_LINES, at, load

SKU_SN, SKU_HH = "700000000000", "700000000001"  # the builder's JD skuIds of SN-001 and HH-010


def pulled(channel, adapter, external_id: str, since=T0 - timedelta(minutes=5)):
    report = sync.pull(channel, adapter, checkpoint=db.session.commit, now=utcnow(), since=since)
    assert report.status == RunStatus.SUCCEEDED, report.errors
    link = _link(external_id)
    db.session.refresh(link.order)
    return link.order


def _link(external_id: str) -> ChannelOrder:
    return db.session.scalar(select(ChannelOrder).where(ChannelOrder.external_id == external_id))


def after_sales(sim, action: str, order_id: str, **fields) -> dict:
    answer = requests.post(f"{sim.url}/_sim/after_sales", json={"action": action, "orderId": order_id, **fields},
                           timeout=5)
    assert answer.ok, answer.text
    return answer.json()


def latest_payload(external_id: str) -> RawPayload:
    return db.session.scalar(select(RawPayload).where(RawPayload.external_id == external_id)
                             .order_by(RawPayload.id.desc()).limit(1))


def shipped(order_id: str) -> dict:
    return jd_order(order_id, "WAIT_GOODS_RECEIVE_CONFIRM", T0, items=TWO_LINES, waybill="SF3300" + order_id[-2:])


def test_a_service_on_a_parcel_on_its_way_raises_it_and_its_refund_refunds_that_line(world, jd_sim, jd_adapter):
    load(jd_sim, [shipped("3300001")])
    assert pulled(world.jd, jd_adapter, "3300001").status == OrderStatus.SHIPPED_OUT

    service = after_sales(jd_sim, "open", "3300001", skuId=SKU_HH)
    assert service["serviceStatus"] == 10001 and service["serviceCount"] == 2
    assert jd_sim.simulator.state.orders["3300001"]["modified"] == at(0).strftime("%Y-%m-%d %H:%M:%S")
    raised = pulled(world.jd, jd_adapter, "3300001")
    assert raised.status == OrderStatus.EXCEPTION
    assert "HH-010" in raised.events[-1].reason and "SN-001" not in raised.events[-1].reason
    assert "（10001）" in raised.events[-1].reason  # JD's own status: 待审核
    kept = latest_payload("3300001").payload["ascServices"]
    assert [(each["serviceId"], each["skuId"]) for each in kept] == [(service["serviceId"], SKU_HH)]

    after_sales(jd_sim, "complete", "3300001", refoundAmount="90.00")  # part of the 99.80 paid for the line
    order = pulled(world.jd, jd_adapter, "3300001")
    assert order.refunded_fen == 9000 and order.status == OrderStatus.SHIPPED_OUT  # back where the parcel was
    line = next(line for line in order.lines if line.sku.code == "HH-010")
    assert line.refunded_quantity == 2
    assert latest_payload("3300001").payload["ascServices"][-1]["refund"]["status"] == 13
    refund_event = db.session.scalar(select(OrderEvent).where(OrderEvent.order_id == order.id,
                                                              OrderEvent.action == "partial_refund"))
    assert refund_event.details["amount_fen"] == 9000 and refund_event.details["restock"] is False
    assert "13" in refund_event.reason

    assert pulled(world.jd, jd_adapter, "3300001").refunded_fen == 9000  # never twice


def test_a_service_on_a_completed_order_opens_after_sales_and_its_cancellation_closes_it(world, jd_sim, jd_adapter):
    load(jd_sim, [jd_order("3300002", "FINISHED_L", T0, items=TWO_LINES, waybill="SF330002")])
    assert pulled(world.jd, jd_adapter, "3300002").status == OrderStatus.COMPLETED

    service = after_sales(jd_sim, "open", "3300002", skuId=SKU_SN)
    order = pulled(world.jd, jd_adapter, "3300002")
    assert order.status == OrderStatus.AFTER_SALES
    assert "SN-001" in order.events[-1].reason and "（10001）" in order.events[-1].reason

    after_sales(jd_sim, "cancel", "3300002", serviceId=service["serviceId"])
    assert jd_sim.simulator.services["3300002"][-1]["serviceStatus"] == 10011  # 取消
    order = pulled(world.jd, jd_adapter, "3300002")
    assert order.status == OrderStatus.COMPLETED and order.refunded_fen == 0
    assert not _link("3300002").held_by_platform


def test_the_pull_finds_a_new_service_on_an_order_outside_its_window(world, jd_sim, jd_adapter):
    load(jd_sim, [jd_order("3300003", "FINISHED_L", T0, items=TWO_LINES, waybill="SF330003")])
    assert pulled(world.jd, jd_adapter, "3300003").status == OrderStatus.COMPLETED

    after_sales(jd_sim, "open", "3300003", skuId=SKU_HH)
    calls = jd_sim.simulator.state.counters.copy()
    order = pulled(world.jd, jd_adapter, "3300003", since=utcnow() - timedelta(minutes=2))  # T0 is not in it
    assert order.status == OrderStatus.AFTER_SALES and "HH-010" in order.events[-1].reason
    counters = jd_sim.simulator.state.counters
    assert counters["jingdong.pop.order.enGet"] == calls["jingdong.pop.order.enGet"] + 1  # read again for it


def test_an_order_with_no_service_is_unchanged(world, jd_sim, jd_adapter):
    load(jd_sim, [jd_order("3300004", "FINISHED_L", T0, items=TWO_LINES, waybill="SF330004")])
    order = pulled(world.jd, jd_adapter, "3300004")
    events = len(order.events)
    order = pulled(world.jd, jd_adapter, "3300004")
    assert order.status == OrderStatus.COMPLETED and order.refunded_fen == 0 and len(order.events) == events
    assert "ascServices" not in latest_payload("3300004").payload
    assert jd_sim.simulator.state.counters["jingdong.asc.serviceAndRefund.view"] == 0  # no service, no refund call


def test_a_service_on_a_sku_the_order_does_not_have_is_an_error_naming_it(world, jd_sim, jd_adapter):
    load(jd_sim, [jd_order("3300005", "FINISHED_L", T0, items=TWO_LINES, waybill="SF330005")])
    assert pulled(world.jd, jd_adapter, "3300005").status == OrderStatus.COMPLETED
    simulator = jd_sim.simulator
    service = simulator.open_service(simulator.state.orders["3300005"], SKU_HH, at(1))
    service["skuId"] = "799999999999"  # JD names a SKU this order never had

    order = pulled(world.jd, jd_adapter, "3300005")
    assert order.status == OrderStatus.COMPLETED and order.refunded_fen == 0
    payload = latest_payload("3300005")
    assert payload.status == PayloadStatus.ERROR and "799999999999" in payload.reason


def test_the_jd_simulator_refuses_a_service_before_shipping_or_on_another_sku(jd_sim):
    load(jd_sim, [jd_order("3300006", "WAIT_SELLER_STOCK_OUT", T0, items=TWO_LINES)])
    answer = requests.post(f"{jd_sim.url}/_sim/after_sales", json={"action": "open", "orderId": "3300006",
                                                                   "skuId": SKU_SN}, timeout=5)
    assert answer.status_code == 400 and "不能申请售后" in answer.json()["error"]
    jd_sim.simulator.state.orders["3300006"]["orderState"] = "FINISHED_L"
    answer = requests.post(f"{jd_sim.url}/_sim/after_sales", json={"action": "open", "orderId": "3300006",
                                                                   "skuId": "1"}, timeout=5)
    assert answer.status_code == 400 and "1" in answer.json()["error"]


def test_the_jd_demo_stream_opens_services_on_shipped_orders_then_completes_or_cancels_them(jd_sim):
    simulator, seen = jd_sim.simulator, set()
    for _attempt in range(400):
        order = simulator.new_order("小满生活京东旗舰店", at(0))
        simulator._set(order, "FINISHED_L", at(0))
        if simulator.advance(order["orderId"], at(2)) and simulator.open_service_of(order["orderId"]):
            assert simulator.advance(order["orderId"], at(3))
            service = simulator.services[order["orderId"]][-1]
            refunds = simulator.service_refunds.get(order["orderId"]) or []
            seen.add((service["serviceStatus"], len(refunds)))
            assert order["orderState"] == "FINISHED_L"  # the order itself never changes for it
        if len(seen) == 2:
            break
    assert seen == {(10010, 1), (10011, 0)}


def test_each_line_reads_its_latest_service_and_a_finished_refund_before_the_service_status():
    info = jd_order("3300007", "FINISHED_L", T0, items=TWO_LINES, waybill="SF330007")
    info["ascServices"] = [
        {"serviceId": "1", "skuId": SKU_SN, "serviceStatus": 10011},
        {"serviceId": "2", "skuId": SKU_SN, "serviceStatus": 10010,
         "refund": {"status": 13, "refoundAmount": "88.80", "sameOrderServiceBill": {"serviceId": "2"}}},
        {"serviceId": "3", "skuId": SKU_HH, "serviceStatus": 10010},  # an exchange done: nothing refunded
    ]
    view = mapping.apply(JD_MAPPING, info)
    assert [(line.refund, line.refund_status, line.refund_fen) for line in view.lines] == [
        ("granted", "13", 8880), ("none", "10010", None)]

    info["ascServices"][-1] |= {"serviceStatus": 10007, "refund": {"status": 14, "refoundAmount": "99.80"}}
    assert [line.refund for line in mapping.apply(JD_MAPPING, info).lines] == ["granted", "requested"]
