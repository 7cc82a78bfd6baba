"""Hot-SKU reservation benchmark: N concurrent buyers on ONE stock row, four designs side by side.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/orderhub_bench .venv/bin/python bench/reserve_hot_sku.py

Variants, each run until its stock is sold out (or ``--seconds`` pass), every reservation its own
transaction with a real commit (synchronous_commit as the server has it):

  a. naive read-modify-write: SELECT, check in Python, UPDATE SET reserved = <value computed in Python>.
     The negative control (performance anchors §1.2, P1): it must oversell, or this benchmark has no
     teeth. READ COMMITTED, and a short sleep between the read and the write widens the race.
  b. SELECT … FOR UPDATE, check in Python, then UPDATE.
  c. one conditional UPDATE … WHERE on_hand - reserved >= 1 RETURNING (what app/domain/inventory/ledger.py
     does for every stock change).
  d1. OrderHub's reservation path: app.domain.inventory.services.reserve_order for an existing order
      (reservation row + ledger row, then the guarded UPDATE last, in a savepoint), committed.
  d1g. the same reservations through the group commit (app.domain.inventory.grouped): one leader per
      stock row applies the waiting buyers' sum in one guarded UPDATE and commits once for them all.
  d2. OrderHub's order creation end to end: app.domain.orders.services.create_order (validation, order,
      lines, event, reservation, ledger; the guarded UPDATE last), committed, all on ONE hot SKU.
  d3. the cold comparison: the same create_order spread over 32 SKUs (buyer i orders SKU i), so the
      buyers hardly ever wait for each other's row locks; d2 / d3 is what contention costs.

The last line: RESULT hot_sku reserve_vs_for_update=<d1g / b> hot_vs_cold_create=<d2 / d3>
oversold=<all correct variants> reserve_order_vs_for_update=<d1 / b> create_vs_for_update=<d2 / b>
conditional_update_vs_for_update=<c / b>.

Variants a–c use a table of their own (bench_hot_sku_stock); d1/d2 use OrderHub's schema, migrated into
the same database, which must be a dedicated one: the script empties OrderHub's tables before and after
(TRUNCATE), so it refuses a database whose name does not contain "bench".

It also measures the disk's flush rate in the same run (a write + fsync loop on a file next to the
PostgreSQL data directory if readable, else in /tmp; and pg_test_fsync when installed) and prints each
variant's reservations per second as a multiple of it: one hot row commits at most about once per flush
unless many reservations share a commit (performance anchors §1.1, §6).
"""

import argparse
import contextlib
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

import psycopg

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))


@dataclass
class Result:
    name: str
    workers: int
    stock: int
    successes: int = 0
    refusals: int = 0
    errors: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    elapsed_s: float = 0.0
    recorded_reserved: int | None = None
    consistent: bool | None = None
    note: str = ""

    @property
    def oversold(self) -> int:
        return max(0, self.successes - self.stock)

    @property
    def rate(self) -> float:
        return self.successes / self.elapsed_s if self.elapsed_s else 0.0

    def percentile(self, p: float) -> float:
        if len(self.latencies_ms) < 2:
            return self.latencies_ms[0] if self.latencies_ms else float("nan")
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[int(p) - 1]


def race(name: str, workers: int, stock: int, seconds: float, attempt) -> Result:
    """Release ``workers`` threads together; each calls ``attempt(worker_state)`` until it answers
    "sold_out", time is up, or the buyers were promised three times the stock (only a broken variant
    gets there). ``attempt`` returns "ok" or "sold_out"; anything it raises is an error."""
    result = Result(name, workers, stock)
    barrier = threading.Barrier(workers + 1)
    lock = threading.Lock()
    deadline: list[float] = []
    promised = [0]

    def worker(index: int) -> None:
        state: dict = {"index": index}
        latencies, successes, refusals, errors = [], 0, 0, []
        try:
            barrier.wait(timeout=120)
            while time.perf_counter() < deadline[0] and promised[0] < 3 * stock:
                started = time.perf_counter()
                try:
                    outcome = attempt(state)
                except Exception as error:  # counted and shown: a correct variant has none
                    errors.append(f"{type(error).__name__}: {error}"[:200])
                    break
                if outcome == "sold_out":
                    refusals += 1
                    break
                latencies.append((time.perf_counter() - started) * 1000)
                successes += 1
                promised[0] += 1  # a racy counter is fine: it only bounds the run
        finally:
            with contextlib.suppress(Exception):
                state.pop("close", lambda: None)()
            with lock:
                result.successes += successes
                result.refusals += refusals
                result.errors += errors
                result.latencies_ms += latencies

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(workers)]
    for thread in threads:
        thread.start()
    deadline.append(time.perf_counter() + seconds + 1_000)  # placeholder until the barrier opens
    barrier.wait(timeout=120)
    started = time.perf_counter()
    deadline[0] = started + seconds
    for thread in threads:
        thread.join(timeout=seconds + 120)
    result.elapsed_s = time.perf_counter() - started
    return result


