"""Subscriptions, the simulator's pushes end to end, and polling silent parcels (issue 10 §1, §6, §8)."""

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.db import utcnow
from app.domain.logistics import polling
from app.domain.logistics.adapters.kuaidi100 import push_sign, query_sign
from app.domain.logistics.models import Shipment, Subscription, TrackingEvent
from app.domain.orders.models import Order
from app.domain.orders.states import OrderStatus
from app.domain.orders.timeouts import sweep_due
from app.extensions import db
from app.simulators.kuaidi100 import Faults
from tests.logistics.simulated import simulator  # noqa: F401  (fixture)
from tests.logistics.support import parcels_of, shipped_order
from workers import logistics as jobs

VECTOR = '{"com":"shunfeng","num":"SF1234567890123","phone":"1234"}'
SILENT, RETRY = timedelta(hours=12), timedelta(minutes=30)
LIFE = [(1, "已揽收"), (0, "到达【杭州转运中心】"), (0, "到达【上海转运中心】"), (5, "正在派件"), (3, "已签收，本人签收")]


def test_the_signs_match_the_published_vectors_and_a_hand_computed_one():
    assert push_sign(VECTOR, "SALT") == "D7D9DCACC741BBCB3E6B4C4C80E96820"
    assert query_sign(VECTOR, "KEY", "CUSTOMER") == "34825B4D547596FB80F854D9D596AD61"
    by_hand = hashlib.md5(("{}" + "盐").encode()).hexdigest().upper()
    assert push_sign("{}", "盐") == by_hand


def ship(stocked, carrier) -> tuple[int, int, str]:
    """A shipped, committed order: (order id, parcel id, waybill). Ids, because a job ends its session."""
    order = shipped_order(stocked, carrier)
    db.session.commit()
    shipment = parcels_of(order)[0]
    return order.id, shipment.id, shipment.waybill_no


def ship_and_subscribe(stocked, carrier, simulator):  # noqa: F811
    order_id, shipment_id, waybill = ship(stocked, carrier)
    assert jobs.subscribe_shipment(shipment_id) == "shipped"
    simulator.parcels[waybill].script = list(LIFE)
    return order_id, shipment_id, waybill


def states(order_id: int, shipment_id: int) -> tuple[str, str]:
    db.session.expire_all()
    return db.session.get(Shipment, shipment_id).status, db.session.get(Order, order_id).status


def test_pushes_from_the_simulator_take_the_order_to_signed_then_completed(stocked, carrier, simulator):  # noqa: F811
    simulator.faults = Faults(duplicate_rate=0.5, stale_rate=0.5, bad_sign_rate=0.2, missing_sign_rate=0.2)
    order_id, shipment_id, _waybill = ship_and_subscribe(stocked, carrier, simulator)
    assert db.session.get(Shipment, shipment_id).subscription == Subscription.SUBSCRIBED
    for _ in range(20):
        simulator.step()
    assert states(order_id, shipment_id) == ("signed", OrderStatus.SIGNED)
    contexts = [event.context for event in db.session.get(Shipment, shipment_id).events]
    assert contexts == [text for _code, text in reversed(LIFE)]  # each once, newest first
    assert simulator.counters["push_refused"] > 0  # the bad signs were refused, and pushed again
    sweep_due(utcnow() + timedelta(days=7, minutes=1))
    assert db.session.get(Order, order_id).status == OrderStatus.COMPLETED


def test_a_silent_parcel_is_polled_once_per_silence(stocked, carrier, simulator):  # noqa: F811
    order_id, shipment_id, waybill = ship_and_subscribe(stocked, carrier, simulator)
    simulator.parcels[waybill].callback_url = ""  # the pushes stop coming
    simulator.step()
    simulator.step()
    now = utcnow()
    assert polling.claim_due(now + timedelta(hours=11), SILENT, RETRY) == []
    assert polling.claim_due(now + SILENT, SILENT, RETRY) == [shipment_id]
    assert polling.claim_due(now + SILENT + timedelta(minutes=5), SILENT, RETRY) == []  # claimed already
    db.session.commit()
    jobs.refresh_shipment(shipment_id)
    sources = set(db.session.scalars(select(TrackingEvent.source).where(TrackingEvent.shipment_id == shipment_id)))
    assert sources == {"poll"}
    assert states(order_id, shipment_id) == ("in_transit", OrderStatus.IN_TRANSIT)


def test_a_failed_subscription_is_recorded_retried_and_polled(stocked, carrier, simulator):  # noqa: F811
    real_key, simulator.key = simulator.key, "another-key"
    _order_id, shipment_id, _waybill = ship(stocked, carrier)
    jobs.subscribe_shipment(shipment_id)
    shipment = db.session.get(Shipment, shipment_id)
    assert shipment.subscription == Subscription.FAILED and "600" in shipment.subscription_error
    assert polling.claim_due(utcnow(), SILENT, RETRY) == [shipment_id]
    db.session.commit()
    simulator.key = real_key
    jobs.refresh_shipment(shipment_id)
    shipment = db.session.get(Shipment, shipment_id)
    assert shipment.subscription == Subscription.SUBSCRIBED and shipment.last_polled_at is not None


def test_the_aggregator_is_called_with_no_transaction_open(stocked, carrier, simulator, monkeypatch):  # noqa: F811
    _order_id, shipment_id, _waybill = ship(stocked, carrier)
    seen = []
    original = simulator.subscribe

    def subscribe(param):
        seen.append(db.session().in_transaction())
        return original(param)

    monkeypatch.setattr(simulator, "subscribe", subscribe)
    jobs.subscribe_shipment(shipment_id)
    assert seen == [False]


@pytest.mark.parametrize(("phone", "sent"), [("13800138000", "13800138000"), ("+86 138-0013-8000", "13800138000"),
                                             ("138****8000", "8000"), ("", "")])
def test_the_carrier_gets_the_receivers_phone_or_its_last_four_digits(phone, sent):
    assert polling.carrier_phone(phone) == sent
