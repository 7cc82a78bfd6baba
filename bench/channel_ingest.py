"""Benchmark: channel order ingest and stock push-back against the Taobao simulator (P9).

    .venv/bin/python bench/channel_ingest.py [--rate 50] [--seconds 20] [--backlog 500] [--stock-changes 10]
        [--push-rate 100] [--push-seconds 10] [--push-backlog 100] [--workers 2]

It creates a dedicated PostgreSQL database (``orderhub_ingest_bench_b``, on the server of ``DATABASE_URL``
or ``--postgres``), migrates and seeds it, empties Redis db 4, and starts the Taobao (TOP) and Douyin
(抖店) simulators in-process on free ports and OrderHub itself (werkzeug ``make_server`` in a thread, on
this database and Redis db) so that the Douyin simulator can push to its hook. Then, in one run:

1. Steady events: new platform orders are created in the simulator at ``--rate`` per second for
   ``--seconds``; one "worker" (this process) runs the pull job ``workers.channel_sync.pull_channel``
   back to back, calling the job function directly (the same unit of work an RQ worker runs, without
   the queue), and an observer polls the database every 50 ms for the orders that became visible.
   Printed: event → order visible p50/p95/p99 (Taobao and JD have no push hook: pulled).
2. Backlog: ``--backlog`` orders are placed in the simulator at once and one pull ingests them all:
   orders per second for one worker (wall time of the job, pages, detail calls and commits included).
3. Baseline, same run: the same backlog orders created directly through
   ``app.domain.orders.services.create_order`` (inputs prepared beforehand, a commit per 100 orders) on a
   channel without sync; the ratio pull / direct (``per_worker_vs_direct``). The pull commits every order.
2b. Push backlog: ``--push-backlog`` orders pushed to the hook with no worker running, then one burst
   of an in-process RQ ``SimpleWorker`` (JSON serializer) drains the queue: orders per second for one
   worker (detail call over HTTP included).
5. Worker processes: real ``flask --app wsgi worker channels`` processes (on this database, Redis db and
   the simulators). A backlog of ``--backlog`` orders, pulled by the shop's pull job on ONE worker process
   (its helper jobs queue behind it), then another backlog with ``--workers`` processes (the pull lists
   the backlog, helper jobs on the other processes take orders off it): orders per second from the job
   being queued to the last order visible, and the ratio (``two_workers_speedup``).
1b. Pushed events, with those ``--workers`` processes: new Douyin orders at ``--push-rate`` per second
   for ``--push-seconds``, each pushed by the simulator (signed HTTP POST, as 抖店 does) to
   ``POST /hooks/douyin/<shop>`` of the in-process OrderHub, which queues ``fetch_pushed_order``; event →
   order visible p50/p95/p99 (``push_p95_ms``).
4. Stock back (worker processes stopped): ``--stock-changes`` stock receipts on SKUs listed on the shop,
   at random moments, while the production cadence runs (ledger scan every 3 s, stock push 2 s after a
   SKU turns dirty); change committed → the simulator shows the new quantity, p50/p95.

Every loop is bounded by count and time; the worker processes, the servers are stopped, Redis db 4
emptied and the database dropped at the end, whatever happens. Prints the machine description first
and, last, ``RESULT ingest per_worker_vs_direct=… two_workers_speedup=… push_p95_ms=…``.
"""

import argparse
import contextlib
import os
import platform
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

