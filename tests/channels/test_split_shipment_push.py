"""An order shipped as several parcels is told to its platform parcel by parcel, each with the platform's
own split-shipment mechanism, over HTTP to the platform's simulator; the platform's order then shows
every waybill with the goods it carries. A retry after a refusal resends only what the platform has not
acknowledged."""

from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from app.db import utcnow
from app.domain.channels import normalise, payloads, push, sync
from app.domain.channels.adapters.base import ShippedParcel, sub_order_groups
from app.domain.channels.models import ChannelOrder, PayloadSource, PushStatus
from app.domain.logistics.models import Shipment, ShipmentLine
from app.domain.orders import services
from app.domain.orders.models import Order
from app.domain.reference.models import Carrier
from app.domain.workbench import edits
from app.extensions import db
from tests.channels import douyin_support, pdd_support
from tests.channels.builders import jd_order, taobao_trade, youzan_order

douyin_shop, douyin_sim, douyin_adapter = douyin_support.douyin_shop, douyin_support.douyin_sim, douyin_support.douyin_adapter
pdd_shop, pdd_sim, pdd_adapter = pdd_support.pdd_shop, pdd_support.pdd_sim, pdd_support.pdd_adapter

ACTOR = "user:cangku"


def state(sim) -> dict:
    return requests.get(f"{sim.url}/_sim/state", timeout=5).json()


def refuse(sim, waybill: str) -> None:
    assert requests.post(f"{sim.url}/_sim/config", json={"refuse_waybill": waybill}, timeout=5).ok


def carrier(code: str) -> Carrier:
    return db.session.scalar(select(Carrier).where(Carrier.code == code))


def ship_in_two(order: Order, first: tuple[str, str], second: tuple[str, str]) -> None:
    """Approve, pack and ship the order as two parcels: its second sold line in the second parcel."""
    services.approve(order, ACTOR)
    services.pack(order, ACTOR)
    line = sorted((line for line in order.lines if not line.is_component), key=lambda line: line.id)[1]
    edits.ship_in_two(order, (carrier(first[0]), first[1]), (carrier(second[0]), second[1]),
                      {line.id: line.quantity}, ACTOR)


def ship_whole(order: Order, code: str, waybill_no: str) -> None:
    services.approve(order, ACTOR)
    services.pack(order, ACTOR)
    services.ship_out(order, carrier(code), waybill_no, ACTOR)


def pushed(order: Order, adapter):
    return push.push_shipment(order, adapter, utcnow(), checkpoint=db.session.commit)


def parcels(record) -> list[tuple]:
    return [(parcel["waybill_no"], parcel["lines"], parcel["acknowledged"]) for parcel in record.sent["parcels"]]


def the_order(external_id: str) -> Order:
    return db.session.scalar(select(Order).where(Order.external_id == external_id))


# ---- Taobao: taobao.logistics.offline.send with is_split + sub_tid, one call per parcel ----------------------

TWO_LINES_TB = (("SN-001", 2, "99.90"), ("BT-002", 1, "59.00"))


def taobao_paid(world, sim, adapter, tid: str) -> Order:
    body = {"trades_sold_increment_get_response": {"trades": {"trade": [
        taobao_trade(tid, "WAIT_SELLER_SEND_GOODS", utcnow() - timedelta(minutes=2), lines=TWO_LINES_TB,
                     masked=False)]}}}
    assert requests.post(f"{sim.url}/_sim/orders", json=body, timeout=5).ok
    sync.pull(world.taobao, adapter, checkpoint=db.session.commit)
    return the_order(tid)


def test_taobao_is_told_each_parcel_with_the_sub_orders_it_carries(world, taobao_sim, taobao_adapter):
    order = taobao_paid(world, taobao_sim, taobao_adapter, "9201")
    ship_in_two(order, ("shunfeng", "SF9201"), ("zhongtong", "ZT9202"))

    record = pushed(order, taobao_adapter)

    assert record.status == PushStatus.ACKNOWLEDGED
    assert parcels(record) == [("SF9201", [["92010", 2]], True), ("ZT9202", [["92011", 1]], True)]
    sim = state(taobao_sim)
    assert [(p["out_sid"], p["company_code"], p["is_split"], p["sub_tid"]) for p in sim["shipments"]["9201"]["parcels"]] \
        == [("SF9201", "SF", True, ["92010"]), ("ZT9202", "ZTO", True, ["92011"])]
    assert sim["counters"]["taobao.logistics.offline.send"] == 2
    trade = taobao_adapter.fetch_order("9201").payload
    assert trade["status"] == "WAIT_BUYER_CONFIRM_GOODS"
    assert [(line["oid"], line["invoice_no"], line["logistics_company"]) for line in trade["orders"]["order"]] == [
        (92010, "SF9201", "顺丰速运"), (92011, "ZT9202", "中通快递")]