# --- variants a–c: one row, plain psycopg --------------------------------------------------------------

TABLE = "bench_hot_sku_stock"
COLD_SKUS = 32  # the cold comparison: create_order spread over this many SKUs, buyer i on SKU i


def plain_url(url: str) -> str:
    return re.sub(r"^postgres(ql)?(\+psycopg)?://", "postgresql://", url)


def reset_plain_table(url: str, stock: int) -> None:
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (id int PRIMARY KEY, on_hand int NOT NULL, "
                           "reserved int NOT NULL) WITH (fillfactor = 80)")
        connection.execute(f"CREATE TABLE IF NOT EXISTS {ROWS} (id bigserial PRIMARY KEY, kind text NOT NULL, "
                           "buyer int NOT NULL, at timestamptz NOT NULL DEFAULT now())")
        connection.execute(f"TRUNCATE {TABLE}, {ROWS}")
        connection.execute(f"INSERT INTO {TABLE} VALUES (1, %s, 0)", (stock,))


def plain_connection(url: str, state: dict) -> psycopg.Connection:
    if "connection" not in state:
        connection = psycopg.connect(url, autocommit=False)
        connection.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
        connection.commit()
        state["connection"], state["close"] = connection, connection.close
    return state["connection"]


def naive(url: str, race_sleep_s: float):
    def attempt(state):
        connection = plain_connection(url, state)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT on_hand, reserved FROM {TABLE} WHERE id = 1")
            on_hand, reserved = cursor.fetchone()
            if on_hand - reserved < 1:
                connection.rollback()
                return "sold_out"
            time.sleep(race_sleep_s)  # the request's other work; widens the read-to-write window
            cursor.execute(f"UPDATE {TABLE} SET reserved = %s WHERE id = 1", (reserved + 1,))
        connection.commit()
        return "ok"
    return attempt


def select_for_update(url: str):
    def attempt(state):
        connection = plain_connection(url, state)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT on_hand, reserved FROM {TABLE} WHERE id = 1 FOR UPDATE")
            on_hand, reserved = cursor.fetchone()
            if on_hand - reserved < 1:
                connection.rollback()
                return "sold_out"
            cursor.execute(f"UPDATE {TABLE} SET reserved = reserved + 1 WHERE id = 1")
        connection.commit()
        return "ok"
    return attempt


def conditional_update(url: str):
    def attempt(state):
        connection = plain_connection(url, state)
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {TABLE} SET reserved = reserved + 1 WHERE id = 1 AND on_hand - reserved >= 1 "
                           "RETURNING reserved")
            row = cursor.fetchone()
        connection.commit()
        return "ok" if row else "sold_out"
    return attempt


def with_rows(url: str, rows_first: bool):
    """(c) plus the two rows a real reservation writes (the reservation and its ledger row): after the
    guarded UPDATE, as OrderHub does, so the hot row stays locked while they are written; or before it,
    so the lock is held only from the UPDATE to the commit."""
    def attempt(state):
        connection = plain_connection(url, state)
        with connection.cursor() as cursor:
            if rows_first:
                insert_rows(cursor, state["index"])
            cursor.execute(f"UPDATE {TABLE} SET reserved = reserved + 1 WHERE id = 1 AND on_hand - reserved >= 1 "
                           "RETURNING reserved")
            if cursor.fetchone() is None:
                connection.rollback()
                return "sold_out"
            if not rows_first:
                insert_rows(cursor, state["index"])
        connection.commit()
        return "ok"
    return attempt


