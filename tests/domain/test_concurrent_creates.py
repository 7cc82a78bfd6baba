"""A unique key taken between a service's check and its insert (a concurrent request) is a clear
Conflict that writes nothing, never a database error. The race is staged by letting the check miss
the row that is already there, as it would when the other request inserts right after the check."""

import pytest
from sqlalchemy import func, select

from app.domain.catalog.models import Sku
from app.domain.catalog.services import SkuData, create_sku
from app.domain.errors import Conflict
from app.domain.orders import services as orders
from app.domain.orders.models import Order
from app.domain.reference.models import Carrier
from app.domain.reference.services import CarrierData, save_carrier
from app.extensions import db
from tests import factories
from tests.domain.stock_world import line, order_input, place, receive


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_carrier_created_twice_at_once_is_a_conflict(world, monkeypatch):
    monkeypatch.setattr("app.domain.reference.services.value_taken", lambda *args: False)

    with pytest.raises(Conflict) as excinfo:
        save_carrier(CarrierData(code=world.carrier.code, name="另一家"))

    assert world.carrier.code in excinfo.value.message
    assert count(Carrier, Carrier.code == world.carrier.code) == 1


def test_a_sku_created_twice_at_once_is_a_conflict(world, monkeypatch):
    monkeypatch.setattr("app.domain.catalog.services.value_taken", lambda *args: False)

    with pytest.raises(Conflict):
        create_sku(SkuData(code=world.a.code, name="同编码的另一个商品"))

    assert count(Sku, Sku.code == world.a.code) == 1
    factories.SkuFactory(code="AFTER-CONFLICT")  # the transaction goes on


def test_an_order_number_drawn_taken_every_time_is_a_conflict(world, monkeypatch):
    receive(world.w1, world.a, 5)
    taken = place(world.channel, line(world.a)).order_no
    monkeypatch.setattr("app.domain.orders.services._new_order_no", lambda now: taken)

    with pytest.raises(Conflict):
        orders.create_order(world.channel, order_input(line(world.a)), "user:tester")

    assert count(Order) == 1