def test_taobao_order_in_one_parcel_keeps_the_single_call_without_split(world, taobao_sim, taobao_adapter):
    order = taobao_paid(world, taobao_sim, taobao_adapter, "9202")
    ship_whole(order, "shunfeng", "SF9210")

    record = pushed(order, taobao_adapter)

    assert record.status == PushStatus.ACKNOWLEDGED
    assert parcels(record) == [("SF9210", [["92020", 2], ["92021", 1]], True)]
    [parcel] = state(taobao_sim)["shipments"]["9202"]["parcels"]
    assert (parcel["out_sid"], parcel["is_split"], parcel["sub_tid"]) == ("SF9210", False, ["92020", "92021"])


def test_taobao_retry_after_the_second_parcel_was_refused_does_not_resend_the_first(world, taobao_sim, taobao_adapter):
    order = taobao_paid(world, taobao_sim, taobao_adapter, "9203")
    ship_in_two(order, ("shunfeng", "SF9301"), ("zhongtong", "ZT9302"))
    refuse(taobao_sim, "ZT9302")

    record = pushed(order, taobao_adapter)

    assert record.status == PushStatus.PARTIAL and "ZT9302" in record.answer
    assert [acknowledged for *_, acknowledged in parcels(record)] == [True, False]
    assert taobao_adapter.fetch_order("9203").payload["status"] == "SELLER_CONSIGNED_PART"
    assert push.shipments_to_push() == [order.id]
    sync.pull(world.taobao, taobao_adapter, checkpoint=db.session.commit)  # partly shipped: still "paid" there

    again = pushed(order, taobao_adapter)

    assert (again.status, again.attempts) == (PushStatus.ACKNOWLEDGED, 2)
    sim = state(taobao_sim)
    assert sim["counters"]["taobao.logistics.offline.send"] == 3  # SF9301 once, ZT9302 refused then sent
    assert [p["out_sid"] for p in sim["shipments"]["9203"]["parcels"]] == ["SF9301", "ZT9302"]
    assert push.shipments_to_push() == []


def test_a_bundle_split_across_parcels_is_named_whole_by_the_first_that_carries_part_of_it(
        world, taobao_sim, taobao_adapter):
    """Routing may send a bundle's components from two warehouses; the platform sold the bundle as one
    sub-order, so the first parcel names it and the other, naming nothing new, goes with that call."""
    body = {"trades_sold_increment_get_response": {"trades": {"trade": [
        taobao_trade("9204", "WAIT_SELLER_SEND_GOODS", utcnow() - timedelta(minutes=2),
                     lines=(("SN-001", 2, "99.90"), ("KIT-T1", 1, "139.00")), masked=False)]}}}
    assert requests.post(f"{taobao_sim.url}/_sim/orders", json=body, timeout=5).ok
    sync.pull(world.taobao, taobao_adapter, checkpoint=db.session.commit)
    order = the_order("9204")
    ship_whole(order, "shunfeng", "SF9220")
    plain, kit = sorted((line for line in order.lines if not line.is_component), key=lambda line: line.id)
    sn, hh = sorted((line for line in order.lines if line.parent_line_id == kit.id), key=lambda line: line.sku.code)
    for code, waybill_no, lines in (("shunfeng", "SF9220", {plain.id: 2, hh.id: hh.quantity}),
                                    ("zhongtong", "ZT9221", {sn.id: sn.quantity})):
        db.session.add(Shipment(order=order, carrier_id=carrier(code).id, waybill_no=waybill_no, lines=[
            ShipmentLine(order_line_id=line_id, quantity=quantity) for line_id, quantity in lines.items()]))
    db.session.flush()

    record = pushed(order, taobao_adapter)

    assert record.status == PushStatus.ACKNOWLEDGED
    assert parcels(record) == [("SF9220", [["92040", 2], ["92041", 1]], True), ("ZT9221", [], True)]
    [parcel] = state(taobao_sim)["shipments"]["9204"]["parcels"]  # nothing left to split: the whole trade
    assert (parcel["out_sid"], parcel["is_split"]) == ("SF9220", False)


