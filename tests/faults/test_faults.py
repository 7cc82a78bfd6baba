"""Faults injected into a running stack (tests/faults/conftest.py): a worker killed mid-pull and
mid-push, a Redis outage, the database's connections terminated, a platform failing, timing out and
throttling. After each: no order lost, none duplicated, none closed that the platform did not close,
every webhook processed once, the stock books and the platform's stock agree, and the interrupted work
was done within a minute of the fault ending.

The tests share one stack and run in order; each brings its own new platform orders.
"""

import json
import time

import pytest
from sqlalchemy import create_engine, text

from app.simulators.shop_platform import now_gmt8
from tests.conftest import wait_for
from tests.faults.conftest import needs_servers, resumed, settle

pytestmark = needs_servers

#: Taobao statuses that mean the platform itself closed the trade.
PLATFORM_CLOSED = {"TRADE_CLOSED", "TRADE_CLOSED_BY_TAOBAO"}
CLOSED = "00"


@pytest.fixture(scope="module")
def database(stack):
    engine = create_engine(stack.database_url, pool_pre_ping=True)
    yield engine
    engine.dispose()


def orders_of(database, code: str) -> dict[str, list[str]]:
    """Platform order id → the statuses of every OrderHub order with that id (one, unless duplicated)."""
    with database.connect() as connection:
        rows = connection.execute(text(
            "SELECT o.external_id, o.status FROM orders o JOIN channels c ON c.id = o.channel_id WHERE c.code = :code"),
            {"code": code}).all()
    found: dict[str, list[str]] = {}
    for external_id, status in rows:
        found.setdefault(external_id, []).append(status)
    return found


def all_pulled(database, expected: set[str]) -> bool:
    return expected <= set(orders_of(database, "taobao"))


def assert_orders_intact(stack, database) -> None:
    """Every order the platform has is ours once, and closed only where the platform closed it."""
    platform = {tid: dict(trade) for tid, trade in stack.taobao.simulator.state.orders.items()}
    ours = orders_of(database, "taobao")
    assert set(platform) - set(ours) == set(), "orders lost"
    assert {tid for tid, statuses in ours.items() if len(statuses) > 1} == set(), "orders duplicated"
    wrongly_closed = {tid for tid, trade in platform.items()
                      if CLOSED in ours[tid] and trade["status"] not in PLATFORM_CLOSED}
    assert wrongly_closed == set(), "orders closed by OrderHub that the platform did not close"


def assert_stock_consistent(stack) -> None:
    report = stack.probe("stock", "taobao")
    assert report["differences"] == [], report["differences"]
    assert report["drift"] == {}, report["drift"]


def stock_pushed(stack) -> bool:
    return stack.probe("stock", "taobao")["drift"] == {}


def test_a_worker_killed_mid_pull_is_replaced_and_its_pull_done_again(stack, database):
    expected = stack.new_taobao_orders(30)
    stack.taobao.simulator.state.faults.delay_seconds = 0.3  # the pull takes seconds: time to kill it
    calls_before = stack.platform_calls(stack.taobao, "trade")
    stack.pull_now()
    assert wait_for(lambda: stack.platform_calls(stack.taobao, "trade") > calls_before, timeout=60), stack.logs()

    stack.kill_worker()
    stack.taobao.simulator.state.faults.delay_seconds = 0
    stack.start_worker()  # what the supervisor does

    assert resumed(lambda: all_pulled(database, expected)), stack.logs()
    assert_orders_intact(stack, database)
    assert resumed(lambda: stock_pushed(stack)), stack.logs()
    assert_stock_consistent(stack)


def test_a_worker_killed_mid_stock_push_leaves_no_sku_unpushed(stack, database):
    expected = stack.new_taobao_orders(20)
    pushes_before = stack.platform_calls(stack.taobao, "quantity")
    stack.pull_now()
    assert resumed(lambda: all_pulled(database, expected)), stack.logs()
    stack.taobao.simulator.state.faults.delay_seconds = 0.5  # each stock update takes half a second
    assert wait_for(lambda: stack.platform_calls(stack.taobao, "quantity") > pushes_before, timeout=60), stack.logs()

    stack.kill_worker()
    stack.taobao.simulator.state.faults.delay_seconds = 0
    stack.start_worker()

    assert resumed(lambda: stock_pushed(stack)), stack.logs()
    assert_orders_intact(stack, database)
    assert_stock_consistent(stack)


