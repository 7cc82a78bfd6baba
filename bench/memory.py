"""Benchmark: peak memory (RSS) of OrderHub's processes with the demo data, after a load.

    .venv/bin/python bench/memory.py [--seconds 75] [--threads 4] [--jobs 300]

In a dedicated PostgreSQL database (``orderhub_memory_bench``, created, migrated, given the demo data
and dropped at the end) and a Redis db (emptied before and after), it starts ``flask run-all`` (web,
worker, scheduler and the platform simulators the demo shops use), waits until everything answers,
then for ``--seconds`` signs staff in and opens the pages people use most (order list and its tabs,
orders, stock, home, logistics, jobs) from ``--threads`` threads, while ``--jobs`` short jobs are queued
for the worker and the scheduler enqueues its periodic jobs. It then reads each process's peak
resident set (``VmHWM`` in /proc) and its proportional share of memory now (``Pss``, which splits
shared pages between the processes that share them). The production web server is measured the same
way afterwards: ``gunicorn -w 4 wsgi:app`` under the same load. The last line is
``RESULT memory web_mb=… worker_mb=… scheduler_mb=…`` (run-all's processes, peak RSS) with the
gunicorn figures after it. Every loop is bounded by time; everything started is stopped at the end.
"""

import argparse
import http.client
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))
sys.path.insert(0, str(PROJECT_ROOT / "bench"))

from portal_lookup import (  # noqa: E402  (the bench folder is put on the path just above)
    CSRF_IN_PAGE,
    HOST,
    drop_database,
    free_port,
    recreate_database,
    start_gunicorn,
)