# ---- Douyin: order.logisticsAddMultiPack, one call for every pack --------------------------------------------

TWO_LINES_DY = (("SN-001", 2, 9990), ("BT-002", 1, 5900))


def douyin_paid(shop, sim, adapter, order_id: str) -> Order:
    douyin_support.load(sim, [douyin_support.douyin_order(order_id, 2, utcnow() - timedelta(minutes=2),
                                                          lines=TWO_LINES_DY)])
    sync.pull(shop, adapter, checkpoint=db.session.commit)
    return the_order(order_id)


def test_douyin_is_told_every_pack_in_one_multi_pack_call(douyin_shop, douyin_sim, douyin_adapter):
    order = douyin_paid(douyin_shop, douyin_sim, douyin_adapter, "6900000000000009201")
    ship_in_two(order, ("shunfeng", "SF9401"), ("zhongtong", "ZT9402"))

    record = pushed(order, douyin_adapter)

    assert record.status == PushStatus.ACKNOWLEDGED
    assert parcels(record) == [("SF9401", [["69000000000000092010", 2]], True),
                               ("ZT9402", [["69000000000000092011", 1]], True)]
    sim = state(douyin_sim)
    assert sim["counters"]["order.logisticsAddMultiPack"] == 1 and "order.logisticsAdd" not in sim["counters"]
    assert sim["shipments"]["6900000000000009201"]["packs"] == [
        {"company_code": "shunfeng", "logistics_code": "SF9401",
         "shipped_order_info": [{"shipped_order_id": "69000000000000092010", "shipped_num": 2}]},
        {"company_code": "zhongtong", "logistics_code": "ZT9402",
         "shipped_order_info": [{"shipped_order_id": "69000000000000092011", "shipped_num": 1}]}]
    detail = douyin_adapter.fetch_order("6900000000000009201").payload
    assert detail["order_status"] == 3
    assert [(pack["tracking_no"], [(item["sku_order_id"], item["product_count"]) for item in pack["product_info"]])
            for pack in detail["logistics_info"]] == [("SF9401", [("69000000000000092010", 2)]),
                                                      ("ZT9402", [("69000000000000092011", 1)])]


def test_douyin_order_in_one_parcel_keeps_logistics_add(douyin_shop, douyin_sim, douyin_adapter):
    order = douyin_paid(douyin_shop, douyin_sim, douyin_adapter, "6900000000000009202")
    ship_whole(order, "shunfeng", "SF9410")

    assert pushed(order, douyin_adapter).status == PushStatus.ACKNOWLEDGED
    sim = state(douyin_sim)
    assert sim["counters"]["order.logisticsAdd"] == 1 and "order.logisticsAddMultiPack" not in sim["counters"]
    assert sim["shipments"]["6900000000000009202"]["logistics_code"] == "SF9410"


def test_douyin_refuses_the_multi_pack_whole_and_the_retry_sends_every_pack_once(
        douyin_shop, douyin_sim, douyin_adapter):
    """Douyin ships all packs or none: after the refusal nothing shipped there, so the retry sends both."""
    order = douyin_paid(douyin_shop, douyin_sim, douyin_adapter, "6900000000000009203")
    ship_in_two(order, ("shunfeng", "SF9501"), ("zhongtong", "ZT9502"))
    refuse(douyin_sim, "ZT9502")

    record = pushed(order, douyin_adapter)

    assert record.status == PushStatus.FAILED and [ack for *_, ack in parcels(record)] == [False, False]
    assert "6900000000000009203" not in state(douyin_sim)["shipments"]
    again = pushed(order, douyin_adapter)
    assert (again.status, again.attempts) == (PushStatus.ACKNOWLEDGED, 2)
    packs = state(douyin_sim)["shipments"]["6900000000000009203"]["packs"]
    assert [pack["logistics_code"] for pack in packs] == ["SF9501", "ZT9502"]


# ---- Pinduoduo: pdd.logistics.online.send, then pdd.order.upload.extra.logistics -----------------------------

TWO_ITEMS_PDD = (("SN-001", 2, 99.9), ("BT-002", 1, 59.0))


def pdd_paid(shop, sim, adapter, order_sn: str) -> Order:
    pdd_support.load(sim, [pdd_support.pdd_order(order_sn, utcnow() - timedelta(minutes=5), items=TWO_ITEMS_PDD)])
    sync.pull(shop, adapter, checkpoint=db.session.commit)
    return the_order(order_sn)