SELLER = "小满生活淘宝店"
SESSION = "sim-taobao-session"
DOUYIN_SELLER = "小满生活抖音小店"  # the Douyin simulator's demo session's shop
DOUYIN_SESSION = "sim-douyin-token"
DOUYIN_SHOP = "dy-bench"
LOOKBACK_IDS = 200


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", default=server_of(os.environ.get("DATABASE_URL", "")),
                        help="server URL without a database name (default: DATABASE_URL's server)")
    parser.add_argument("--database", default="orderhub_ingest_bench_b")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/4")
    parser.add_argument("--rate", type=float, default=50.0, help="new platform orders per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long events are generated")
    parser.add_argument("--drain", type=float, default=60.0, help="at most this long to catch up afterwards")
    parser.add_argument("--backlog", type=int, default=500)
    parser.add_argument("--stock-changes", type=int, default=10)
    parser.add_argument("--push-rate", type=float, default=100.0, help="new pushed Douyin orders per second")
    parser.add_argument("--push-seconds", type=float, default=10.0)
    parser.add_argument("--push-backlog", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2, help="worker processes for 5. and 1b.")
    return parser.parse_args()


def server_of(url: str) -> str:
    if not url.startswith("postgres"):
        return "postgresql://postgres@127.0.0.1:5432"
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def machine() -> str:
    model = ""
    with contextlib.suppress(OSError, StopIteration):
        model = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("model name"))
    memory = ""
    try:
        kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal")))
        memory = f", {kb / 1024 / 1024:.1f} GiB RAM"
    except (OSError, StopIteration):
        pass
    return (f"{platform.system()} {platform.release()} {platform.machine()}, {os.cpu_count()} CPUs {model}{memory}, "
            f"Python {platform.python_version()}")


def percentiles(values: list[float]) -> str:
    if not values:
        return "n/a (no samples)"
    ordered = sorted(values)
    pick = lambda share: ordered[min(len(ordered) - 1, int(share * len(ordered)))]  # noqa: E731
    return (f"p50 {statistics.median(ordered) * 1000:.0f} ms, p95 {pick(0.95) * 1000:.0f} ms, "
            f"p99 {pick(0.99) * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms (n={len(ordered)})")


# ---- set-up --------------------------------------------------------------------------------------

