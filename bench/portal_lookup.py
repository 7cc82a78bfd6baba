"""Benchmark: the customer portal's order lookup and the staff order list under concurrent load,
beside a bare Flask route.

    .venv/bin/python bench/portal_lookup.py [--orders 300] [--clients 2] [--threads 8] [--requests 3000]

It creates a dedicated PostgreSQL database (``orderhub_portal_bench``), migrates and seeds it with
orders and one customer-service account, and measures three targets one after the other, each served
by the same ``gunicorn -w 4`` command line: a bare Flask "hello" route (bench/hello_wsgi.py), the
portal's lookup (POST /portal/lookup, each client with its own session cookie and CSRF token, as a
browser has) and the staff order list (GET /staff/orders, each client signed in once). The load comes
from ``--clients`` processes of ``--threads`` threads each, so the client is not held to one core by
Python's GIL. It prints p50 / p95 / p99 latency, requests per second and each target's ratio to the
bare route measured in the same run; the last line is
``RESULT web portal_vs_hello=… staff_list_vs_hello=…``. The portal's rate limits are raised through
the environment for the run, so it measures the lookup, not the limiter. Every request loop is bounded
by count and by time; the servers are stopped and the database dropped at the end, whatever happens.
"""

import argparse
import http.client
import multiprocessing
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

GUNICORN = str(PROJECT_ROOT / ".venv" / "bin" / "gunicorn")
HOST = "127.0.0.1"
RAISED_LIMIT = "1000000 per hour"
RAISED_LIMITS = dict.fromkeys(("PORTAL_LOOKUP_LIMIT_PER_PHONE", "PORTAL_LOOKUP_LIMIT_PER_IP"), RAISED_LIMIT)
# With a raised limit, the moving window's per-key list would grow to every request of the run (one
# client address makes them all), and its cost with it: a production key never holds more than its
# limit (30). A fixed window costs what a short moving window does, whatever the count.
BENCH_STRATEGY = "fixed-window"
CSRF_IN_PAGE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
STAFF_USER = "bench-kefu"
STAFF_PASSWORD = "bench-kefu-password"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432"),
                        help="server URL without a database name")
    parser.add_argument("--database", default="orderhub_portal_bench")
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/13"))
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--threads", type=int, default=8, help="client threads in all, shared by the processes")
    parser.add_argument("--requests", type=int, default=3000, help="per target, at most")
    parser.add_argument("--seconds", type=float, default=30.0, help="per target, at most")
    parser.add_argument("--miss-ratio", type=float, default=0.25,
                        help="share of lookups with a wrong phone (the same work, answered 422)")
    parser.add_argument("--strategy", default=BENCH_STRATEGY,
                        help="rate-limit strategy for the run (production: moving-window)")
    parser.add_argument("--keep-db", action="store_true", help="leave the database for inspection")
    return parser.parse_args()


# ---- database ------------------------------------------------------------------------------------

