"""Back to the platforms: the ledger scan feeds stock and shipment pushes; the drift check."""

from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from app.db import utcnow
from app.domain.channels import push, stockwatch, sync
from app.domain.channels.connect import settings_of
from app.domain.channels.models import DriftFinding, PushKind, PushRecord, PushStatus
from app.domain.logistics import shipments
from app.domain.logistics.shipments import Parcel
from app.domain.orders import services
from app.domain.orders.models import Order
from app.domain.orders.states import OrderStatus
from app.domain.reference.models import Carrier
from app.extensions import db
from tests.channels.builders import taobao_trade

LINES = (("SN-001", 2, "99.90"), ("KIT-T1", 1, "139.00"))


def sim_state(sim) -> dict:
    return requests.get(f"{sim.url}/_sim/state", timeout=5).json()


def pulled_order(world, sim, adapter, status="WAIT_SELLER_SEND_GOODS", tid="9001") -> Order:
    body = {"trades_sold_increment_get_response": {"trades": {"trade": [
        taobao_trade(tid, status, utcnow() - timedelta(minutes=2), lines=LINES, masked=False)]}}}
    assert requests.post(f"{sim.url}/_sim/orders", json=body, timeout=5).ok
    sync.pull(world.taobao, adapter, checkpoint=db.session.commit)
    return db.session.scalar(select(Order).where(Order.external_id == tid))


def test_moved_stock_is_pushed_as_the_channels_share_and_unchanged_levels_are_skipped(world, taobao_sim, taobao_adapter):
    pulled_order(world, taobao_sim, taobao_adapter)  # locks SN-001 ×3 (2 + 1 in the kit) and HH-010 ×2

    scanned = stockwatch.scan(utcnow())
    assert {world.skus[code].id for code in ("SN-001", "HH-010", "KIT-T1")} <= scanned.sku_ids
    dirty = stockwatch.take_dirty(world.taobao.id)
    report = push.push_stock(world.taobao, taobao_adapter, dirty, utcnow(), checkpoint=db.session.commit)

    assert len(report.pushed) == 2  # the two listed codes; HH-010 is not listed on this shop yet
    stock = sim_state(taobao_sim)["stock"]
    assert stock["600000000000:SN-001"] == 47 and stock["600000000001:KIT-T1"] == 24  # min(47, 48 // 2)
    again = push.push_stock(world.taobao, taobao_adapter, dirty, utcnow(), checkpoint=db.session.commit)
    assert again.pushed == [] and len(again.skipped) == 2

    settings_of(world.taobao).stock_share_pct = 50
    push.push_stock(world.taobao, taobao_adapter, dirty, utcnow(), checkpoint=db.session.commit)
    assert sim_state(taobao_sim)["stock"]["600000000000:SN-001"] == 23
    settings_of(world.taobao).virtual_stock = 5
    push.push_stock(world.taobao, taobao_adapter, dirty, utcnow(), checkpoint=db.session.commit)
    assert sim_state(taobao_sim)["stock"]["600000000000:SN-001"] == 5
    records = db.session.scalars(select(PushRecord).where(PushRecord.kind == PushKind.STOCK)).all()
    assert all(record.status == PushStatus.ACKNOWLEDGED and record.answer for record in records)


def test_the_scan_marks_each_ledger_row_once_and_only_stock_pushing_shops(world):
    first = stockwatch.scan(utcnow())
    assert first.sku_ids and stockwatch.take_dirty(world.jd.id)
    assert stockwatch.scan(utcnow()).sku_ids == set()  # the unsettled tail is read again, not marked again

    settings_of(world.jd).stock_push_enabled = False
    assert world.jd not in stockwatch.stock_channels()


def test_a_shipment_by_our_warehouse_is_pushed_once_and_acknowledged(world, taobao_sim, taobao_adapter):
    order = pulled_order(world, taobao_sim, taobao_adapter)
    services.approve(order, "user:cangku")
    services.pack(order, "user:cangku")
    services.ship_out(order, db.session.scalar(select(Carrier).where(Carrier.code == "shunfeng")), "SF9001",
                      "user:cangku")

    assert stockwatch.scan(utcnow()).shipped_order_ids == {order.id}
    assert push.shipments_to_push() == [order.id]
    record = push.push_shipment(order, taobao_adapter, utcnow(), checkpoint=db.session.commit)

    assert record.status == PushStatus.ACKNOWLEDGED and record.sent["carrier"] == "SF"
    assert sim_state(taobao_sim)["shipments"]["9001"]["out_sid"] == "SF9001"
    again = push.push_shipment(order, taobao_adapter, utcnow(), checkpoint=db.session.commit)
    assert again.attempts == 1  # acknowledged: never again
    assert push.shipments_to_push() == []

    sync.pull(world.taobao, taobao_adapter, checkpoint=db.session.commit)  # the platform now says shipped
    assert order.status == OrderStatus.SHIPPED_OUT