def recreate_database(server_url: str, name: str, drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            connection.execute(f'CREATE DATABASE "{name}"')


def seed(app, simulator) -> dict:
    """Migrate; a warehouse with plenty of every simulator SKU; the Taobao shop and the Douyin shop with
    the simulators' credentials (both simulators sell the same demo catalog); a plain channel for the
    baseline."""
    import flask_migrate

    from app.domain.catalog.models import Sku
    from app.domain.channels.connect import settings_of
    from app.domain.channels.shop_settings import CredentialsData, save_credentials
    from app.domain.inventory import services as inventory
    from app.domain.inventory.ledger import Change
    from app.domain.reference.models import Channel, Warehouse
    from app.extensions import db
    from app.redis_conn import get_redis
    from app.simulators import douyin, taobao

    with app.app_context():
        flask_migrate.upgrade(directory=str(PROJECT_ROOT / "migrations"))
        get_redis().flushdb()
        warehouse = Warehouse(code="WH-BENCH", name="压测仓", province="上海市", city="上海市", latitude=31.23,
                              longitude=121.47, daily_capacity=1_000_000, priority=1)
        skus = [Sku(code=code, name=title[:60], weight_g=300, price_fen=price, tax_rate_bp=1300)
                for code, title, price in simulator.catalog]
        shop = Channel(code="tb-bench", platform="taobao", shop_name=SELLER, unpaid_timeout_minutes=3 * 24 * 60)
        pushing = Channel(code=DOUYIN_SHOP, platform="douyin", shop_name=DOUYIN_SELLER,
                          unpaid_timeout_minutes=3 * 24 * 60)
        plain = Channel(code="direct-bench", platform="miniapp", shop_name="基线小店", unpaid_timeout_minutes=3 * 24 * 60)
        db.session.add_all([warehouse, *skus, shop, pushing, plain])
        db.session.flush()
        inventory.receive(warehouse, [(sku, 1_000_000) for sku in skus], Change("bench", "压测入库"))
        save_credentials(shop, CredentialsData(taobao.DEMO_APP_KEY, taobao.DEMO_APP_SECRET, SESSION, ""), "bench")
        settings_of(shop).calls_per_second = 10_000
        save_credentials(pushing, CredentialsData(douyin.DEMO_APP_KEY, douyin.DEMO_APP_SECRET, DOUYIN_SESSION,
                                                  douyin.DEMO_APP_SECRET, douyin.DEMO_REFRESH_TOKEN), "bench")
        settings_of(pushing).calls_per_second = 10_000
        db.session.commit()
        return {"shop": shop.id, "douyin": pushing.id, "plain": plain.id, "warehouse": warehouse.id}


# ---- 1. steady events ----------------------------------------------------------------------------

class Observer(threading.Thread):
    """Polls the orders table and stamps each external id the moment it is first seen (committed)."""

    def __init__(self, app, channel_id: int):
        super().__init__(daemon=True)
        self.app, self.channel_id = app, channel_id
        self.seen: dict[str, float] = {}
        self.stopped = threading.Event()

    def run(self) -> None:
        from sqlalchemy import select

        from app.domain.orders.models import Order
        from app.extensions import db

        with self.app.app_context():
            last_id = 0
            while not self.stopped.wait(0.05):
                # Several workers commit out of id order (an id is taken at the insert, seen at the commit):
                # look back LOOKBACK_IDS ids, more than the orders in flight at once, so none is missed.
                rows = db.session.execute(select(Order.id, Order.external_id).where(
                    Order.channel_id == self.channel_id, Order.id > last_id - LOOKBACK_IDS)).all()
                db.session.rollback()  # a fresh snapshot next time
                now = time.monotonic()
                for order_id, external_id in rows:
                    self.seen.setdefault(external_id, now)
                    last_id = max(last_id, order_id)


def steady_events(app, simulator, shop_id: int, args) -> dict:
    from workers.channel_sync import pull_channel

    created: dict[str, float] = {}
    total = int(args.rate * args.seconds)
    done = threading.Event()

    def generate() -> None:
        start = time.monotonic()
        for number in range(total):
            delay = start + number / args.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            trade = simulator.new_order(SELLER, _now_gmt8())
            created[trade["tid_str"]] = time.monotonic()
        done.set()

    observer = Observer(app, shop_id)
    observer.start()
    generator = threading.Thread(target=generate, daemon=True)
    pulls, busy = 0, 0.0
    generator.start()
    deadline = time.monotonic() + args.seconds + args.drain
    with app.app_context():
        while time.monotonic() < deadline:
            began = time.monotonic()
            pull_channel(shop_id, "bench")
            busy += time.monotonic() - began
            pulls += 1
            if done.is_set() and all(tid in observer.seen for tid in created):
                break
    time.sleep(0.2)
    observer.stopped.set()
    observer.join(timeout=5)
    generator.join(timeout=5)
    latencies = [observer.seen[tid] - at for tid, at in created.items() if tid in observer.seen]
    return {"events": len(created), "visible": len(latencies), "latencies": latencies, "pulls": pulls,
            "busy": busy}


def _now_gmt8():
    from app.simulators.shop_platform import now_gmt8

    return now_gmt8()


# ---- 1b. pushed events and 2b. push backlog ------------------------------------------------------

def serve_orderhub(app):
    """OrderHub's own WSGI app on a free port in a thread (the hook the Douyin simulator posts to)."""
    from werkzeug.serving import make_server

    from app.simulators.shop_platform import QuietHandler

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="orderhub",
                              daemon=True)
    thread.start()
    return server, thread


def rq_worker():
    from rq import SimpleWorker
    from rq.serializers import JSONSerializer

    from app.jobs import get_queue
    from app.redis_conn import get_redis

    return SimpleWorker([get_queue("channels")], connection=get_redis(), serializer=JSONSerializer)


def push_one(simulator) -> tuple[str, float]:
    """A new Douyin order; the simulator pushes it to the hook at once (synchronous HTTP POST)."""
    order = simulator.new_order(DOUYIN_SELLER, _now_gmt8())
    at = time.monotonic()
    simulator.flush_pushes()
    return order["order_id"], at


