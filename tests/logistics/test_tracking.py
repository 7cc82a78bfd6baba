"""Tracking events and the order following its parcels (issue 10 §2, §3, §8)."""

from itertools import permutations

import pytest
from sqlalchemy import func, select

from app.domain.logistics.models import TrackingEvent
from app.domain.logistics.states import ParcelStatus, status_for_code
from app.domain.notifications.models import Message
from app.domain.orders.models import OrderEvent
from app.domain.orders.states import OrderStatus
from app.extensions import db
from tests.logistics.support import Step, parcels_of, push, shipped_order

HISTORY = (
    Step(0, 1, "【杭州市】快递员 王师傅 已揽收"),
    Step(60, 0, "快件已到达【杭州转运中心】"),
    Step(180, 0, "快件已到达【上海转运中心】"),
    Step(240, 2, "收件人电话无人接听，快件滞留待派送"),
    Step(300, 5, "【上海市】快递员 李师傅 正在派件"),
    Step(360, 3, "快件已签收，签收人：本人"),
)


def event_rows(shipment) -> list[tuple]:
    return [(event.occurred_at, event.context, event.status) for event in db.session.scalars(
        select(TrackingEvent).where(TrackingEvent.shipment_id == shipment.id)
        .order_by(TrackingEvent.occurred_at))]


def test_every_order_of_a_six_event_history_pushed_one_at_a_time_ends_the_same(stocked, carrier):
    order = shipped_order(stocked, carrier)
    outcomes = set()
    for ordering in permutations(HISTORY):
        savepoint = db.session.begin_nested()
        for step in ordering:
            push("YT0000000001", [step])
        shipment = parcels_of(order)[0]
        outcomes.add((order.status, shipment.status, tuple(event_rows(shipment))))
        savepoint.rollback()
    assert len(outcomes) == 1
    status, parcel_status, rows = outcomes.pop()
    assert (status, parcel_status) == (OrderStatus.SIGNED, ParcelStatus.SIGNED)
    assert [row[1] for row in rows] == [step.text for step in HISTORY]


def test_fifty_copies_of_one_push_store_one_set_of_events_and_move_the_order_once(stocked, carrier):
    order = shipped_order(stocked, carrier)
    for _ in range(50):
        push("YT0000000001", HISTORY[:3])
    assert len(event_rows(parcels_of(order)[0])) == 3
    moves = db.session.scalar(select(func.count()).select_from(OrderEvent).where(
        OrderEvent.order_id == order.id, OrderEvent.action == "hand_over"))
    assert (order.status, moves) == (OrderStatus.IN_TRANSIT, 1)


def test_a_stale_push_adds_nothing_and_moves_nothing_back(stocked, carrier):
    order = shipped_order(stocked, carrier)
    push("YT0000000001", HISTORY[:3] + HISTORY[4:])  # signed, no problem on the way
    push("YT0000000001", HISTORY[:2])  # an old push arrives late
    shipment = parcels_of(order)[0]
    assert (order.status, shipment.status, len(event_rows(shipment))) == (OrderStatus.SIGNED, "signed", 5)
    assert order.signed_at == shipment.signed_at


@pytest.mark.parametrize(("code", "words"), [(2, "疑难"), (4, "退签"), (14, "拒签"), (6, "退回")])
def test_each_exception_state_parks_the_order_with_the_carriers_words(stocked, carrier, code, words):
    order = shipped_order(stocked, carrier)
    push("YT0000000001", [HISTORY[0], Step(90, code, f"{words}：收件地址无人")])
    assert order.status == OrderStatus.EXCEPTION
    assert order.status_before_exception == OrderStatus.IN_TRANSIT
    event = db.session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id)
                               .order_by(OrderEvent.id.desc())).first()
    assert event.actor == "carrier:yuantong" and f"{words}：收件地址无人" in event.reason


def test_an_exception_the_carrier_raised_clears_when_the_parcel_is_signed(stocked, carrier):
    order = shipped_order(stocked, carrier)
    push("YT0000000001", HISTORY[:4])
    assert order.status == OrderStatus.EXCEPTION
    push("YT0000000001", HISTORY)
    assert order.status == OrderStatus.SIGNED


def test_an_exception_staff_raised_is_left_to_staff(stocked, carrier):
    from app.domain.orders import services

    order = shipped_order(stocked, carrier)
    services.mark_exception(order, "买家要求改地址", "user:kefu")
    push("YT0000000001", HISTORY)
    assert order.status == OrderStatus.EXCEPTION


def test_a_multi_parcel_order_is_signed_only_when_every_parcel_is(stocked, carrier):
    order = shipped_order(stocked, carrier, waybills=("YT0000000001", "YT0000000002"))
    first, second = parcels_of(order)
    assert [line.quantity for line in first.lines] == [1] and order.waybill_no == "YT0000000001"
    push("YT0000000001", HISTORY[:3] + HISTORY[4:])
    assert (first.status, order.status) == (ParcelStatus.SIGNED, OrderStatus.IN_TRANSIT)
    push("YT0000000002", HISTORY[:2])
    assert order.status == OrderStatus.IN_TRANSIT
    push("YT0000000002", HISTORY[:3] + HISTORY[4:])
    assert (second.status, order.status) == (ParcelStatus.SIGNED, OrderStatus.SIGNED)


def test_customers_hear_once_per_kind_per_parcel(stocked, carrier):
    order = shipped_order(stocked, carrier, waybills=("YT0000000001", "YT0000000002"))
    for _ in range(3):
        for end in (4, 5, 6):  # 疑难, then 派件, then 签收 (a history pushed at once tells only its newest)
            push("YT0000000001", HISTORY[:end])
        push("YT0000000002", HISTORY[:5])
    keys = sorted(db.session.scalars(select(Message.event_key).where(Message.order_id == order.id,
                                                                     Message.channel == "sms")))
    first, second = (parcel.id for parcel in parcels_of(order))
    assert keys == sorted(["pay", "ship_out", f"parcel:{second}:shipped", f"parcel:{first}:problem",
                           f"parcel:{first}:delivering", f"parcel:{first}:signed", f"parcel:{second}:delivering"])


def test_a_push_for_a_waybill_we_never_shipped_changes_nothing(stocked, carrier):
    shipped_order(stocked, carrier)
    assert push("YT9999999999", HISTORY) is None
    assert db.session.scalar(select(func.count()).select_from(TrackingEvent)) == 0


@pytest.mark.parametrize(("code", "status"), [("0", "in_transit"), ("14", "refused"), ("1001", "collected"),
                                              ("501", "delivering"), ("12", "customs"), ("x", None)])
def test_state_codes_and_their_sub_states(code, status):
    assert status_for_code(code) == status
