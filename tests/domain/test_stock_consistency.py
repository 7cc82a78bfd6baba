"""The stock consistency check finds every kind of corruption we inject, and nothing when there is none;
the audit trails (order events, stock movements) refuse UPDATE and DELETE in the database itself.

Each corruption test repairs what it broke and shows the check clean again, so the books check of
conftest.py still runs after it.
"""

from contextlib import contextmanager

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from app.domain.inventory.models import MovementKind, Reservation, StockMovement
from app.domain.orders import refunds, services
from app.domain.orders.consistency import stock_differences
from app.extensions import db
from tests.conftest import POSTGRES
from tests.domain.stock_world import ACTOR, deliver, line, pay, place, receive, ship


@pytest.fixture
def busy(world):
    """Stock and orders in every stage: reserved, locked, shipped, released, restocked, damaged."""
    for sku in (world.a, world.b, world.c):
        receive(world.w1, sku, 20)
        receive(world.w2, sku, 5)
    pending = place(world.channel, line(world.a, 2), line(world.k, 1))
    paid = pay(place(world.channel, line(world.c, 3)))
    shipped = ship(pay(place(world.channel, line(world.a, 1))), world)
    services.cancel(place(world.channel, line(world.b, 2)), "取消", ACTOR)
    returned = deliver(ship(pay(place(world.channel, line(world.a, 2), line(world.c, 1))), world))
    refunds.refund(returned, returned.paid_fen, None, True, "退货", ACTOR)
    damaged = deliver(ship(pay(place(world.channel, line(world.b, 1))), world))
    refunds.refund(damaged, damaged.paid_fen, None, True, "破损", ACTOR, damaged=True)
    return world, {"pending": pending, "paid": paid, "shipped": shipped}


def sql(statement: str, **params) -> None:
    db.session.execute(text(statement), params)


def level_sql(world, bucket: str, delta: int, warehouse=None, sku=None) -> None:
    sql(f"UPDATE stock_levels SET {bucket} = {bucket} + :delta WHERE warehouse_id = :w AND sku_id = :s",
        delta=delta, w=(warehouse or world.w1).id, s=(sku or world.a).id)


def test_the_books_of_a_busy_day_are_clean(busy):
    assert stock_differences() == []


@pytest.mark.parametrize("bucket", ["on_hand", "reserved", "locked", "damaged"])
def test_a_level_changed_behind_the_ledgers_back_is_found(busy, bucket):
    world, _ = busy
    level_sql(world, bucket, +1)
    differences = stock_differences()
    ledger_lines = [d for d in differences if f"{bucket} = " in d and "流水合计" in d]
    assert len(ledger_lines) == 1
    assert f"仓库 {world.w1.id} 商品 {world.a.id}" in ledger_lines[0]
    if bucket in ("reserved", "locked"):
        assert any("预占记录合计" in d and bucket in d for d in differences)
    level_sql(world, bucket, -1)
    assert stock_differences() == []


def test_a_movement_without_its_level_change_is_found(busy):
    world, _ = busy
    movement = {"warehouse_id": world.w2.id, "sku_id": world.c.id, "actor": ACTOR, "reason": "漏记"}
    db.session.add(StockMovement(kind=MovementKind.RECEIPT, on_hand_delta=4, **movement))
    db.session.flush()
    assert stock_differences() == [f"仓库 {world.w2.id} 商品 {world.c.id}: on_hand = 5，流水合计 = 9"]
    # The ledger is append-only: the repair is a compensating movement, as it would be in production.
    db.session.add(StockMovement(kind=MovementKind.ADJUSTMENT, on_hand_delta=-4, **movement))
    db.session.flush()
    assert stock_differences() == []


def test_movements_for_a_level_that_does_not_exist_are_found(busy):
    world, _ = busy
    db.session.add(StockMovement(warehouse_id=world.w2.id, sku_id=world.k.id, kind=MovementKind.RECEIPT,
                                 on_hand_delta=2, actor=ACTOR))
    db.session.flush()
    assert stock_differences() == [f"仓库 {world.w2.id} 商品 {world.k.id}: 有流水但没有库存记录"]
    sql("INSERT INTO stock_levels (warehouse_id, sku_id, on_hand, reserved, locked, safety, damaged, reorder_point) "
        "VALUES (:w, :s, 2, 0, 0, 0, 0, 0)", w=world.w2.id, s=world.k.id)
    assert stock_differences() == []


def test_a_reservation_left_active_on_a_closed_order_is_found(busy):
    _, orders = busy
    pending = orders["pending"]
    sql("UPDATE orders SET status = '00' WHERE id = :id", id=pending.id)
    differences = stock_differences()
    held = db.session.scalars(select(Reservation.id).where(Reservation.order_id == pending.id)
                              .order_by(Reservation.id)).all()
    assert sorted(differences) == sorted(f"预占 {rid}: 订单 {pending.id} 状态 00 不应再占用库存" for rid in held)
    sql("UPDATE orders SET status = '01' WHERE id = :id", id=pending.id)
    assert stock_differences() == []