def pushed_events(app, simulator, channel_id: int, args) -> dict:
    """Orders pushed at ``--push-rate`` while the worker processes (5.) run the hook's jobs."""
    created: dict[str, float] = {}
    total = int(args.push_rate * args.push_seconds)
    done = threading.Event()

    def generate() -> None:
        start = time.monotonic()
        for number in range(total):
            delay = start + number / args.push_rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            order_id, at = push_one(simulator)
            created[order_id] = at
        done.set()

    observer = Observer(app, channel_id)
    observer.start()
    generator = threading.Thread(target=generate, daemon=True)
    generator.start()
    deadline = time.monotonic() + args.push_seconds + args.drain
    while time.monotonic() < deadline:
        time.sleep(0.1)
        if done.is_set() and all(order_id in observer.seen for order_id in list(created)):
            break
    time.sleep(0.2)
    observer.stopped.set()
    observer.join(timeout=5)
    generator.join(timeout=5)
    ended = time.monotonic()
    latencies = [observer.seen[order_id] - at for order_id, at in created.items() if order_id in observer.seen]
    # An order still not visible counts with the time it has waited so far (a lower bound), so that a
    # drain cut short cannot make the percentiles look better than they are.
    waited = [ended - at for order_id, at in created.items() if order_id not in observer.seen]
    return {"events": len(created), "visible": len(latencies), "latencies": latencies, "all": latencies + waited}


def push_backlog(app, simulator, channel_id: int, count: int) -> tuple[float, int, int, float]:
    from sqlalchemy import func, select

    from app.domain.orders.models import Order
    from app.extensions import db
    from app.jobs import get_queue

    began = time.monotonic()
    for _ in range(count):
        push_one(simulator)
    pushing = time.monotonic() - began
    with app.app_context():
        queued = get_queue("channels").count
        before = db.session.scalar(select(func.count()).select_from(Order).where(Order.channel_id == channel_id))
        db.session.rollback()
        began = time.monotonic()
        rq_worker().work(burst=True, logging_level="WARNING")
        elapsed = time.monotonic() - began
        after = db.session.scalar(select(func.count()).select_from(Order).where(Order.channel_id == channel_id))
        db.session.rollback()
    return elapsed, after - before, queued, pushing


def failed_jobs(app) -> int:
    from rq.registry import FailedJobRegistry

    from app.jobs import get_queue

    with app.app_context():
        return FailedJobRegistry(queue=get_queue("channels")).count


# ---- 2. backlog and 3. baseline ------------------------------------------------------------------

def backlog(app, simulator, shop_id: int, count: int) -> tuple[float, int, list[dict]]:
    from sqlalchemy import func, select

    from app.domain.orders.models import Order
    from app.extensions import db
    from workers.channel_sync import pull_channel

    trades = [simulator.new_order(SELLER, _now_gmt8()) for _ in range(count)]
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Order).where(Order.channel_id == shop_id))
        db.session.rollback()
        began = time.monotonic()
        pull_channel(shop_id, "bench")
        elapsed = time.monotonic() - began
        after = db.session.scalar(select(func.count()).select_from(Order).where(Order.channel_id == shop_id))
        db.session.rollback()
    return elapsed, after - before, trades


def baseline(app, shop_id: int, plain_id: int, trades: list[dict]) -> tuple[float, int]:
    """The same orders, created directly through the orders service (mapped beforehand, not timed)."""
    from dataclasses import replace

    from app.domain.channels import mapping, normalise
    from app.domain.orders import services
    from app.domain.reference.models import Channel
    from app.extensions import db

    with app.app_context():
        shop, plain = db.session.get(Channel, shop_id), db.session.get(Channel, plain_id)
        spec = normalise.spec_for(shop)
        inputs = [replace(normalise.order_input(shop, mapping.apply(spec, trade)), external_id=f"D{trade['tid_str']}")
                  for trade in trades]
        db.session.rollback()
        created = 0
        began = time.monotonic()
        for number, data in enumerate(inputs, start=1):
            _, was_created = services.create_order(plain, data, "bench")
            created += int(was_created)
            if number % 100 == 0:
                db.session.commit()
        db.session.commit()
        return time.monotonic() - began, created


