"""Concurrent API requests against real PostgreSQL, with real commits (no per-test rollback here).

Each thread has its own test client, hence its own app context, session and database connection, so
the requests really race. The data is made under unique codes, committed, and deleted afterwards.
"""

import threading
import uuid

import pytest
from sqlalchemy import delete, select, text

from app.auth.api_tokens import create_token
from app.domain.orders.consistency import stock_differences
from app.domain.orders.models import Order
from app.extensions import db
from tests import factories
from tests.api.conftest import order_body, receive
from tests.conftest import POSTGRES

pytestmark = [pytest.mark.postgres,
              pytest.mark.skipif(not POSTGRES, reason="needs DATABASE_URL=postgresql://… (real concurrency)")]
THREADS = 20


@pytest.fixture
def _transaction(app):
    """Replaces the rolled-back transaction of tests/conftest.py: these tests need real commits."""
    yield


@pytest.fixture
def committed(app):
    """A committed warehouse, channel, SKU with ``stock`` units and a token; removed again afterwards."""
    tag = uuid.uuid4().hex[:8]
    with app.app_context():
        warehouse = factories.WarehouseFactory(code=f"WH-{tag}", priority=1)
        channel = factories.ChannelFactory(code=f"ch-{tag}", default_warehouse=warehouse)
        sku = factories.SkuFactory(code=f"SKU-{tag}", price_fen=5900)
        receive(warehouse, sku, 5)
        _row, token = create_token(channel, ["orders", "stock:read"], "并发测试", "test")
        db.session.commit()
        ids = {"warehouse": warehouse.id, "channel": channel.id, "sku": sku.id, "channel_code": channel.code}
    yield {"token": token, "sku": f"SKU-{tag}", "channel_id": ids["channel"]}
    with app.app_context():
        _delete_everything_of(ids)


def race(app, requests: list[dict]) -> list:
    """Send ``requests`` (kwargs for client.post) at once, one thread each; returns the responses in order."""
    barrier = threading.Barrier(len(requests))
    responses = [None] * len(requests)

    def send(index: int, kwargs: dict) -> None:
        client = app.test_client()
        barrier.wait()
        responses[index] = client.post(**kwargs)

    threads = [threading.Thread(target=send, args=(i, kwargs)) for i, kwargs in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses


def test_identical_requests_with_one_key_make_one_order_and_the_same_answer(app, committed):
    body = order_body(lines=[{"sku": committed["sku"], "qty": 1}], discount="0.00")
    headers = {"Authorization": f"Bearer {committed['token']}", "Idempotency-Key": str(uuid.uuid4())}

    responses = race(app, [{"path": "/api/v1/orders", "json": body, "headers": headers}] * THREADS)

    assert [response.status_code for response in responses] == [201] * THREADS
    assert all(response.json == responses[0].json for response in responses)
    assert sum("Idempotent-Replayed" not in response.headers for response in responses) == 1
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Order)
                                 .where(Order.channel_id == committed["channel_id"])) == 1
        assert stock_differences() == []


def test_identical_refused_requests_with_one_key_all_get_the_one_stored_refusal(app, committed):
    body = order_body(lines=[{"sku": committed["sku"], "qty": 6}], discount="0.00")
    headers = {"Authorization": f"Bearer {committed['token']}", "Idempotency-Key": str(uuid.uuid4())}

    responses = race(app, [{"path": "/api/v1/orders", "json": body, "headers": headers}] * THREADS)

    assert [response.status_code for response in responses] == [409] * THREADS
    assert all(response.json == responses[0].json for response in responses)
    assert responses[0].json["error"]["code"] == "out_of_stock"
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Order)
                                 .where(Order.channel_id == committed["channel_id"])) == 0
        assert stock_differences() == []


def test_concurrent_orders_for_the_last_units_never_oversell(app, committed):
    headers = {"Authorization": f"Bearer {committed['token']}"}
    requests = [{"path": "/api/v1/orders", "headers": headers,
                 "json": order_body(external_id=f"RACE-{n}", lines=[{"sku": committed["sku"], "qty": 1}],
                                    discount="0.00")} for n in range(THREADS)]

    responses = race(app, requests)

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] * 5 + [409] * (THREADS - 5)
    with app.app_context():
        stock = app.test_client().get(f"/api/v1/stock/{committed['sku']}", headers=headers).json
        assert stock["available"] == 0
        assert stock["warehouses"][0]["reserved"] == 5
        assert stock_differences() == []


def _delete_everything_of(ids: dict) -> None:
    """Delete what the test made, in any order: the append-only triggers (and foreign keys, which are
    triggers too) are off for this one transaction."""
    with db.engine.begin() as connection:
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        order_ids = select(Order.id).where(Order.channel_id == ids["channel"]).scalar_subquery()
        keys = {"order_id": order_ids, "channel_id": ids["channel"], "sku_id": ids["sku"],
                "warehouse_id": ids["warehouse"]}
        for table in reversed(db.metadata.sorted_tables):
            for column, value in keys.items():
                if column in table.c:
                    condition = table.c[column].in_(value) if column == "order_id" else table.c[column] == value
                    connection.execute(delete(table).where(condition))
        for table, row_id in (("orders", None), ("channels", ids["channel"]), ("skus", ids["sku"]),
                              ("warehouses", ids["warehouse"])):
            target = db.metadata.tables[table]
            if row_id is not None:
                connection.execute(delete(target).where(target.c.id == row_id))
        # The token's creation is in the audit log, which names the channel rather than pointing at it;
        # left there, it would be in the next test's audit log (tests/web/test_audit_log.py) too.
        audit = db.metadata.tables["audit_entries"]
        connection.execute(delete(audit).where(audit.c.subject == f"channel:{ids['channel_code']}"))
