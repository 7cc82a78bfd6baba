"""The hot-SKU fast paths keep every rule: a batched reservation refuses only the requests that do not
fit, applies the whole batch in one guarded UPDATE when it fits, and a sold-out level is refused from
its marker without a statement on its row until a receipt or a release frees stock."""

import pytest
from sqlalchemy import event

from app.domain.errors import Conflict, OutOfStock
from app.domain.inventory import safety, soldout
from app.domain.inventory import services as inventory
from app.domain.inventory.grouped import ReservationRequest, reserve_together
from app.domain.inventory.ledger import Change
from app.domain.inventory.models import MovementKind, StockMovement
from app.domain.orders import services as orders
from app.extensions import db
from tests.domain.stock_world import ACTOR, count, held, line, order_input, place, receive, stock


@pytest.fixture
def statements():
    """Every SQL statement the session's connection runs while the test body does."""
    seen: list[str] = []
    connection = db.session.connection()

    def remember(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(connection, "before_cursor_execute", remember)
    yield seen
    event.remove(connection, "before_cursor_execute", remember)


def stock_level_statements(seen: list[str]) -> list[str]:
    return [statement for statement in seen if "stock_levels" in statement]


def unreserved_orders(world, how_many: int) -> list:
    """Orders that hold units of C only, so A can be reserved for them."""
    receive(world.w1, world.c, how_many)
    return [place(world.channel, line(world.c)) for _ in range(how_many)]


def request(order, quantity: int) -> ReservationRequest:
    return ReservationRequest(order.id, quantity, Change(ACTOR, "秒杀预占", order.id))


def test_a_batch_that_fits_is_one_guarded_update_with_a_ledger_row_per_request(world, statements):
    receive(world.w1, world.a, 5)
    first, second, third = unreserved_orders(world, 3)
    statements.clear()

    outcomes = reserve_together(world.w1.id, world.a.id, [request(first, 1), request(second, 2), request(third, 1)])

    assert outcomes == [None, None, None]
    assert len([s for s in stock_level_statements(statements) if s.lstrip().upper().startswith("UPDATE")]) == 1
    assert stock(world.w1, world.a)["reserved"] == 4
    for order, quantity in ((first, 1), (second, 2), (third, 1)):
        assert held(order)[(world.w1.id, world.a.id, "reserved")] == quantity
        assert count(StockMovement, StockMovement.order_id == order.id, StockMovement.sku_id == world.a.id,
                     StockMovement.kind == MovementKind.RESERVE, StockMovement.reserved_delta == quantity) == 1


def test_a_batch_that_does_not_fit_refuses_only_the_request_that_does_not(world):
    receive(world.w1, world.a, 5)
    first, too_big, last = unreserved_orders(world, 3)

    outcomes = reserve_together(world.w1.id, world.a.id, [request(first, 2), request(too_big, 4), request(last, 3)])

    assert outcomes[0] is None and outcomes[2] is None
    assert isinstance(outcomes[1], OutOfStock)
    assert outcomes[1].details["lines"] == [{"sku": world.a.code, "requested": 4, "available": 3}]
    assert stock(world.w1, world.a)["reserved"] == 5
    assert (world.w1.id, world.a.id, "reserved") not in held(too_big)
    assert count(StockMovement, StockMovement.order_id == too_big.id, StockMovement.sku_id == world.a.id) == 0


def test_a_request_wrong_in_itself_is_refused_alone(world):
    receive(world.w1, world.a, 5)
    receive(world.w2, world.a, 5)
    first, elsewhere = unreserved_orders(world, 2)
    inventory.reserve_order(elsewhere.id, {world.a.id: 1}, [world.w2.id], Change(ACTOR, "先在二号仓占用"))

    outcomes = reserve_together(world.w1.id, world.a.id, [request(first, 1), request(elsewhere, 1)])

    assert outcomes[0] is None
    assert isinstance(outcomes[1], Conflict)
    assert stock(world.w1, world.a)["reserved"] == 1


def sell_out(world):
    """A has 1 unit; one order takes it and the next is refused: A is now marked sold out. Returns the holder."""
    receive(world.w1, world.a, 1)
    db.session.commit()
    holder = place(world.channel, line(world.a))
    db.session.commit()
    with pytest.raises(OutOfStock):
        orders.create_order(world.channel, order_input(line(world.a)), ACTOR)
    db.session.rollback()
    assert soldout.sold_out(db.session, [(world.w1.id, world.a.id)]) == {(world.w1.id, world.a.id)}
    return holder


def test_a_sold_out_sku_is_refused_without_a_statement_on_its_stock_row(world, statements):
    sell_out(world)
    statements.clear()

    with pytest.raises(OutOfStock) as refused:
        orders.create_order(world.channel, order_input(line(world.a)), ACTOR)

    assert refused.value.details["lines"] == [{"sku": world.a.code, "requested": 1, "available": 0}]
    assert stock_level_statements(statements) == []
    db.session.rollback()


def test_a_receipt_ends_the_sold_out(world):
    sell_out(world)
    receive(world.w1, world.a, 2)
    db.session.commit()

    order = place(world.channel, line(world.a, 2))

    assert held(order)[(world.w1.id, world.a.id, "reserved")] == 2


def test_a_release_ends_the_sold_out(world):
    holder = sell_out(world)
    orders.cancel(holder, "买家不要了", ACTOR)
    db.session.commit()

    order = place(world.channel, line(world.a))

    assert held(order)[(world.w1.id, world.a.id, "reserved")] == 1


def test_a_release_that_is_rolled_back_leaves_the_sold_out(world):
    holder = sell_out(world)
    orders.cancel(holder, "买家不要了", ACTOR)
    db.session.rollback()

    assert soldout.sold_out(db.session, [(world.w1.id, world.a.id)]) == {(world.w1.id, world.a.id)}


def test_a_marker_written_after_stock_was_freed_does_not_count(world, monkeypatch):
    """The race the version check is for: a request reads "sold out", a receipt commits (its version
    goes up), and only then does the request write its marker: the marker names the old version."""
    receive(world.w1, world.a, 1)
    db.session.commit()
    place(world.channel, line(world.a))
    db.session.commit()
    real_mark = soldout.mark

    def stock_freed_between_read_and_marker(session, levels):
        soldout.bump_versions(set(levels))  # what a receipt committing at this moment does
        real_mark(session, levels)

    monkeypatch.setattr(soldout, "mark", stock_freed_between_read_and_marker)
    with pytest.raises(OutOfStock):
        orders.create_order(world.channel, order_input(line(world.a)), ACTOR)
    db.session.rollback()

    assert soldout.sold_out(db.session, [(world.w1.id, world.a.id)]) == set()


def test_stock_freed_earlier_in_the_same_transaction_can_be_reserved_at_once(world):
    """An order edit releases and reserves again in one transaction: the marker (which only knows the
    committed books) must not refuse what the transaction itself has just freed."""
    holder = sell_out(world)
    orders.cancel(holder, "改单", ACTOR)

    order = place(world.channel, line(world.a))

    assert held(order)[(world.w1.id, world.a.id, "reserved")] == 1


def test_a_lower_safety_stock_ends_the_sold_out(world):
    receive(world.w1, world.a, 3)
    safety.override(safety.figure_for(world.w1.id, world.a.id), 3, None, "大促备货", ACTOR)
    db.session.commit()
    with pytest.raises(OutOfStock):
        orders.create_order(world.channel, order_input(line(world.a)), ACTOR)
    db.session.rollback()
    assert soldout.sold_out(db.session, [(world.w1.id, world.a.id)]) == {(world.w1.id, world.a.id)}

    safety.override(safety.figure_for(world.w1.id, world.a.id), 1, None, "大促结束", ACTOR)
    db.session.commit()

    order = place(world.channel, line(world.a, 2))
    assert held(order)[(world.w1.id, world.a.id, "reserved")] == 2