# ---- 5. worker processes -------------------------------------------------------------------------

def start_workers(app, count: int, environment: dict) -> list[subprocess.Popen]:
    """``count`` real worker processes on the ``channels`` queue; returns once all have registered."""
    from rq import Worker

    from app.redis_conn import get_redis

    with app.app_context():
        before = len(Worker.all(connection=get_redis()))
    workers = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "channels"],
                                cwd=PROJECT_ROOT, env=os.environ | environment, stdout=subprocess.DEVNULL)
               for _ in range(count)]
    deadline = time.monotonic() + 60
    with app.app_context():
        while len(Worker.all(connection=get_redis())) < before + count and time.monotonic() < deadline:
            time.sleep(0.2)
    return workers


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        worker.terminate()  # SIGTERM: RQ lets the current job finish
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def queued_pull(app, simulator, shop_id: int, count: int) -> tuple[float, int]:
    """``count`` new orders, then the shop's pull job queued as cron does; seconds until all are visible."""
    from sqlalchemy import func, select

    from app.domain.channels.queueing import enqueue_once, pull_job_id
    from app.domain.orders.models import Order
    from app.extensions import db

    for _ in range(count):
        simulator.new_order(SELLER, _now_gmt8())
    with app.app_context():
        orders = select(func.count()).select_from(Order).where(Order.channel_id == shop_id)
        before = db.session.scalar(orders)
        db.session.rollback()
        began = time.monotonic()
        enqueue_once("workers.channel_sync.pull_channel", shop_id, "bench", job_id=pull_job_id(shop_id))
        deadline = began + 300
        while (made := db.session.scalar(orders) - before) < count and time.monotonic() < deadline:
            db.session.rollback()
            time.sleep(0.05)
        elapsed = time.monotonic() - began
        db.session.rollback()
    return elapsed, made


# ---- 4. stock back -------------------------------------------------------------------------------

def stock_pushes(app, simulator, ids: dict, changes: int) -> list[float]:
    """Receive one unit of a listed SKU at random moments; time until the simulator shows a new level,
    while scans run every 3 s and a dirty shop is pushed 2 s later (the production cadence)."""
    from sqlalchemy import select

    from app.domain.catalog.models import Sku
    from app.domain.channels.models import PlatformListing
    from app.domain.inventory import services as inventory
    from app.domain.inventory.ledger import Change
    from app.domain.reference.models import Warehouse
    from app.extensions import db
    from workers.channel_sync import push_stock, scan_stock_changes

    stopped = threading.Event()

    def cadence() -> None:
        with app.app_context():
            scan_stock_changes()  # the ledger so far (the orders above): not timed
            push_stock(ids["shop"])
            while not stopped.wait(3):
                scan_stock_changes()
                if stopped.wait(2):
                    break
                push_stock(ids["shop"])

    with app.app_context():
        listings = db.session.execute(select(PlatformListing.platform_code, PlatformListing.item_id)
                                      .where(PlatformListing.channel_id == ids["shop"])).all()
        db.session.rollback()
    worker = threading.Thread(target=cadence, daemon=True)
    worker.start()
    time.sleep(6)  # the first scan and push of the orders' reservations settle
    rng = random.Random(4)
    latencies = []
    with app.app_context():
        warehouse = db.session.get(Warehouse, ids["warehouse"])
        for _ in range(changes):
            time.sleep(rng.uniform(0.2, 3.0))
            code, item_id = rng.choice(listings)
            key = f"{item_id}:{code}"
            shown = simulator.state.stock.get(key)
            sku = db.session.scalar(select(Sku).where(Sku.code == code))
            inventory.receive(warehouse, [(sku, 1)], Change("bench", "压测补货"))
            db.session.commit()
            changed_at = time.monotonic()
            deadline = changed_at + 20
            while time.monotonic() < deadline and simulator.state.stock.get(key) == shown:
                time.sleep(0.02)
            if simulator.state.stock.get(key) != shown:
                latencies.append(time.monotonic() - changed_at)
    stopped.set()
    worker.join(timeout=15)
    return latencies


