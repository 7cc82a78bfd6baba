"""check-stock from a checkpoint: it reads only the movements after it, and still finds every difference."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.db import utcnow
from app.domain.inventory.check import CHECKPOINT_LAG, advance_checkpoints
from app.domain.inventory.models import StockCheckpoint, StockLevel, StockMovement
from app.domain.orders.consistency import stock_differences
from app.extensions import db
from tests.domain.stock_world import line, pay, place, receive


def later():
    """A moment when every movement so far is older than the checkpoint lag (the ledger is append-only)."""
    return utcnow() + CHECKPOINT_LAG + timedelta(minutes=1)


def checkpoint(world) -> StockCheckpoint:
    return db.session.scalar(select(StockCheckpoint).where(StockCheckpoint.warehouse_id == world.w1.id,
                                                           StockCheckpoint.sku_id == world.a.id))


def test_a_checkpoint_seals_the_ledger_totals_and_later_movements_are_added_to_them(world):
    receive(world.w1, world.a, 10)
    place(world.channel, line(world.a, 2))

    through = advance_checkpoints(later())
    pay(place(world.channel, line(world.a, 3)))  # newer than the checkpoint

    sealed = checkpoint(world)
    assert through == db.session.scalar(select(StockMovement.id).order_by(StockMovement.id.desc()).offset(2).limit(1))
    assert (sealed.on_hand, sealed.reserved, sealed.locked, sealed.through_movement_id) == (10, 2, 0, through)
    assert stock_differences() == [] and stock_differences(full=True) == []


def test_movements_younger_than_the_lag_are_not_sealed(world):
    receive(world.w1, world.a, 10)

    assert advance_checkpoints(utcnow()) == 0
    assert checkpoint(world).on_hand == 0 and stock_differences() == []


@pytest.mark.corrupts_stock
def test_a_level_changed_without_a_movement_is_found_after_the_checkpoint_too(world):
    receive(world.w1, world.a, 10)
    advance_checkpoints(later())

    db.session.execute(update(StockLevel).where(StockLevel.sku_id == world.a.id).values(on_hand=11))

    assert any("on_hand = 11" in str(difference) for difference in stock_differences())
    assert any("on_hand = 11" in str(difference) for difference in stock_differences(full=True))
