"""Benchmark: every page and job that reads the big tables, against a year of a busy merchant's data.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/orderhub_volume_bench \\
        .venv/bin/python bench/pages_at_volume.py [--orders 1000000] [--repeat 30]

When the database (its name must contain "bench") has no orders yet, it is seeded first with
``bench/seed_volume.py`` (``--orders``), so one command works from a clean clone. The schema is brought
to the newest migration (the indexes come with it), then a warm ``gunicorn -w 1`` serves the app and
each page is requested ``--repeat`` times in a row after three warm-up requests, by one client (a
signed-in staff user, a portal visitor with its session and CSRF token, an API token): the figures are
the latency of one request at a time, not throughput. ``check-stock`` runs twice as the command an
operator runs (the first replays the whole ledger and seals a checkpoint, the second starts from it),
the safety-stock recompute and one day's reconciliation run in-process (and are rolled back). It prints
p50 / p95 per page, the web worker's peak RSS, and ends with one ``RESULT volume …`` line.
"""

import argparse
import http.client
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from portal_lookup import HOST, RAISED_LIMITS, percentile, start_gunicorn  # noqa: E402
from seed_volume import STAFF_PASSWORD, bench_database_url, is_empty, seed  # noqa: E402

FLASK = str(PROJECT_ROOT / ".venv" / "bin" / "flask")
CSRF_IN_PAGE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
STAFF_GOAL_MS, PORTAL_GOAL_MS, CHECK_STOCK_GOAL_S = 100, 20, 5
API_PER_PAGE = 50  # the API list's default page size


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000, help="orders to seed when the database is empty")
    parser.add_argument("--repeat", type=int, default=30, help="requests per page (after 3 warm-up requests)")
    return parser.parse_args()