def test_a_worker_dying_during_the_shipment_call_leaves_the_attempt_on_record_for_the_sweep(
        world, taobao_sim, taobao_adapter, monkeypatch):
    order = pulled_order(world, taobao_sim, taobao_adapter)
    services.approve(order, "user:cangku")
    services.pack(order, "user:cangku")
    services.ship_out(order, db.session.scalar(select(Carrier).where(Carrier.code == "shunfeng")), "SF9001",
                      "user:cangku")
    order_id = order.id

    def killed(*args):
        raise SystemExit("worker killed while the platform answered")

    with monkeypatch.context() as crash:
        crash.setattr(taobao_adapter, "push_shipment", killed)
        with pytest.raises(SystemExit):
            push.push_shipment(order, taobao_adapter, utcnow(), checkpoint=db.session.commit)
    db.session.rollback()  # what the job wrapper does: only the step after the call is lost

    record = db.session.scalar(select(PushRecord).where(PushRecord.order_id == order_id))
    assert (record.status, record.attempts, record.sent["waybill_no"]) == (PushStatus.PENDING, 1, "SF9001")
    assert push.shipments_to_push() == [order_id]
    again = push.push_shipment(db.session.get(Order, order_id), taobao_adapter, utcnow(),
                               checkpoint=db.session.commit)
    assert (again.status, again.attempts) == (PushStatus.ACKNOWLEDGED, 2)


def test_a_refused_shipment_push_is_recorded_and_retried_by_the_sweep(world, taobao_sim, taobao_adapter):
    order = pulled_order(world, taobao_sim, taobao_adapter)
    body = {"trades_sold_increment_get_response": {"trades": {"trade": [
        taobao_trade("9001", "TRADE_CLOSED", utcnow() - timedelta(minutes=1), lines=LINES, masked=False)]}}}
    assert requests.post(f"{taobao_sim.url}/_sim/orders", json=body, timeout=5).ok  # refunded on the platform
    services.approve(order, "user:cangku")
    services.pack(order, "user:cangku")
    services.ship_out(order, db.session.scalar(select(Carrier).where(Carrier.code == "zhongtong")), "ZT1", "user:cangku")

    record = push.push_shipment(order, taobao_adapter, utcnow(), checkpoint=db.session.commit)

    assert record.status == PushStatus.FAILED and "不能发货" in record.answer
    assert push.shipments_to_push() == [order.id]


def test_the_drift_check_finds_a_platform_level_we_did_not_set_and_the_next_push_repairs_it(
        world, taobao_sim, taobao_adapter):
    pulled_order(world, taobao_sim, taobao_adapter)
    stockwatch.scan(utcnow())
    push.push_stock(world.taobao, taobao_adapter, stockwatch.take_dirty(world.taobao.id), utcnow(),
                    checkpoint=db.session.commit)
    listing = next(listing for sku, listing in push.listed_skus(world.taobao) if sku.code == "SN-001")
    taobao_adapter.push_stock(listing, 999)  # someone edited the stock in the platform's back office

    [finding] = push.check_drift(world.taobao, taobao_adapter, utcnow(), checkpoint=db.session.commit)
    assert (finding.intended, finding.reported) == (47, 999)

    push.push_stock(world.taobao, taobao_adapter, {world.skus["SN-001"].id}, utcnow(),
                    checkpoint=db.session.commit)
    assert push.check_drift(world.taobao, taobao_adapter, utcnow(), checkpoint=db.session.commit) == []
    assert db.session.get(DriftFinding, finding.id).resolved_at is not None


def test_an_order_shipped_as_several_parcels_names_every_waybill_in_its_push(world, taobao_sim, taobao_adapter):
    """Taobao is told every parcel (split shipping, one call each, a bundle with its sub-order); the record
    keeps them all, the order's own first."""
    order = pulled_order(world, taobao_sim, taobao_adapter, tid="9002")
    services.approve(order, "user:cangku")
    services.pack(order, "user:cangku")
    carrier = db.session.scalar(select(Carrier).where(Carrier.code == "shunfeng"))
    sold = [line for line in order.lines if not line.is_component]
    shipments.ship_parcels(order, [Parcel(carrier, "SF9101", {sold[0].id: sold[0].quantity}),
                                   *[Parcel(carrier, f"SF91{n:02d}", {line.id: line.quantity})
                                     for n, line in enumerate(sold[1:], start=2)]], "user:cangku")

    record = push.push_shipment(order, taobao_adapter, utcnow(), checkpoint=db.session.commit)

    assert record.status == PushStatus.ACKNOWLEDGED
    assert [parcel["waybill_no"] for parcel in record.sent["parcels"]] == [
        "SF9101", *[f"SF91{n:02d}" for n in range(2, len(sold) + 1)]]
    assert len(sold) > 1 and record.sent["waybill_no"] == "SF9101"
    assert all(parcel["acknowledged"] for parcel in record.sent["parcels"])
    shipment = sim_state(taobao_sim)["shipments"]["9002"]
    assert shipment["out_sid"] == "SF9101"
    assert [(parcel["out_sid"], parcel["sub_tid"]) for parcel in shipment["parcels"]] == [
        ("SF9101", ["90020"]), *[(f"SF91{n:02d}", [f"9002{n - 1}"]) for n in range(2, len(sold) + 1)]]


def test_skus_taken_by_a_push_that_never_finished_go_with_the_next_push(app_context):
    stockwatch.mark_dirty([1], {10, 11})
    assert stockwatch.take_dirty(1) == {10, 11}  # its worker is killed here: ``pushed`` never comes

    stockwatch.mark_dirty([1], {12})
    assert stockwatch.take_dirty(1) == {10, 11, 12}
    stockwatch.pushed(1)

    assert stockwatch.take_dirty(1) == set()
