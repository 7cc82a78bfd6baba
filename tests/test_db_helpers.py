"""app.db.insert_unless_taken: the one "insert in a savepoint, catch IntegrityError" helper."""

import pytest
from sqlalchemy import func, select

from app.db import insert_unless_taken
from app.domain.reference.models import Carrier
from app.extensions import db

pytestmark = pytest.mark.usefixtures("app_context")


def carriers(code: str) -> int:
    return db.session.scalar(select(func.count()).select_from(Carrier).where(Carrier.code == code))


def test_a_new_row_is_inserted():
    assert insert_unless_taken(Carrier(code="sf", name="顺丰速运")) is True
    assert carriers("sf") == 1


def test_a_taken_key_is_refused_and_the_transaction_goes_on():
    insert_unless_taken(Carrier(code="sf", name="顺丰速运"))
    duplicate = Carrier(code="sf", name="另一个顺丰")

    assert insert_unless_taken(duplicate) is False
    assert duplicate not in db.session  # rolled back with its savepoint: nothing of it is written
    insert_unless_taken(Carrier(code="yto", name="圆通速递"))  # the session is still usable
    assert carriers("sf") == 1 and carriers("yto") == 1
    assert db.session.scalar(select(Carrier.name).where(Carrier.code == "sf")) == "顺丰速运"