def test_pdd_ships_with_the_first_waybill_and_uploads_the_other_as_extra(pdd_shop, pdd_sim, pdd_adapter):
    order = pdd_paid(pdd_shop, pdd_sim, pdd_adapter, "261205-600000000000001")
    ship_in_two(order, ("yuantong", "YT9601"), ("zhongtong", "ZT9602"))

    record = pushed(order, pdd_adapter)

    assert record.status == PushStatus.ACKNOWLEDGED
    assert parcels(record) == [("YT9601", [], True), ("ZT9602", [], True)]  # PDD items carry no sub-order ids
    shipment = state(pdd_sim)["shipments"]["261205-600000000000001"]
    assert (shipment["logistics_id"], shipment["tracking_number"]) == ("85", "YT9601")
    assert shipment["extra_track_list"] == [{"shipping_id": 115, "tracking_number": "ZT9602", "extra_track_type": 1}]
    assert pdd_adapter.fetch_order("261205-600000000000001").payload["tracking_number"] == "YT9601"


def test_pdd_order_in_one_parcel_uploads_no_extra(pdd_shop, pdd_sim, pdd_adapter):
    order = pdd_paid(pdd_shop, pdd_sim, pdd_adapter, "261205-600000000000002")
    ship_whole(order, "yuantong", "YT9610")

    assert pushed(order, pdd_adapter).status == PushStatus.ACKNOWLEDGED
    sim = state(pdd_sim)
    assert sim["counters"]["pdd.logistics.online.send"] == 1
    assert "pdd.order.upload.extra.logistics" not in sim["counters"]


def test_pdd_retry_after_the_extra_waybill_was_refused_does_not_ship_again(pdd_shop, pdd_sim, pdd_adapter):
    """PDD says shipped after the first call: the partial push is still swept and finished."""
    order = pdd_paid(pdd_shop, pdd_sim, pdd_adapter, "261205-600000000000003")
    ship_in_two(order, ("yuantong", "YT9701"), ("zhongtong", "ZT9702"))
    refuse(pdd_sim, "ZT9702")

    record = pushed(order, pdd_adapter)

    assert record.status == PushStatus.PARTIAL and [ack for *_, ack in parcels(record)] == [True, False]
    fetched = pdd_adapter.fetch_order("261205-600000000000003")  # what the next pull reads: shipped
    normalise.process(payloads.store(pdd_shop, fetched, PayloadSource.PULL)[0])
    assert db.session.scalar(select(ChannelOrder.stage).where(ChannelOrder.order_id == order.id)) == "shipped"
    assert push.shipments_to_push() == [order.id]

    again = pushed(order, pdd_adapter)

    assert (again.status, again.attempts) == (PushStatus.ACKNOWLEDGED, 2)
    sim = state(pdd_sim)
    assert sim["counters"]["pdd.logistics.online.send"] == 1 and sim["counters"]["pdd.order.upload.extra.logistics"] == 2
    assert [track["tracking_number"] for track in sim["shipments"]["261205-600000000000003"]["extra_track_list"]] \
        == ["ZT9702"]
    assert push.shipments_to_push() == []


# ---- Youzan: youzan.logistics.online.confirm per parcel with oids ---------------------------------------------

TWO_LINES_YZ = (("SN-001", 2, "99.90"), ("BT-002", 1, "59.00"))


def youzan_paid(shop, sim, adapter, tid: str) -> Order:
    assert requests.post(f"{sim.url}/_sim/orders", timeout=5, json=[youzan_order(
        tid, "WAIT_SELLER_SEND_GOODS", utcnow() - timedelta(minutes=2), lines=TWO_LINES_YZ)]).ok
    sync.pull(shop, adapter, checkpoint=db.session.commit)
    return the_order(tid)


def test_youzan_is_confirmed_per_parcel_with_its_items(world, yz_shop, youzan_sim, yz_adapter):
    order = youzan_paid(yz_shop, youzan_sim, yz_adapter, "E9801")
    ship_in_two(order, ("shunfeng", "SF9801"), ("zhongtong", "ZT9802"))

    record = pushed(order, yz_adapter)

    assert record.status == PushStatus.ACKNOWLEDGED
    assert parcels(record) == [("SF9801", [["E9801-0", 2]], True), ("ZT9802", [["E9801-1", 1]], True)]
    assert [(p["out_sid"], p["out_stype"], p["oids"]) for p in state(youzan_sim)["shipments"]["E9801"]["parcels"]] \
        == [("SF9801", "7", ["E9801-0"]), ("ZT9802", "3", ["E9801-1"])]
    info = yz_adapter.fetch_order("E9801").payload
    assert info["order_info"]["status"] == "WAIT_BUYER_CONFIRM_GOODS"
    assert [([item["oid"] for item in parcel["oids"]], parcel["dists"][0]["express_info"]["express_no"])
            for parcel in info["delivery_order"]] == [(["E9801-0"], "SF9801"), (["E9801-1"], "ZT9802")]