def app_context(database_url: str):
    from app import create_app
    from app.config import normalise_database_url

    return create_app({"SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url)}).app_context()


def upgrade_schema(database_url: str) -> None:
    import flask_migrate

    with app_context(database_url):
        flask_migrate.upgrade()


def samples(database_url: str) -> dict:
    """Real values to look for: an order in the middle of the year, the long-timeline order, a token."""
    from sqlalchemy import func, select, tuple_

    from app.auth.api_tokens import Scope, create_token
    from app.domain.catalog.models import Sku
    from app.domain.orders.inputs import normalise_phone
    from app.domain.orders.models import Order, OrderEvent
    from app.domain.reference.models import Channel
    from app.extensions import db
    from app.web.api.cursors import after

    with app_context(database_url):
        third = db.session.scalar(select(func.max(Order.id))) // 3
        middle = next(order for order in db.session.scalars(select(Order).where(Order.id >= third).order_by(Order.id))
                      if normalise_phone(order.receiver_phone) == order.receiver_phone)  # a phone the portal accepts
        shipped = db.session.scalar(select(Order).where(Order.waybill_no != "", Order.external_id.is_not(None))
                                    .where(Order.id >= middle.id).order_by(Order.id).limit(1))
        # The seed gives one order hundreds of exception / resolve events: the long timeline.
        long_timeline = db.session.scalar(select(Order.order_no).join(OrderEvent, OrderEvent.order_id == Order.id)
                                          .where(OrderEvent.action == "resolve_exception").limit(1))
        sku_code = db.session.scalar(select(Sku.code).order_by(Sku.code.desc()).limit(1))  # a slow seller
        channel = db.session.scalar(select(Channel).where(Channel.platform == "taobao"))
        _token, secret = create_token(channel, [Scope.ORDERS], "volume bench", "bench")
        db.session.commit()
        # The API list a third of the year back: by the cursor of the page that ends there, and by the
        # page number that reaches the same place (an offset over the channel's newer orders).
        deep = db.session.scalar(select(Order).where(Order.channel_id == channel.id, Order.id >= third)
                                 .order_by(Order.id).limit(1))
        newer = db.session.scalar(select(func.count()).where(
            Order.channel_id == channel.id, tuple_(Order.created_at, Order.id) > (deep.created_at, deep.id)))
        page = newer // API_PER_PAGE + 1
        return {"order_no": middle.order_no, "phone": middle.receiver_phone, "tail": middle.receiver_phone_tail,
                "waybill": shipped.waybill_no, "external_id": shipped.external_id, "sku": sku_code,
                "day": (middle.created_at + timedelta(hours=8)).date().isoformat(), "deep_after": middle.id,
                "long_timeline": long_timeline or middle.order_no, "api_token": secret,
                "api_deep_page": page, "api_deep_cursor": after(deep.created_at, deep.id, page)}


class Client:
    """One HTTP connection with a cookie jar of one cookie (the session), as a browser tab has."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection(HOST, port, timeout=120)
        self.cookie = ""

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        headers = dict(headers or {})
        if self.cookie:
            headers["Cookie"] = self.cookie
        encoded = None
        if body is not None:
            encoded = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=encoded, headers=headers)
        response = self.connection.getresponse()
        text = response.read().decode(errors="replace")
        for header in response.msg.get_all("Set-Cookie", []):
            if header.startswith("session="):
                self.cookie = header.split(";", 1)[0]
        return response.status, text

    def csrf(self, path: str) -> str:
        return CSRF_IN_PAGE.search(self.request("GET", path)[1])[1]


def measure(name: str, repeat: int, call, expected: int) -> list[float]:
    for _ in range(3):
        call()
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        status = call()
        timings.append((time.perf_counter() - started) * 1000)
        if status != expected:
            raise RuntimeError(f"{name}: HTTP {status}, expected {expected}")
    return timings


def staff_pages(samples_: dict) -> dict[str, str]:
    return {
        "order list, first page": "/staff/orders",
        "order list, status tab (paid)": "/staff/orders?status=02",
        "order list, status tab (completed)": "/staff/orders?status=08",
        "order list, deep page (keyset)": f"/staff/orders?after={samples_['deep_after']}",
        "search: order number": f"/staff/orders?q={samples_['order_no']}",
        "search: phone": f"/staff/orders?q={samples_['phone']}",
        "search: phone tail": f"/staff/orders?q={samples_['tail']}",
        "search: waybill": f"/staff/orders?q={samples_['waybill']}",
        "search: SKU": f"/staff/orders?q={samples_['sku']}",
        "search: platform id": f"/staff/orders?q={samples_['external_id']}",
        "search: date range (one day)": f"/staff/orders?created_from={samples_['day']}&created_to={samples_['day']}",
        "order page, long timeline": f"/staff/orders/{samples_['long_timeline']}",
        "stock levels": "/staff/stock",
        "stock levels, one warehouse, low only": "/staff/stock?warehouse=1&low=y",
    }


def web_rss_kib(master_pid: int) -> int:
    """Peak resident memory (VmHWM) of the gunicorn worker(s) under ``master_pid``."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    peaks = []
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        peaks.append(int(re.search(r"VmHWM:\s+(\d+) kB", status)[1]))
    return max(peaks, default=0)


def run_check_stock(env: dict, full: bool) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run([FLASK, "--app", "wsgi", "check-stock", *(["--full"] if full else [])], cwd=PROJECT_ROOT,
                            env=env, capture_output=True, text=True, timeout=1800)
    elapsed = time.perf_counter() - started
    last_line = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
    return elapsed, f"exit {result.returncode}: {last_line[:100]}"


def check_stock_in_process(database_url: str) -> tuple[float, int]:
    """The check from the checkpoint and the sealing of the next one, without the command's start-up."""
    from app.db import utcnow
    from app.domain.inventory.check import advance_checkpoints
    from app.domain.orders.consistency import stock_differences
    from app.extensions import db

    with app_context(database_url):
        started = time.perf_counter()
        differences = stock_differences()
        advance_checkpoints(utcnow())
        db.session.commit()
        return time.perf_counter() - started, len(differences)


def timed_jobs(database_url: str) -> dict[str, float]:
    """The safety-stock recompute over every level and one day's reconciliation, rolled back."""
    from app.db import utcnow
    from app.domain.inventory import safety
    from app.domain.invoicing import reconciliation
    from app.extensions import db

    figures = {}
    with app_context(database_url):
        now = utcnow()
        started = time.perf_counter()
        levels = safety.recompute_all(now)
        figures[f"safety-stock recompute ({levels} levels)"] = time.perf_counter() - started
        db.session.rollback()
        started = time.perf_counter()
        rows = reconciliation.reconcile(reconciliation.shanghai_today(now) - timedelta(days=1), now, 7)
        figures[f"reconciliation, one day ({sum(row.orders for row in rows)} orders)"] = time.perf_counter() - started
        db.session.rollback()
    return figures


def main() -> int:
    args = parse_args()
    database_url = bench_database_url()
    env = {**os.environ, "DATABASE_URL": database_url, **RAISED_LIMITS,
           "SECRET_KEY": os.environ.get("SECRET_KEY", "orderhub-bench-secret")}
    if is_empty(database_url):
        print(f"the database is empty: seeding {args.orders:,} orders first", flush=True)
        totals = seed(database_url, args.orders)
        print(f"seeded in {totals['copy_s']} s (+ VACUUM ANALYZE {totals['analyse_s']} s)", flush=True)
    upgrade_schema(database_url)
    subprocess.run(["psql", database_url, "-qc", "ANALYZE"], check=False)
    found = samples(database_url)
    with app_context(database_url):
        from sqlalchemy import text

        from app.extensions import db
        sizes = {table: db.session.scalar(text(f"SELECT reltuples::bigint FROM pg_class WHERE relname = '{table}'"))
                 for table in ("orders", "order_lines", "order_events", "stock_movements", "reservations",
                               "stock_levels")}
    print(f"OrderHub pages at volume — {os.cpu_count()} CPUs, gunicorn -w 1 (sync), one client, "
          f"{args.repeat} requests per page after 3 warm-up")
    print("rows (planner estimates): " + ", ".join(f"{table} {count:,}" for table, count in sizes.items()))

    server = start_gunicorn(["--timeout", "300", "wsgi:app"], 1, env, "/portal/", Path(tempfile.mkdtemp()))
    results: dict[str, list[float]] = {}
    try:
        staff = Client(server.port)
        token = staff.csrf("/login")
        status, _page = staff.request("POST", "/login", {"username": "admin", "password": STAFF_PASSWORD,
                                                         "csrf_token": token})
        if status != 302:
            raise RuntimeError(f"login answered {status}")
        for name, path in staff_pages(found).items():
            results[name] = measure(name, args.repeat, lambda path=path: staff.request("GET", path)[0], 200)

        visitor = Client(server.port)
        portal_token = visitor.csrf("/portal/")
        lookup = {"order_no": found["order_no"], "phone": found["phone"], "csrf_token": portal_token}
        results["portal lookup"] = measure("portal lookup", args.repeat,
                                           lambda: visitor.request("POST", "/portal/lookup", lookup)[0], 303)

        api = Client(server.port)
        bearer = {"Authorization": f"Bearer {found['api_token']}"}
        for name, path in {"API order list": "/api/v1/orders",
                           "API order list, deep (cursor)": f"/api/v1/orders?cursor={found['api_deep_cursor']}",
                           "API order list, deep (page)": f"/api/v1/orders?page={found['api_deep_page']}"}.items():
            results[name] = measure(name, args.repeat, lambda path=path: api.request("GET", path, headers=bearer)[0],
                                    200)
        peak_kib = web_rss_kib(server.process.pid)
    finally:
        server.stop()

    print(f"\n{'page':<40} {'p50 ms':>8} {'p95 ms':>8}")
    for name, timings in results.items():
        print(f"{name:<40} {percentile(timings, .5):8.1f} {percentile(timings, .95):8.1f}")
    print(f"web worker peak RSS: {peak_kib / 1024:.0f} MiB")

    full_s, full_said = run_check_stock(env, full=True)
    incremental_s, incremental_said = run_check_stock(env, full=False)
    print(f"\ncheck-stock --full (replays the ledger, seals a checkpoint): {full_s:6.1f} s  [{full_said}]")
    print(f"check-stock (from the checkpoint):                           {incremental_s:6.1f} s  [{incremental_said}]")
    check_s, differences = check_stock_in_process(database_url)
    print(f"  of which the check and the new checkpoint, in-process:     {check_s:6.1f} s  [{differences} differences]")
    for name, seconds in timed_jobs(database_url).items():
        print(f"{name:<61} {seconds:6.1f} s")

    staff_p95 = {name: percentile(timings, .95) for name, timings in results.items()
                 if name != "portal lookup" and not name.startswith("API ")}
    slowest = max(staff_p95, key=staff_p95.get)
    portal_p95 = percentile(results["portal lookup"], .95)
    print(f"\nslowest staff page: {slowest} (p95 {staff_p95[slowest]:.1f} ms; goal {STAFF_GOAL_MS} ms); "
          f"portal p95 {portal_p95:.1f} ms (goal {PORTAL_GOAL_MS} ms); check-stock {incremental_s:.1f} s "
          f"(goal {CHECK_STOCK_GOAL_S} s; {check_s:.1f} s without the command's start-up)")
    print(f"RESULT volume slowest_staff_p95_ms={staff_p95[slowest]:.1f} portal_p95_ms={portal_p95:.1f} "
          f"check_stock_s={incremental_s:.1f} check_stock_in_process_s={check_s:.1f} check_stock_full_s={full_s:.1f} "
          f"orders={sizes['orders']} web_peak_rss_mib={peak_kib / 1024:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