ROWS = "bench_hot_sku_rows"
ROW_INSERT = f"INSERT INTO {ROWS} (kind, buyer) VALUES (%s, %s)"


def insert_rows(cursor, buyer: int) -> None:
    cursor.execute(ROW_INSERT, ("reservation", buyer))
    cursor.execute(ROW_INSERT, ("movement", buyer))


def finish_plain(url: str, result: Result) -> Result:
    with psycopg.connect(url, autocommit=True) as connection:
        on_hand, reserved = connection.execute(f"SELECT on_hand, reserved FROM {TABLE} WHERE id = 1").fetchone()
        rows = connection.execute(f"SELECT count(*) FROM {ROWS}").fetchone()[0]
    result.recorded_reserved = reserved
    # Consistent: the counter says exactly what was promised, never more than the stock, and a variant
    # that writes rows wrote two per reservation and none for a refusal.
    result.consistent = reserved == result.successes and reserved <= on_hand and rows in (0, 2 * reserved)
    return result


# --- variants d1/d2: OrderHub's own code ---------------------------------------------------------------


class OrderHub:
    """OrderHub's app on the benchmark database, its schema migrated, one pooled connection per worker."""

    def __init__(self, workers: int, instance_path: str, migrate: bool = True):
        from app import create_app

        self.app = create_app({"INSTANCE_PATH": instance_path,
                               "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": workers + 2, "max_overflow": 0,
                                                             "pool_timeout": 120, "pool_pre_ping": True}})
        if migrate:
            import flask_migrate

            with self.app.app_context():
                flask_migrate.upgrade()

    def empty(self) -> None:
        """Dedicated database: TRUNCATE fires no row triggers, so the append-only tables empty too."""
        from sqlalchemy import text

        from app.extensions import db

        with self.app.app_context(), db.engine.begin() as connection:
            tables = connection.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                f"AND tablename NOT IN ('alembic_version', '{TABLE}')")).scalars().all()
            if tables:
                connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))

    def prepare(self, stock: int, orders_needed: int, skus: int = 1) -> dict:
        """One warehouse, ``skus`` SKUs sharing ``stock`` units evenly (one hot SKU by default), a
        channel, and ``orders_needed`` unpaid orders that hold nothing yet (for reserve_order)."""
        from sqlalchemy import insert

        from app.db import utcnow
        from app.domain.catalog.models import Sku
        from app.domain.inventory import services as inventory
        from app.domain.inventory.ledger import Change
        from app.domain.orders.models import Order
        from app.domain.reference.models import Channel, Warehouse
        from app.extensions import db

        self.empty()
        with self.app.app_context():
            warehouse = Warehouse(code="BENCH-WH", name="压测仓", province="上海市", city="上海市",
                                  latitude=31.23, longitude=121.47, priority=1)
            all_skus = [Sku(code="BENCH-HOT" if skus == 1 else f"BENCH-COLD-{i:02d}", name="爆款", price_fen=9900)
                        for i in range(skus)]
            sku = all_skus[0]
            channel = Channel(code="bench", platform="miniapp", shop_name="压测店铺")
            db.session.add_all([warehouse, *all_skus, channel])
            db.session.flush()
            inventory.receive(warehouse, [(each, stock // skus) for each in all_skus], Change("bench", "压测入库"))
            now = utcnow()
            if orders_needed:
                db.session.execute(insert(Order), [{
                    "order_no": f"BENCH{i:010d}", "channel_id": channel.id, "status": "01",
                    "receiver_name": "买家", "receiver_phone": "13800138000", "receiver_province": "上海市",
                    "receiver_city": "上海市", "receiver_address": "世纪大道 1 号", "goods_fen": 9900,
                    "payable_fen": 9900, "status_changed_at": now, "payment_due_at": now,
                } for i in range(orders_needed)])
            db.session.commit()
            order_ids = list(db.session.scalars(db.select(Order.id).order_by(Order.id)))
            return {"warehouse": warehouse.id, "sku": sku.id, "sku_code": sku.code, "channel": channel.id,
                    "orders": order_ids, "sku_codes": [each.code for each in all_skus]}

    def reserve_order(self, ids: dict):
        from app.domain.errors import OutOfStock
        from app.domain.inventory import services as inventory
        from app.domain.inventory.ledger import Change
        from app.extensions import db

        next_order = iter(ids["orders"])
        take = threading.Lock()

        def attempt(state):
            with take:
                order_id = next(next_order)
            with self.app.app_context():
                try:
                    inventory.reserve_order(order_id, {ids["sku"]: 1}, [ids["warehouse"]],
                                            Change("bench", "压测预占", order_id))
                    db.session.commit()
                except OutOfStock:
                    db.session.rollback()
                    return "sold_out"
            return "ok"
        return attempt

    def reserve_grouped(self, ids: dict):
        """reserve_order's work through the group commit: one leader per stock row applies the waiting
        buyers' sum in one guarded UPDATE and commits once for all of them."""
        from app.domain.errors import OutOfStock
        from app.domain.inventory.grouped import GroupCommit, ReservationRequest, reserve_together
        from app.domain.inventory.ledger import Change
        from app.extensions import db

        next_order = iter(ids["orders"])
        take = threading.Lock()

        def committed_batch(warehouse_id: int, sku_id: int, requests: list) -> list:
            with self.app.app_context():
                outcomes = reserve_together(warehouse_id, sku_id, requests)
                db.session.commit()
                return outcomes

        group = GroupCommit(committed_batch)

        def attempt(state):
            with take:
                order_id = next(next_order)
            try:
                group.reserve(ids["warehouse"], ids["sku"],
                              ReservationRequest(order_id, 1, Change("bench", "压测预占", order_id)))
            except OutOfStock:
                return "sold_out"
            return "ok"
        return attempt

    def create_order(self, ids: dict):
        from app.domain.errors import OutOfStock
        from app.domain.orders import services
        from app.domain.orders.inputs import LineInput, OrderInput, Receiver
        from app.domain.reference.models import Channel
        from app.extensions import db

        codes = ids["sku_codes"]  # one hot SKU, or buyer i on SKU i of the cold comparison

        def attempt(state):
            data = OrderInput(receiver=Receiver(name="买家", phone="13800138000", province="上海市", city="上海市",
                                                address="世纪大道 1 号"),
                              lines=[LineInput(sku=codes[state.get("index", 0) % len(codes)], quantity=1)])
            with self.app.app_context():
                try:
                    services.create_order(db.session.get(Channel, ids["channel"]), data, "bench")
                    db.session.commit()
                except OutOfStock:
                    db.session.rollback()
                    return "sold_out"
            return "ok"
        return attempt

    def finish(self, ids: dict, result: Result) -> Result:
        from app.domain.inventory.models import StockLevel
        from app.domain.orders.consistency import stock_differences
        from app.extensions import db

        with self.app.app_context():
            levels = db.session.scalars(db.select(StockLevel)).all()
            result.recorded_reserved = sum(level.reserved for level in levels)
            differences = stock_differences()
            result.consistent = (not differences and result.recorded_reserved == result.successes
                                 and all(level.reserved <= level.on_hand for level in levels))
            if differences:
                result.note = differences[0]
        return result


def race_processes(name: str, workers: int, stock: int, seconds: float, variant: str, ids: dict,
                   instance: str) -> Result:
    """The same race with ``workers`` OS processes (like single-threaded gunicorn workers): no GIL
    shared between buyers, each process with its own app and one connection."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    barrier, queue = context.Barrier(workers + 1), context.Queue()
    processes = [context.Process(target=_process_buyer, daemon=True,
                                 args=(variant, ids, i, workers, stock, seconds, instance, barrier, queue))
                 for i in range(workers)]
    for process in processes:
        process.start()
    barrier.wait(timeout=600)  # every process has built its app and is ready
    started = time.perf_counter()
    result = Result(name, workers, stock)
    for _ in processes:
        successes, refusals, errors, latencies = queue.get(timeout=seconds + 300)
        result.successes += successes
        result.refusals += refusals
        result.errors += errors
        result.latencies_ms += latencies
    result.elapsed_s = time.perf_counter() - started
    for process in processes:
        process.join(timeout=60)
    return result


def _process_buyer(variant, ids, index, workers, stock, seconds, instance, barrier, queue) -> None:
    from sqlalchemy import text

    from app.extensions import db

    hub = OrderHub(1, instance, migrate=False)
    if variant == "reserve_order":
        attempt = hub.reserve_order(ids | {"orders": ids["orders"][index::workers]})
    else:
        attempt = hub.create_order(ids)
    with hub.app.app_context():
        db.session.execute(text("SELECT 1"))  # connect before the race, not during it
    latencies, successes, refusals, errors = [], 0, 0, []
    barrier.wait(timeout=600)
    deadline = time.perf_counter() + seconds
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                outcome = attempt({})
            except StopIteration:  # this process used up its slice of pre-created orders
                break
            except Exception as error:
                errors.append(f"{type(error).__name__}: {error}"[:200])
                break
            if outcome == "sold_out":
                refusals += 1
                break
            latencies.append((time.perf_counter() - started) * 1000)
            successes += 1
    finally:
        queue.put((successes, refusals, errors, latencies))


# --- calibration and description -----------------------------------------------------------------------


def fsync_rate(directory: str, seconds: float = 2.0) -> float:
    """write(8 KiB) + fsync() per iteration, like a commit's WAL flush; returns flushes per second."""
    path = Path(directory) / f"bench-fsync-{os.getpid()}.tmp"
    block = b"\0" * 8192
    count = 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        started = time.perf_counter()
        while time.perf_counter() - started < seconds:
            os.pwrite(fd, block, 0)
            os.fsync(fd)
            count += 1
        return count / (time.perf_counter() - started)
    finally:
        os.close(fd)
        path.unlink(missing_ok=True)


def pg_test_fsync_rate(directory: str) -> str | None:
    """pg_test_fsync's fdatasync figure (ops/s, 8 kB writes), if the tool is installed."""
    tool = shutil.which("pg_test_fsync") or next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_test_fsync"))),
                                                  None)
    if tool is None:
        return None
    target = Path(directory) / f"bench-pg-test-fsync-{os.getpid()}.tmp"
    try:
        output = subprocess.run([str(tool), "-s", "1", "-f", str(target)], capture_output=True, text=True,
                                timeout=120).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    finally:
        target.unlink(missing_ok=True)
    match = re.search(r"^\s+fdatasync\s+([\d.]+) ops/sec", output, re.MULTILINE)
    return match.group(1) if match else None


def describe(url: str) -> list[str]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    with psycopg.connect(url, autocommit=True) as connection:
        version = connection.execute("SELECT version()").fetchone()[0]
        settings = {name: connection.execute(f"SHOW {name}").fetchone()[0]
                    for name in ("synchronous_commit", "fsync", "wal_sync_method", "shared_buffers", "max_connections")}
        data_directory = None
        with contextlib.suppress(psycopg.Error):
            data_directory = connection.execute("SHOW data_directory").fetchone()[0]
    return [f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            f"machine: {os.cpu_count()} cores, {cpu}; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}",
            f"PostgreSQL: {version.split(' on ')[0]}; " + ", ".join(f"{k}={v}" for k, v in settings.items()),
            f"data directory: {data_directory or '(not readable)'}"]


def flush_directory(url: str) -> str:
    """A directory on the PostgreSQL data directory's filesystem when we can write there, else /tmp."""
    with psycopg.connect(url, autocommit=True) as connection:
        try:
            data_directory = connection.execute("SHOW data_directory").fetchone()[0]
        except psycopg.Error:
            return tempfile.gettempdir()
    parent = Path(data_directory).parent
    return str(parent) if os.access(parent, os.W_OK) else tempfile.gettempdir()


# --- main ------------------------------------------------------------------------------------------------


def table(results: list[Result], flushes: float) -> list[str]:
    header = (f"| {'variant':<46} | workers | sold | stock | oversold | counter | reservations/s | p50 ms | p95 ms "
              f"| × fsync/s | consistent |")
    lines = [header, "|" + "|".join("-" * (len(cell) + 0) for cell in header.split("|")[1:-1]) + "|"]
    for r in results:
        consistent = "yes" if r.consistent else "NO"
        lines.append(f"| {r.name:<46} | {r.workers:>7} | {r.successes:>4} | {r.stock:>5} | {r.oversold:>8} "
                     f"| {r.recorded_reserved!s:>7} | {r.rate:>14.0f} | {r.percentile(50):>6.1f} | {r.percentile(95):>6.1f} "
                     f"| {r.rate / flushes:>9.2f} | {consistent:>10} |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""),
                        help="PostgreSQL URL of a dedicated database (default: $DATABASE_URL)")
    parser.add_argument("--workers", type=int, default=32, help="concurrent buyers (threads, one connection each)")
    parser.add_argument("--stock", type=int, default=1000, help="units on the hot row for each variant")
    parser.add_argument("--seconds", type=float, default=15.0, help="time limit per variant")
    parser.add_argument("--race-sleep-ms", type=float, default=1.0, help="naive variant: pause between read and write")
    parser.add_argument("--skip-orderhub", action="store_true", help="only the plain SQL variants a–c")
    parser.add_argument("--processes", action="store_true",
                        help="also run d1/d2 with one OS process per buyer (no shared GIL)")
    args = parser.parse_args()

    url = args.database_url
    if not url.startswith(("postgres://", "postgresql")):
        print("DATABASE_URL=postgresql://… is required (a dedicated database, e.g. orderhub_bench)", file=sys.stderr)
        return 2
    database = urlparse(plain_url(url)).path.lstrip("/")
    if "bench" not in database:
        print(f"refusing database {database!r}: the benchmark empties OrderHub's tables, so its database "
              "name must contain 'bench'", file=sys.stderr)
        return 2
    url = plain_url(url)
    os.environ["DATABASE_URL"] = url  # OrderHub's app (variants d) reads its database from here

    print("\n".join(describe(url)))
    directory = flush_directory(url)
    flushes = fsync_rate(directory)
    pg_fdatasync = pg_test_fsync_rate(directory)
    print(f"disk flushes: {flushes:.0f}/s (Python write 8 KiB + fsync loop in {directory})"
          + (f"; pg_test_fsync fdatasync {pg_fdatasync} ops/s" if pg_fdatasync else "; pg_test_fsync not found"))
    print(f"workload: {args.workers} threads, each with its own connection, released together by a barrier; "
          f"{args.stock} units per variant; each variant runs until sold out or {args.seconds:.0f} s\n")

    results = []
    sleep_s = args.race_sleep_ms / 1000
    plain = [(f"a. naive read-modify-write (+{args.race_sleep_ms:g} ms)", naive(url, sleep_s)),
             ("b. SELECT … FOR UPDATE, then UPDATE", select_for_update(url)),
             ("c. one conditional UPDATE", conditional_update(url)),
             ("c2. (c), then insert its 2 rows (lock held)", with_rows(url, rows_first=False)),
             ("c3. insert 2 rows, then (c) (lock held less)", with_rows(url, rows_first=True))]
    try:
        for name, attempt in plain:
            reset_plain_table(url, args.stock)
            results.append(finish_plain(url, race(name, args.workers, args.stock, args.seconds, attempt)))
            print(f"  done: {name}", flush=True)
        if not args.skip_orderhub:
            with tempfile.TemporaryDirectory(prefix="orderhub-bench-") as instance:
                hub = OrderHub(args.workers, instance)
                try:
                    ids = hub.prepare(args.stock, orders_needed=args.stock + args.workers * 2)
                    result = race("d1. OrderHub inventory.reserve_order", args.workers, args.stock, args.seconds,
                                  hub.reserve_order(ids))
                    results.append(hub.finish(ids, result))
                    print("  done: d1", flush=True)
                    ids = hub.prepare(args.stock, orders_needed=args.stock + args.workers * 2)
                    result = race("d1g. reserve, group commit per stock row", args.workers, args.stock,
                                  args.seconds, hub.reserve_grouped(ids))
                    results.append(hub.finish(ids, result))
                    print("  done: d1g", flush=True)
                    ids = hub.prepare(args.stock, orders_needed=0)
                    result = race("d2. OrderHub orders.create_order (end to end)", args.workers, args.stock,
                                  args.seconds, hub.create_order(ids))
                    results.append(hub.finish(ids, result))
                    print("  done: d2", flush=True)
                    ids = hub.prepare(args.stock, orders_needed=0, skus=COLD_SKUS)
                    result = race(f"d3. create_order, cold: {COLD_SKUS} SKUs", args.workers,
                                  args.stock // COLD_SKUS * COLD_SKUS, args.seconds, hub.create_order(ids))
                    results.append(hub.finish(ids, result))
                    print("  done: d3", flush=True)
                    if args.processes:
                        # Each process gets its own slice of unpaid orders, four times its fair share.
                        ids = hub.prepare(args.stock, orders_needed=4 * args.stock + args.workers)
                        result = race_processes(f"d1p. reserve_order, {args.workers} processes", args.workers,
                                                args.stock, args.seconds, "reserve_order", ids, instance)
                        results.append(hub.finish(ids, result))
                        ids = hub.prepare(args.stock, orders_needed=0)
                        result = race_processes(f"d2p. create_order, {args.workers} processes", args.workers,
                                                args.stock, args.seconds, "create_order", ids, instance)
                        results.append(hub.finish(ids, result))
                        print("  done: d1p, d2p", flush=True)
                finally:
                    hub.empty()
                    from app.extensions import db

                    with hub.app.app_context():
                        db.engine.dispose()
    finally:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(f"DROP TABLE IF EXISTS {TABLE}, {ROWS}")

    print()
    print("\n".join(table(results, flushes)))
    print(f"\n(× fsync/s: reservations per second divided by the {flushes:.0f} flushes/s measured above; "
          "'counter' is the reserved count the row ended with; 'sold' counts the buyers who were told yes.)")
    for r in results:
        if r.errors:
            print(f"{r.name}: {len(r.errors)} errors, e.g. {r.errors[0]}")
        if r.note:
            print(f"{r.name}: {r.note}")
    naive_result = results[0]
    if naive_result.oversold == 0 and naive_result.recorded_reserved == naive_result.successes:
        print("WARNING: the naive variant neither oversold nor lost an update: this run has no teeth "
              "(raise --workers or --race-sleep-ms)")
    else:
        print(f"negative control: the naive variant promised {naive_result.successes} units of {naive_result.stock} "
              f"(oversold {naive_result.oversold}); its counter recorded only {naive_result.recorded_reserved} "
              "(lost updates)")
    wrong = [r.name for r in results[1:] if r.oversold or not r.consistent or r.errors]
    if wrong:
        print("FAILED correctness gate: " + "; ".join(wrong))
    print(result_line(results))
    return 1 if wrong else 0


def result_line(results: list[Result]) -> str:
    """The run's figures as ratios to the SELECT … FOR UPDATE baseline (b.) measured in the same run;
    the naive variant (a.) oversells on purpose and is left out of the oversold count."""
    by_prefix = {r.name.split(".")[0]: r for r in results}
    baseline = by_prefix["b"].rate or float("nan")

    def ratio(prefix: str) -> str:
        return f"{by_prefix[prefix].rate / baseline:.2f}" if prefix in by_prefix else "n/a"

    def hot_vs_cold() -> str:
        if "d2" not in by_prefix or "d3" not in by_prefix or not by_prefix["d3"].rate:
            return "n/a"
        return f"{by_prefix['d2'].rate / by_prefix['d3'].rate:.2f}"

    oversold = sum(r.oversold for r in results[1:])
    return (f"RESULT hot_sku reserve_vs_for_update={ratio('d1g')} hot_vs_cold_create={hot_vs_cold()} "
            f"oversold={oversold} reserve_order_vs_for_update={ratio('d1')} create_vs_for_update={ratio('d2')} "
            f"conditional_update_vs_for_update={ratio('c')}")


if __name__ == "__main__":
    sys.exit(main())
