"""call_outside: the caller's work is committed and no transaction is open when the other side is called."""

import pytest
from sqlalchemy import select

from app.domain.reference.models import Warehouse
from app.extensions import db
from app.outside_calls import TransactionOpenError, call_outside
from tests import factories


def test_the_work_so_far_is_committed_and_the_call_runs_with_no_transaction(app_context):
    factories.WarehouseFactory(code="WH-OUT")
    seen = {}

    def platform_call(value: str) -> str:
        seen["in_transaction"] = db.session().in_transaction()
        return value.upper()

    assert call_outside(db.session.commit, platform_call, "answer") == "ANSWER"
    assert seen == {"in_transaction": False}
    db.session.rollback()  # nothing left to roll back: the warehouse was committed before the call
    assert db.session.scalar(select(Warehouse).where(Warehouse.code == "WH-OUT")) is not None


def test_a_checkpoint_that_leaves_the_transaction_open_stops_the_call(app_context):
    factories.WarehouseFactory(code="WH-OPEN")
    called = []

    with pytest.raises(TransactionOpenError, match="append"):
        call_outside(db.session.flush, called.append, "sent")

    assert called == []