@pytest.mark.parametrize("final_status", ["00", "R1", "05", "08"])
def test_any_order_state_that_holds_no_stock_is_checked(busy, final_status):
    _, orders = busy
    paid = orders["paid"]
    sql("UPDATE orders SET status = :s WHERE id = :id", s=final_status, id=paid.id)
    assert len(stock_differences()) == 1
    sql("UPDATE orders SET status = '02' WHERE id = :id", id=paid.id)


def test_a_reservation_whose_quantity_drifted_is_found(busy):
    world, orders = busy
    sql("UPDATE reservations SET quantity = quantity + 1 WHERE order_id = :id", id=orders["paid"].id)
    assert stock_differences() == [f"仓库 {world.w1.id} 商品 {world.c.id}: locked = 3，预占记录合计 = 4"]
    sql("UPDATE reservations SET quantity = quantity - 1 WHERE order_id = :id", id=orders["paid"].id)
    assert stock_differences() == []


def test_a_reservation_whose_status_changed_without_its_stock_is_found(busy):
    world, orders = busy
    sql("UPDATE reservations SET status = 'locked' WHERE order_id = :id AND sku_id = :s",
        id=orders["pending"].id, s=world.b.id)
    assert sorted(stock_differences()) == sorted([
        f"仓库 {world.w1.id} 商品 {world.b.id}: reserved = 2，预占记录合计 = 0",
        f"仓库 {world.w1.id} 商品 {world.b.id}: locked = 0，预占记录合计 = 2",
    ])
    sql("UPDATE reservations SET status = 'reserved' WHERE order_id = :id AND sku_id = :s",
        id=orders["pending"].id, s=world.b.id)
    assert stock_differences() == []


@pytest.mark.parametrize("bucket", ["on_hand", "reserved", "locked", "damaged", "safety"])
def test_the_database_refuses_a_negative_bucket(busy, bucket):
    world, _ = busy
    with pytest.raises(IntegrityError), db.session.begin_nested():
        sql(f"UPDATE stock_levels SET {bucket} = -1 WHERE warehouse_id = :w AND sku_id = :s",
            w=world.w2.id, s=world.b.id)


@contextmanager
def check_constraints_off():
    """Let a negative value in, to show the check would still see it if a constraint were ever lost."""
    if POSTGRES:
        # Transactional DDL: the test's rollback brings the constraint back.
        sql("ALTER TABLE stock_levels DROP CONSTRAINT ck_stock_levels_on_hand_not_negative")
        yield
    else:
        sql("PRAGMA ignore_check_constraints = ON")
        try:
            yield
        finally:
            sql("PRAGMA ignore_check_constraints = OFF")


def test_a_negative_bucket_is_found_even_if_the_ledger_agrees(busy):
    world, _ = busy
    movement = {"warehouse_id": world.w2.id, "sku_id": world.a.id, "actor": ACTOR}
    with check_constraints_off():
        db.session.add(StockMovement(kind=MovementKind.ADJUSTMENT, on_hand_delta=-6, **movement))
        level_sql(world, "on_hand", -6, warehouse=world.w2)
        assert stock_differences() == [
            f"仓库 {world.w2.id} 商品 {world.a.id}: 有负数库存 "
            "{'on_hand': -1, 'reserved': 0, 'locked': 0, 'damaged': 0, 'safety': 0}"]
        db.session.add(StockMovement(kind=MovementKind.ADJUSTMENT, on_hand_delta=6, **movement))
        level_sql(world, "on_hand", +6, warehouse=world.w2)
        assert stock_differences() == []


# --- append-only audit trails ------------------------------------------------------------------------


@pytest.mark.parametrize("table", ["order_events", "stock_movements"])
@pytest.mark.parametrize("statement", ["UPDATE {table} SET actor = 'someone-else'", "DELETE FROM {table}"])
def test_the_audit_trails_refuse_update_and_delete(busy, table, statement):
    before = db.session.execute(text(f"SELECT id, actor FROM {table} ORDER BY id")).all()
    assert before
    with pytest.raises(DBAPIError) as refused, db.session.begin_nested():
        sql(statement.format(table=table) + " WHERE id = :id", id=before[0].id)
    assert "append-only" in str(refused.value)
    assert db.session.execute(text(f"SELECT id, actor FROM {table} ORDER BY id")).all() == before


def test_the_orm_cannot_rewrite_a_movement_either(busy):
    movement = db.session.scalars(select(StockMovement).order_by(StockMovement.id).limit(1)).one()
    with pytest.raises(DBAPIError), db.session.begin_nested():
        movement.on_hand_delta += 1
        db.session.flush()
    db.session.expire_all()
    assert stock_differences() == []