FLASK = [str(PROJECT_ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi"]
DEMO_USER, DEMO_PASSWORD = "admin", "orderhub-demo"
PAGES = ("/staff/", "/staff/orders", "/staff/orders?status=02", "/staff/orders?status=03", "/staff/stock",
         "/staff/logistics", "/staff/jobs")
ORDER_LINK = re.compile(r'href="(/staff/orders/[A-Za-z0-9-]+)"')
ROLES = {"run": "web", "worker": "worker", "scheduler": "scheduler", "simulators": "simulators"}
MB = 1024 * 1024


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432"),
                        help="server URL without a database name")
    parser.add_argument("--database", default="orderhub_memory_bench")
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/6"))
    parser.add_argument("--seconds", type=float, default=75.0, help="load per server (a scheduler minute fits)")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--jobs", type=int, default=300, help="short jobs queued for the worker")
    return parser.parse_args()


# ---- processes and their memory -------------------------------------------------------------------

@dataclass
class Memory:
    peak_rss: int  # bytes: the most this process ever had resident (VmHWM)
    rss: int  # bytes, now
    pss: int  # bytes, now: shared pages split between the processes sharing them


def memory_of(pid: int) -> Memory:
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    kilobytes = {name: int(fields[name].split()[0]) * 1024 for name in ("VmHWM", "VmRSS")}
    pss = next(int(line.split()[1]) * 1024 for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
               if line.startswith("Pss:"))
    return Memory(kilobytes["VmHWM"], kilobytes["VmRSS"], pss)


def children_of(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def role_of(pid: int) -> str:
    """run-all's children are ``python -m flask --app wsgi <command> …``: the command names the role."""
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    command = argv[argv.index("wsgi") + 1] if "wsgi" in argv else argv[-1]
    return ROLES.get(command, command)


def flask(args: list[str], env: dict) -> None:
    subprocess.run([*FLASK, *args], cwd=PROJECT_ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def wait_until_up(port: int, redis_url: str, process: subprocess.Popen, log: Path) -> None:
    from redis import Redis
    from rq import Worker

    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"run-all exited early; see {log}")
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=2)
            connection.request("GET", "/readyz")
            if connection.getresponse().status == 200 and Worker.count(connection=Redis.from_url(redis_url)):
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"run-all was not up within 180 s; see {log}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


# ---- load ----------------------------------------------------------------------------------------

def browse(port: int, threads: int, seconds: float) -> tuple[int, list[str]]:
    """Staff signed in from ``threads`` threads open the common pages, and orders found on them, for
    ``seconds``; returns (pages served, errors)."""
    deadline = time.monotonic() + seconds
    served, errors, lock = [0], [], threading.Lock()

    def one_member_of_staff() -> None:
        connection = http.client.HTTPConnection(HOST, port, timeout=60)
        try:
            cookie = sign_in(connection)
            order_pages: list[str] = []
            turn = 0
            while time.monotonic() < deadline:
                if order_pages and turn % 3 == 0:  # every third page is an order found on a list
                    path = order_pages[turn % len(order_pages)]
                else:
                    path = PAGES[turn % len(PAGES)]
                turn += 1
                connection.request("GET", path, headers={"Cookie": cookie})
                response = connection.getresponse()
                page = response.read().decode()
                with lock:
                    if response.status == 200:
                        served[0] += 1
                    else:
                        errors.append(f"{path}: HTTP {response.status}")
                if not order_pages:
                    order_pages = ORDER_LINK.findall(page)[:20]
        except Exception as error:  # one client's failure is reported, the others go on
            with lock:
                errors.append(repr(error))
        finally:
            connection.close()

    pool = [threading.Thread(target=one_member_of_staff, daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=seconds + 120)
    return served[0], errors


def sign_in(connection: http.client.HTTPConnection) -> str:
    connection.request("GET", "/login")
    response = connection.getresponse()
    page = response.read().decode()
    cookie = _session_cookie(response)
    body = urlencode({"username": DEMO_USER, "password": DEMO_PASSWORD, "csrf_token": CSRF_IN_PAGE.search(page)[1]})
    connection.request("POST", "/login", body=body,
                       headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    response = connection.getresponse()
    response.read()
    if response.status != 302:
        raise RuntimeError(f"sign-in answered HTTP {response.status}")
    return _session_cookie(response)


def _session_cookie(response: http.client.HTTPResponse) -> str:
    return next(header.split(";", 1)[0] for header in response.msg.get_all("Set-Cookie", [])
                if header.startswith("session="))


def queue_short_jobs(redis_url: str, count: int) -> None:
    from redis import Redis
    from rq import Queue
    from rq.serializers import JSONSerializer

    queue = Queue("default", connection=Redis.from_url(redis_url), serializer=JSONSerializer)
    for _ in range(count):
        queue.enqueue("workers.runtime.sweep_job_outbox", result_ttl=60)


# ---- report --------------------------------------------------------------------------------------

def table(rows: list[tuple[str, int, Memory]]) -> list[str]:
    lines = [f"  {'process':<22} {'pid':>7} {'peak RSS MB':>12} {'RSS now MB':>11} {'PSS now MB':>11}"]
    lines += [f"  {name:<22} {pid:>7} {memory.peak_rss / MB:12.0f} {memory.rss / MB:11.0f} {memory.pss / MB:11.0f}"
              for name, pid, memory in rows]
    return lines


def main() -> int:
    args = parse_args()
    database_url = f"{args.postgres}/{args.database}"
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": args.redis, "LOG_LEVEL": "WARNING",
           "SECRET_KEY": os.environ.get("SECRET_KEY", "orderhub-bench-secret")}
    log_dir = Path(tempfile.mkdtemp(prefix="orderhub-memory-bench-"))
    print(f"OrderHub memory benchmark — {os.cpu_count()} CPUs; database {database_url}, redis {args.redis}; "
          f"{args.threads} staff browsing for {args.seconds:.0f} s per server, {args.jobs} short jobs queued")
    run_all = None
    gunicorn = None
    try:
        recreate_database(args.postgres, args.database)
        _flush_redis(args.redis)
        flask(["db", "upgrade"], env)
        flask(["seed-demo"], env)

        port = free_port()
        log = log_dir / "run-all.log"
        run_all = subprocess.Popen([*FLASK, "run-all", "--port", str(port)], cwd=PROJECT_ROOT, env=env,
                                   stdout=log.open("w"), stderr=subprocess.STDOUT)
        wait_until_up(port, args.redis, run_all, log)
        queue_short_jobs(args.redis, args.jobs)
        served, errors = browse(port, args.threads, args.seconds)
        processes = [("run-all (supervisor)", run_all.pid)] + [(role_of(pid), pid) for pid in children_of(run_all.pid)]
        run_all_rows = [(name, pid, memory_of(pid)) for name, pid in processes]
        print(f"\nflask run-all: {served} staff pages served, {len(errors)} errors"
              + (f" (first: {errors[:3]})" if errors else ""))
        print("\n".join(table(run_all_rows)))
        stop(run_all)

        gunicorn = start_gunicorn(["wsgi:app"], 4, env, "/login", log_dir)
        served, gunicorn_errors = browse(gunicorn.port, args.threads, args.seconds)
        master = gunicorn.process.pid
        gunicorn_rows = [("gunicorn master", master, memory_of(master))]
        gunicorn_rows += [("gunicorn worker", pid, memory_of(pid)) for pid in children_of(master)]
        print(f"\ngunicorn -w 4 wsgi:app: {served} staff pages served, {len(gunicorn_errors)} errors"
              + (f" (first: {gunicorn_errors[:3]})" if gunicorn_errors else ""))
        print("\n".join(table(gunicorn_rows)))
        gunicorn.stop()
        errors += gunicorn_errors
    finally:
        if run_all is not None:
            stop(run_all)
        if gunicorn is not None:
            gunicorn.stop()
        drop_database(args.postgres, args.database)
        _flush_redis(args.redis)

    peak = {name: memory.peak_rss / MB for name, _, memory in run_all_rows}
    workers = [memory for name, _, memory in gunicorn_rows if name == "gunicorn worker"]
    print(f"\nRESULT memory web_mb={peak['web']:.0f} worker_mb={peak['worker']:.0f} "
          f"scheduler_mb={peak['scheduler']:.0f} gunicorn_worker_mb={max(m.peak_rss for m in workers) / MB:.0f} "
          f"gunicorn_total_pss_mb={sum(memory.pss for _, _, memory in gunicorn_rows) / MB:.0f}")
    return 1 if errors else 0


def _flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


if __name__ == "__main__":
    sys.exit(main())
