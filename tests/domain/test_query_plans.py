"""The main queries on the big tables use an index (PostgreSQL).

Each statement is built by the function the page uses and EXPLAINed with sequential scans and sorts
switched off in the planner: a plan that still reads a big table sequentially, or still sorts a list
the page walks newest first, has no index to use for it. No timing is asserted.
"""

import pytest
from sqlalchemy import func, select, text

from app.domain.inventory import queries as inventory_queries
from app.domain.inventory.models import StockMovement
from app.domain.orders import portal_queries, queries
from app.domain.orders.models import Order, OrderEvent
from app.extensions import db
from tests.conftest import POSTGRES
from tests.domain.stock_world import line, pay, place, receive

pytestmark = [pytest.mark.postgres, pytest.mark.skipif(not POSTGRES, reason="needs DATABASE_URL=postgresql://…")]

BIG_TABLES = ("orders", "order_lines", "order_events", "stock_movements", "reservations")


def plan(statement) -> str:
    compiled = statement.compile(dialect=db.engine.dialect)
    connection = db.session.connection()
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    connection.exec_driver_sql("SET LOCAL enable_sort = off")
    rows = connection.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params).all()
    return "\n".join(row[0] for row in rows)


def assert_uses_indexes(statement, sorted_by_index: bool = False) -> None:
    explained = plan(statement)
    for table in BIG_TABLES:
        assert f"Seq Scan on {table}" not in explained, explained
    if sorted_by_index:
        assert "Sort" not in explained, explained


@pytest.fixture
def order(world):
    receive(world.w1, world.a, 5)
    placed = pay(place(world.channel, line(world.a, 1), external_id="TB123"))
    db.session.execute(text("ANALYZE"))
    return placed


@pytest.mark.parametrize("filters", [
    queries.OrderFilters(),
    queries.OrderFilters(status="02"),
    queries.OrderFilters(channel_id=1),
    queries.OrderFilters(created_from=__import__("datetime").date(2026, 1, 1),
                         created_to=__import__("datetime").date(2026, 1, 31)),
], ids=["first page", "status tab", "one channel (API list)", "date range"])
def test_the_order_list_walks_an_index_newest_first(order, filters):
    assert_uses_indexes(queries.search_orders(filters).limit(51), sorted_by_index=True)
    assert_uses_indexes(queries.orders_after(queries.search_orders(filters), order.id).limit(51), sorted_by_index=True)


@pytest.mark.parametrize("text_", ["OH26010100000001", "13800138000", "8000", "SF1000000001", "TB123", "SKU-1"],
                         ids=["order number", "phone", "phone tail", "waybill", "platform id", "SKU"])
def test_searches_and_their_counts_use_indexes(order, text_):
    filters = queries.OrderFilters(search=text_)
    assert_uses_indexes(queries.search_orders(filters).limit(51))
    matching = queries._filtered(select(Order.id), filters)
    assert_uses_indexes(select(func.count()).select_from(matching.where(Order.status == "02").limit(1001).subquery()))


def test_the_status_counts_read_the_status_index(order):
    matching = queries._filtered(select(Order.id), queries.OrderFilters())
    assert_uses_indexes(select(func.count()).select_from(matching.where(Order.status == "08").limit(1001).subquery()))


def test_the_api_list_continues_from_its_cursor_along_an_index(order):
    listed = queries.search_orders(queries.OrderFilters(channel_id=order.channel_id), with_lines=True)
    assert_uses_indexes(queries.orders_before(listed, order.created_at, order.id).limit(51), sorted_by_index=True)


def test_an_order_page_and_the_portal_read_by_index(order):
    assert_uses_indexes(select(OrderEvent).where(OrderEvent.order_id == order.id))
    assert_uses_indexes(queries.newest_events(order.id, 101), sorted_by_index=True)  # a long timeline's newest
    assert_uses_indexes(select(StockMovement).where(StockMovement.order_id == order.id))
    assert_uses_indexes(select(Order.id).where(Order.order_no == order.order_no))
    assert_uses_indexes(select(Order).where((Order.receiver_phone == "13800138000") | (Order.buyer_phone == "13800138000"))
                        .order_by(Order.created_at.desc()).limit(portal_queries.MAX_LISTED_ORDERS))


def test_the_stock_ledger_pages_use_indexes(order):
    newest = inventory_queries.movements(None)
    assert_uses_indexes(newest.limit(51), sorted_by_index=True)
    assert_uses_indexes(inventory_queries.movements_after(newest, 10).limit(51), sorted_by_index=True)
    assert_uses_indexes(inventory_queries.movements(None, sku="SKU").limit(51))


def test_reports_read_their_day_by_index(order):
    assert_uses_indexes(select(Order).where(Order.paid_at >= func.now()))  # reconciliation
    assert_uses_indexes(select(StockMovement).where(StockMovement.kind == "ship", StockMovement.at >= func.now()))