# ---- main ----------------------------------------------------------------------------------------

def main() -> None:
    args = parse_args()
    os.environ.setdefault("ORDERHUB_INSTANCE_PATH", "/tmp/orderhub-ingest-bench")
    from app import create_app
    from app.config import normalise_database_url
    from app.redis_conn import get_redis
    from app.simulators import douyin, taobao
    from app.simulators.shop_platform import serve

    print("channel ingest benchmark (P9)")
    print("machine:", machine())
    simulator = taobao.TaobaoSimulator(seed=11)
    simulator.state.faults.calls_per_second = 100_000  # measure us, not the simulated platform's limit
    running = serve(simulator)
    pusher = douyin.DouyinSimulator(seed=13)
    pusher.state.faults.calls_per_second = 100_000
    pushing = serve(pusher)
    database_url = f"{args.postgres}/{args.database}"
    recreate_database(args.postgres, args.database)
    app = hub = None
    result = "RESULT ingest per_worker_vs_direct=n/a two_workers_speedup=n/a push_p95_ms=n/a"
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url), "REDIS_URL": args.redis,
                          "TAOBAO_GATEWAY_URL": running.url + "/router/rest", "DOUYIN_GATEWAY_URL": pushing.url + "/"})
        with app.app_context():
            from sqlalchemy import text

            from app.extensions import db
            print("database:", db.session.execute(text("select version()")).scalar().split(",")[0],
                  f"({args.database}); Redis {args.redis}; Taobao simulator {running.url}; Douyin simulator "
                  f"{pushing.url}")
            db.session.rollback()
        ids = seed(app, simulator)
        hub = serve_orderhub(app)
        hook_url = f"http://127.0.0.1:{hub[0].server_port}/hooks/douyin/{DOUYIN_SHOP}"
        pusher.push_targets[DOUYIN_SELLER] = hook_url
        print(f"OrderHub (in-process, werkzeug) hook {hook_url}")

        steady = steady_events(app, simulator, ids["shop"], args)
        print(f"\n1. steady events: {steady['events']} new Taobao orders at {args.rate:g}/s for {args.seconds:g} s, "
              f"pulled by {steady['pulls']} back-to-back runs of pull_channel (job function called directly, one "
              "worker; cron would start one per minute)")
        print(f"   visible {steady['visible']}/{steady['events']}; event → order visible: "
              f"{percentiles(steady['latencies'])}")
        print(f"   worker busy {steady['busy']:.1f} s → {steady['visible'] / max(steady['busy'], 1e-9):.0f} orders/s "
              "over the pull jobs' wall time (arrivals outpace one worker: latency grows with the backlog)")

        pulled_s, pulled, trades = backlog(app, simulator, ids["shop"], args.backlog)
        direct_s, direct = baseline(app, ids["shop"], ids["plain"], trades)
        pull_rate, direct_rate = pulled / pulled_s, direct / direct_s
        per_worker_vs_direct = pull_rate / direct_rate
        print(f"\n2. backlog: {pulled} orders ingested by one pull in {pulled_s:.2f} s → {pull_rate:.0f} orders/s "
              "per worker (list + detail calls over HTTP, raw payload, mapping, order, stock reservation, a commit "
              "per order)")
        print(f"3. baseline: the same {direct} orders through orders.services.create_order in {direct_s:.2f} s → "
              f"{direct_rate:.0f} orders/s; ratio channel ingest / direct = {per_worker_vs_direct:.2f}")
        push_s, pushed_orders, queued, posting = push_backlog(app, pusher, ids["douyin"], args.push_backlog)
        push_rate = pushed_orders / push_s
        print(f"2b. push backlog: {args.push_backlog} orders pushed to the hook in {posting:.2f} s "
              f"({args.push_backlog / posting:.0f} hook requests/s, {queued} jobs queued), then one RQ burst made "
              f"{pushed_orders} orders in {push_s:.2f} s → {push_rate:.0f} orders/s per worker (detail call over "
              f"HTTP, raw payload, mapping, order, stock reservation); ratio to direct = {push_rate / direct_rate:.2f}")

        with app.app_context():
            from app.jobs import get_queue

            get_queue("channels").empty()  # helper jobs the directly called pulls queued: nobody ran them
        environment = {"DATABASE_URL": database_url, "REDIS_URL": args.redis, "LOG_LEVEL": "WARNING",
                       "TAOBAO_GATEWAY_URL": running.url + "/router/rest", "DOUYIN_GATEWAY_URL": pushing.url + "/"}
        workers = start_workers(app, 1, environment)
        try:
            one_s, one = queued_pull(app, simulator, ids["shop"], args.backlog)
            workers += start_workers(app, args.workers - 1, environment)
            many_s, many = queued_pull(app, simulator, ids["shop"], args.backlog)
            speedup = (many / many_s) / (one / one_s)
            print(f"\n5. worker processes (flask worker channels): a backlog of {args.backlog} orders, the shop's pull "
                  f"job queued → {one} orders visible in {one_s:.2f} s with 1 worker ({one / one_s:.0f} orders/s), "
                  f"{many} in {many_s:.2f} s with {args.workers} ({many / many_s:.0f} orders/s): {speedup:.2f}×")
            pushed = pushed_events(app, pusher, ids["douyin"], args)
            print(f"1b. pushed events: {pushed['events']} new Douyin orders at {args.push_rate:g}/s for "
                  f"{args.push_seconds:g} s, each pushed by the simulator to the hook; fetch_pushed_order jobs run by "
                  f"the {args.workers} worker processes")
            print(f"   visible {pushed['visible']}/{pushed['events']}; event → order visible: "
                  f"{percentiles(pushed['latencies'])}")
            print(f"   all {pushed['events']} events, those not visible counted with the time they waited: "
                  f"{percentiles(pushed['all'])}")
            print(f"   (pulled, from 1: {percentiles(steady['latencies'])})")
        finally:
            stop_workers(workers)
        push_p95 = sorted(pushed["all"])[min(len(pushed["all"]) - 1, int(0.95 * len(pushed["all"])))]

        latencies = stock_pushes(app, simulator, ids, args.stock_changes)
        print(f"\n4. stock change → shown on the simulator ({len(latencies)}/{args.stock_changes} changes; scan every "
              f"3 s, push 2 s after dirty): {percentiles(latencies)}")
        calls = dict(simulator.state.counters)
        print(f"   simulator calls: {sum(calls.values())} ({', '.join(f'{k} {v}' for k, v in sorted(calls.items()))})")
        calls = dict(pusher.state.counters)
        print(f"   Douyin simulator: {', '.join(f'{k} {v}' for k, v in sorted(calls.items()))}; failed RQ jobs: "
              f"{failed_jobs(app)}")
        result = (f"RESULT ingest per_worker_vs_direct={per_worker_vs_direct:.2f} two_workers_speedup={speedup:.2f} "
                  f"push_p95_ms={push_p95 * 1000:.0f}")
    finally:
        if hub is not None:
            hub[0].shutdown()
            hub[1].join(timeout=5)
        pushing.stop()
        running.stop()
        if app is not None:
            with app.app_context():
                from app.extensions import db

                db.session.remove()
                db.engine.dispose()
                get_redis().flushdb()
        recreate_database(args.postgres, args.database, drop_only=True)
        print("\ncleaned up: simulators and OrderHub server stopped, Redis db emptied, database dropped")
    print(result)


if __name__ == "__main__":
    main()