def test_a_redis_outage_delays_work_and_loses_none_of_it(stack, database):
    tid, body, headers = youzan_push(stack)
    stack.stop_redis()
    try:
        # The platform's delivery during the outage: a clear 503 it will redeliver, or an acknowledgement
        # once stored; never a bare 500, never lost.
        answer = post_hook(stack, body, headers)
        assert answer["status"] in (200, 503), answer
        expected = stack.new_taobao_orders(5)
        settle(30)  # the probe's 30 s outage: enqueues, heartbeats and scheduler beats fail meanwhile
    finally:
        stack.start_redis()  # empty: whatever Redis held is gone

    stack.pull_now()
    assert resumed(lambda: all_pulled(database, expected)), stack.logs()
    assert stack.scheduler.poll() is None and stack.worker.poll() is None, stack.logs()
    # Youzan redelivers what was not acknowledged; the outbox sweeper sends what was stored meanwhile.
    assert resumed(lambda: redelivered(stack, body, headers)), stack.logs()
    # The sweeper runs every minute and takes rows older than JOB_OUTBOX_GRACE: up to a minute more.
    assert resumed(lambda: tid in orders_of(database, "youzan"), timeout=90), stack.logs()
    assert post_hook(stack, body, headers)["status"] == 200  # one more redelivery: dropped
    assert len(orders_of(database, "youzan")[tid]) == 1
    assert hook_messages(database, tid) == 1
    assert_orders_intact(stack, database)
    assert resumed(lambda: stock_pushed(stack)), stack.logs()
    assert_stock_consistent(stack)


def redelivered(stack, body: bytes, headers: dict) -> bool:
    """Youzan's next try of an unacknowledged push (a second apart: the loop here is faster than Youzan)."""
    time.sleep(1)
    return post_hook(stack, body, headers)["status"] == 200


def test_terminated_database_connections_are_replaced_and_the_pull_done(stack, database):
    expected = stack.new_taobao_orders(20)
    stack.taobao.simulator.state.faults.delay_seconds = 0.3
    calls_before = stack.platform_calls(stack.taobao, "trade")
    stack.pull_now()
    assert wait_for(lambda: stack.platform_calls(stack.taobao, "trade") > calls_before, timeout=60), stack.logs()

    with database.connect() as connection:
        terminated = connection.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    stack.taobao.simulator.state.faults.delay_seconds = 0
    assert terminated > 0

    def pulled_again() -> bool:
        stack.pull_now()  # the minute's trigger or the 立即同步 button: skipped while one is on its way
        return all_pulled(database, expected)

    assert resumed(lambda: wait_for(pulled_again, timeout=5)), stack.logs()
    assert stack.worker.poll() is None and stack.scheduler.poll() is None, stack.logs()
    assert_orders_intact(stack, database)
    assert resumed(lambda: stock_pushed(stack)), stack.logs()
    assert_stock_consistent(stack)


def test_a_platform_failing_timing_out_and_throttling_is_pulled_in_full(stack, database):
    expected = stack.new_taobao_orders(10)
    faults = stack.taobao.simulator.state.faults
    faults.fail_next, faults.slow_next, faults.slow_seconds, faults.throttle_next = 1, 1, 4, 2

    stack.pull_now()

    assert resumed(lambda: all_pulled(database, expected)), stack.logs()
    assert (faults.fail_next, faults.slow_next, faults.throttle_next) == (0, 0, 0)  # each fault was met
    assert_orders_intact(stack, database)
    assert resumed(lambda: stock_pushed(stack)), stack.logs()
    assert_stock_consistent(stack)


# ---- the Youzan webhook -------------------------------------------------------------------------------

def youzan_push(stack) -> tuple[str, bytes, dict]:
    """A new order on the Youzan simulator and the push it makes for it (body, headers)."""
    simulator = stack.youzan.simulator
    before = set(simulator.state.orders)
    simulator.new_order(simulator.default_sessions["sim-youzan-token"], now_gmt8())
    [tid] = set(simulator.state.orders) - before
    body, headers = simulator.push_envelope(simulator.state.orders[tid])
    return tid, body, headers


def post_hook(stack, body: bytes, headers: dict) -> dict:
    path = stack.folder / f"hook-{time.monotonic_ns()}.json"
    path.write_bytes(body)
    return stack.probe("hook", "/hooks/youzan/youzan", str(path), json.dumps(headers))


def hook_messages(database, tid: str) -> int:
    with database.connect() as connection:
        return connection.execute(text(
            "SELECT count(*) FROM channel_hook_messages m JOIN channels c ON c.id = m.channel_id "
            "WHERE c.code = 'youzan' AND m.message_id LIKE :pattern"), {"pattern": f"%{tid}%"}).scalar()