def recreate_database(server_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def drop_database(server_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrate_and_seed(database_url: str, redis_url: str, count: int) -> list[tuple[str, str]]:
    """Migrate, then create ``count`` paid orders through the real services and a customer-service
    account; returns (order_no, phone)."""
    import flask_migrate

    from app import create_app
    from app.auth.roles import Role
    from app.auth.services import create_user
    from app.config import normalise_database_url
    from app.domain.catalog.models import Sku
    from app.domain.inventory import services as inventory
    from app.domain.inventory.ledger import Change
    from app.domain.orders import services
    from app.domain.orders.inputs import LineInput, OrderInput, Receiver
    from app.domain.reference.models import Channel, Warehouse
    from app.extensions import db
    from app.redis_conn import get_redis

    app = create_app({"SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url), "REDIS_URL": redis_url})
    with app.app_context():
        flask_migrate.upgrade()
        get_redis().flushdb()
        warehouse = Warehouse(code="WH-BENCH", name="压测仓", province="上海市", city="上海市",
                              latitude=31.23, longitude=121.47, daily_capacity=100000, priority=1)
        channel = Channel(code="bench", platform="miniapp", shop_name="压测小店")
        sku = Sku(code="BENCH-1", name="压测商品", weight_g=500, price_fen=5900, tax_rate_bp=1300)
        db.session.add_all([warehouse, channel, sku])
        db.session.flush()
        inventory.receive(warehouse, [(sku, count * 10)], Change("bench", "压测入库"))
        seeded = []
        for number in range(count):
            phone = f"139{number:08d}"
            data = OrderInput(receiver=Receiver("压测用户", phone, "上海市", "上海市", "压测路 1 号", "浦东新区"),
                              lines=[LineInput("BENCH-1", 1)], buyer_phone=phone)
            order, _ = services.create_order(channel, data, "bench")
            services.pay(order, order.payable_fen, "bench")
            seeded.append((order.order_no, phone))
        create_user(STAFF_USER, Role.CUSTOMER_SERVICE, STAFF_PASSWORD, "压测客服")
        db.session.commit()
    return seeded


# ---- servers -------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_gunicorn(app_spec: list[str], workers: int, env: dict, ready_path: str, log_dir: Path) -> Server:
    port = free_port()
    log = log_dir / f"gunicorn-{port}.log"
    command = [GUNICORN, "-w", str(workers), "-b", f"{HOST}:{port}", "--log-level", "warning", *app_spec]
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    server = Server(process, port, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited early; see {log}:\n{log.read_text()[-2000:]}")
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=2)
            connection.request("GET", ready_path)
            if connection.getresponse().status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"gunicorn did not answer within 60 s; see {log}")


# ---- load ----------------------------------------------------------------------------------------

@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=dict)  # kind -> seconds
    errors: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.latencies.setdefault(kind, []).append(seconds)

    def fail(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)

    @property
    def total(self) -> int:
        return sum(len(values) for values in self.latencies.values())


def run_load(port: int, threads: int, max_requests: int, max_seconds: float, make_client) -> Results:
    """``threads`` clients share a budget of ``max_requests`` and a deadline of ``max_seconds``."""
    results = Results()
    budget = iter(range(max_requests))
    budget_lock = threading.Lock()
    deadline = time.monotonic() + max_seconds

    def take() -> bool:
        with budget_lock:
            return next(budget, None) is not None and time.monotonic() < deadline

    def worker() -> None:
        connection = http.client.HTTPConnection(HOST, port, timeout=30)
        try:
            request = make_client(connection)
            while take():
                kind, method, path, body, headers, expected = request()
                started = time.perf_counter()
                try:
                    connection.request(method, path, body=body, headers=headers)
                    response = connection.getresponse()
                    response.read()
                except (OSError, http.client.HTTPException) as error:
                    connection.close()
                    results.fail(f"{kind}: {error!r}")
                    continue
                if response.status == expected:
                    results.add(kind, time.perf_counter() - started)
                else:
                    results.fail(f"{kind}: HTTP {response.status}")
        except Exception as error:  # a client that cannot even start counts once, and stops
            results.fail(f"client: {error!r}")
        finally:
            connection.close()

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=max_seconds + 60)
    results.elapsed = time.perf_counter() - started
    return results


def run_load_in_processes(port: int, clients: int, threads: int, max_requests: int, max_seconds: float,
                          make_client) -> Results:
    """:func:`run_load` in ``clients`` forked processes, ``threads`` and ``max_requests`` split among them;
    the elapsed time is the slowest process's (they start together)."""
    context = multiprocessing.get_context("fork")  # the client factory is a closure: inherited, not pickled
    outcomes = context.Queue()

    def client_process(share_threads: int, share_requests: int) -> None:
        part = run_load(port, share_threads, share_requests, max_seconds, make_client)
        outcomes.put((part.latencies, part.errors, part.elapsed))

    processes = [context.Process(target=client_process, daemon=True,
                                 args=(_share(threads, clients, index), _share(max_requests, clients, index)))
                 for index in range(clients)]
    for process in processes:
        process.start()
    results = Results()
    for _ in processes:
        latencies, errors, elapsed = outcomes.get(timeout=max_seconds + 120)
        for kind, values in latencies.items():
            results.latencies.setdefault(kind, []).extend(values)
        results.errors.extend(errors)
        results.elapsed = max(results.elapsed, elapsed)
    for process in processes:
        process.join(timeout=10)
    return results


def _share(total: int, parts: int, index: int) -> int:
    """Part ``index`` of ``total`` split as evenly as whole numbers allow."""
    return total // parts + (1 if index < total % parts else 0)


def hello_client(connection):
    return lambda: ("hello", "GET", "/hello", None, {}, 200)


def lookup_client_factory(seeded: list[tuple[str, str]], miss_ratio: float):
    def lookup_client(connection):
        """A browser's session: one GET of the form for the cookie and CSRF token, then lookups."""
        connection.request("GET", "/portal/")
        response = connection.getresponse()
        page = response.read().decode()
        cookie = _session_cookie(response)
        token = CSRF_IN_PAGE.search(page)[1]
        rng = random.Random()

        def request():
            order_no, phone = rng.choice(seeded)
            miss = rng.random() < miss_ratio
            body = urlencode({"order_no": order_no, "phone": "13700000000" if miss else phone, "csrf_token": token})
            headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
            kind = "lookup, no match" if miss else "lookup, match"
            return kind, "POST", "/portal/lookup", body, headers, 422 if miss else 303

        return request

    return lookup_client


def _session_cookie(response: http.client.HTTPResponse) -> str:
    return next(header.split(";", 1)[0] for header in response.msg.get_all("Set-Cookie", [])
                if header.startswith("session="))


def staff_list_client(connection):
    """A member of customer service: signs in once (login form, CSRF token, password), then opens the
    order list's first page again and again."""
    connection.request("GET", "/login")
    response = connection.getresponse()
    page = response.read().decode()
    cookie = _session_cookie(response)
    body = urlencode({"username": STAFF_USER, "password": STAFF_PASSWORD, "csrf_token": CSRF_IN_PAGE.search(page)[1]})
    connection.request("POST", "/login", body=body,
                       headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    response = connection.getresponse()
    response.read()
    if response.status != 302:
        raise RuntimeError(f"sign-in answered HTTP {response.status}")
    signed_in = {"Cookie": _session_cookie(response)}
    return lambda: ("staff order list", "GET", "/staff/orders", None, signed_in, 200)


# ---- report --------------------------------------------------------------------------------------

def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def report_lines(title: str, results: Results) -> tuple[list[str], float, float]:
    all_latencies = [value for values in results.latencies.values() for value in values]
    rate = results.total / results.elapsed if results.elapsed else 0.0
    p50 = percentile(all_latencies, 0.50) * 1000 if all_latencies else float("nan")
    lines = [f"{title}: {results.total} ok, {len(results.errors)} errors in {results.elapsed:.1f} s "
             f"-> {rate:.0f} req/s"]
    for kind, values in sorted(results.latencies.items()):
        lines.append(f"  {kind:<18} n={len(values):<6} p50 {percentile(values, .5) * 1000:7.2f} ms   "
                     f"p95 {percentile(values, .95) * 1000:7.2f} ms   p99 {percentile(values, .99) * 1000:7.2f} ms")
    if results.errors:
        lines.append(f"  first errors: {results.errors[:3]}")
    return lines, rate, p50


def measure(app_spec: list[str], ready_path: str, make_client, args, env: dict, log_dir: Path,
            servers: list[Server]) -> Results:
    """Start gunicorn on ``app_spec``, warm it up, load it, stop it."""
    server = start_gunicorn(app_spec, args.workers, env, ready_path, log_dir)
    servers.append(server)
    run_load_in_processes(server.port, args.clients, args.threads, 200, 10, make_client)  # pools, caches
    results = run_load_in_processes(server.port, args.clients, args.threads, args.requests, args.seconds,
                                    make_client)
    server.stop()
    return results


def main() -> int:
    args = parse_args()
    database_url = f"{args.postgres}/{args.database}"
    servers: list[Server] = []
    log_dir = Path(tempfile.mkdtemp(prefix="orderhub-bench-"))
    limits = {**RAISED_LIMITS, "RATELIMIT_STRATEGY": args.strategy}
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": args.redis, **limits,
           "SECRET_KEY": os.environ.get("SECRET_KEY", "orderhub-bench-secret")}
    print(f"OrderHub web benchmark — {os.cpu_count()} CPUs, gunicorn -w {args.workers} (sync), "
          f"{args.clients} client processes with {args.threads} threads in all, "
          f"at most {args.requests} requests / {args.seconds:.0f} s per target")
    print(f"database {database_url}, redis {args.redis}")
    print("rate limits raised for this run (so the limiter is not what is measured): "
          + ", ".join(f"{name}={value!r}" for name, value in limits.items()))
    try:
        recreate_database(args.postgres, args.database)
        started = time.perf_counter()
        seeded = migrate_and_seed(database_url, args.redis, args.orders)
        print(f"seeded {len(seeded)} paid orders and one customer-service account in "
              f"{time.perf_counter() - started:.1f} s")

        hello = measure(["--pythonpath", "bench", "hello_wsgi:app"], "/hello", hello_client, args, env,
                        log_dir, servers)
        lookup = measure(["wsgi:app"], "/portal/", lookup_client_factory(seeded, args.miss_ratio), args, env,
                         log_dir, servers)
        staff_list = measure(["wsgi:app"], "/login", staff_list_client, args, env, log_dir, servers)

        hello_lines, hello_rate, hello_p50 = report_lines("bare Flask GET /hello", hello)
        lookup_lines, lookup_rate, lookup_p50 = report_lines("portal POST /portal/lookup", lookup)
        staff_lines, staff_rate, staff_p50 = report_lines("staff GET /staff/orders", staff_list)
        print("\n".join(["", *hello_lines, *lookup_lines, *staff_lines, ""]))
        if not hello_rate:
            return 1
        for name, rate, p50 in (("the portal lookup", lookup_rate, lookup_p50),
                                ("the staff order list", staff_rate, staff_p50)):
            print(f"{name} serves {rate / hello_rate:.2f}x the requests/s of the bare route; "
                  f"p50 {p50 / hello_p50:.1f}x higher")
        print(f"RESULT web portal_vs_hello={lookup_rate / hello_rate:.2f} staff_list_vs_hello={staff_rate / hello_rate:.2f} "
              f"hello_rps={hello_rate:.0f} portal_rps={lookup_rate:.0f} staff_list_rps={staff_rate:.0f}")
        return 1 if hello.errors or lookup.errors or staff_list.errors else 0
    finally:
        for server in servers:
            server.stop()
        if args.keep_db:
            print(f"kept database {args.database}")
        else:
            drop_database(args.postgres, args.database)
        _flush_redis(args.redis)


def _flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


if __name__ == "__main__":
    sys.exit(main())