def test_youzan_order_in_one_parcel_is_confirmed_whole(world, yz_shop, youzan_sim, yz_adapter):
    order = youzan_paid(yz_shop, youzan_sim, yz_adapter, "E9802")
    ship_whole(order, "shunfeng", "SF9810")

    assert pushed(order, yz_adapter).status == PushStatus.ACKNOWLEDGED
    assert state(youzan_sim)["counters"]["youzan.logistics.online.confirm"] == 1
    [parcel] = yz_adapter.fetch_order("E9802").payload["delivery_order"]
    assert [item["oid"] for item in parcel["oids"]] == ["E9802-0", "E9802-1"]


def test_youzan_retry_after_the_second_parcel_was_refused_does_not_resend_the_first(
        world, yz_shop, youzan_sim, yz_adapter):
    order = youzan_paid(yz_shop, youzan_sim, yz_adapter, "E9803")
    ship_in_two(order, ("shunfeng", "SF9901"), ("zhongtong", "ZT9902"))
    refuse(youzan_sim, "ZT9902")

    record = pushed(order, yz_adapter)

    assert record.status == PushStatus.PARTIAL and [ack for *_, ack in parcels(record)] == [True, False]
    assert yz_adapter.fetch_order("E9803").payload["order_info"]["status"] == "WAIT_SELLER_SEND_GOODS"
    again = pushed(order, yz_adapter)
    assert (again.status, again.attempts) == (PushStatus.ACKNOWLEDGED, 2)
    assert state(youzan_sim)["counters"]["youzan.logistics.online.confirm"] == 3
    assert [p["out_sid"] for p in state(youzan_sim)["shipments"]["E9803"]["parcels"]] == ["SF9901", "ZT9902"]


# ---- JD: every waybill in the one shipment call (unchanged mechanism, through the push) -----------------------

def test_jd_is_told_every_waybill_in_one_shipment_call(world, jd_sim, jd_adapter):
    assert requests.post(f"{jd_sim.url}/_sim/orders", timeout=5, json=[jd_order(
        "92001", "WAIT_SELLER_STOCK_OUT", utcnow() - timedelta(minutes=2),
        items=(("SN-001", 2, "99.90"), ("BT-002", 1, "59.00")))]).ok
    sync.pull(world.jd, jd_adapter, checkpoint=db.session.commit)
    order = the_order("92001")
    ship_in_two(order, ("shunfeng", "SF9951"), ("jd", "JD9952"))

    assert pushed(order, jd_adapter).status == PushStatus.ACKNOWLEDGED
    shipment = state(jd_sim)["shipments"]["92001"]
    assert (shipment["logistics_id"], shipment["waybill"]) == ("467|2087", "SF9951|JD9952")


# ---- which parcels a per-sub-order platform can name -----------------------------------------------------------

@pytest.mark.parametrize(("given", "expected"), [
    pytest.param([ShippedParcel("SF", "1", (("a", 1),)), ShippedParcel("SF", "2", (("b", 1),))],
                 [(["1"], ["a"]), (["2"], ["b"])], id="one sub-order each"),
    pytest.param([ShippedParcel("SF", "1", (("a", 1),)), ShippedParcel("SF", "2", ()),
                  ShippedParcel("SF", "3", (("b", 2), ("a", 1)))],
                 [(["1", "2"], ["a"]), (["3"], ["b"])], id="nothing new: told with the one before"),
    pytest.param([ShippedParcel("SF", "1", (("a", 1),)), ShippedParcel("SF", "2", (("a", 1),))], None,
                 id="one sub-order split by quantity: not split there"),
    pytest.param([ShippedParcel("SF", "1"), ShippedParcel("SF", "2")], None, id="no sub-order ids"),
    pytest.param([ShippedParcel("SF", "1", (("a", 1),))], None, id="one parcel"),
])
def test_sub_order_groups(given, expected):
    groups = sub_order_groups(given)
    assert (None if groups is None else [(waybills, ids) for waybills, _, ids in groups]) == expected
