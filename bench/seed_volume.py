"""Fill a bench database with a year of a busy merchant's data, fast: COPY, not the ORM.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/orderhub_volume_bench \\
        .venv/bin/python bench/seed_volume.py [--orders 1000000]

It refuses any database whose name does not contain "bench". The schema comes from the migrations
(``flask db upgrade``); the small reference tables (6 warehouses, nine channels — one per platform —,
2,000 SKUs, a carrier, staff users) go through the ORM, and the big ones are streamed with PostgreSQL's
COPY: the orders (about 3 lines each, a year of creation times, statuses as a year of trade leaves them),
about ten events per order, their stock movements and reservations, one opening receipt per stock level
and the levels themselves. The books are consistent: every level is the sum of its movements and the
reserved / locked buckets equal the active reservations, so ``check-stock`` has a meaningful answer.
Ids are given explicitly (each table's sequence is moved past them at the end), so rows can refer to
each other without reading anything back.
"""

import argparse
import os
import random
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

WAREHOUSES = (("WH-SH", "上海仓", "上海市", "上海市", 31.23, 121.47), ("WH-BJ", "北京仓", "北京市", "北京市", 39.90, 116.40),
              ("WH-GZ", "广州仓", "广东省", "广州市", 23.13, 113.26), ("WH-CD", "成都仓", "四川省", "成都市", 30.57, 104.07),
              ("WH-WH", "武汉仓", "湖北省", "武汉市", 30.59, 114.31), ("WH-XA", "西安仓", "陕西省", "西安市", 34.34, 108.94))
PLATFORMS = ("taobao", "tmall", "jd", "pdd", "douyin", "youzan", "miniapp", "pos", "manual")
SKU_COUNT = 2000
STAFF_PASSWORD = "orderhub-volume"
STAFF_USERS = (("admin", "admin", "王磊"), ("kefu", "customer_service", "李娜"))
PROVINCES = (("浙江省", "杭州市", "西湖区"), ("江苏省", "南京市", "鼓楼区"), ("广东省", "深圳市", "南山区"),
             ("上海市", "上海市", "浦东新区"), ("北京市", "北京市", "朝阳区"), ("四川省", "成都市", "武侯区"))
MOBILE_PREFIXES = ("130", "135", "136", "138", "139", "150", "152", "158", "159", "177", "180", "186", "188", "199")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"
#: The events of an order's normal path, in order: (action, from status, to status, actor kind).
PATH = (("create", None, "01", "channel"), ("pay", "01", "02", "channel"), ("approve", "02", "03", "user"),
        ("pack", "03", "04", "user"), ("ship_out", "04", "05", "user"), ("hand_over", "05", "06", "carrier"),
        ("sign", "06", "07", "carrier"), ("complete", "07", "08", "system"))
#: Which of an order's eight moments (see ``_one_order``) each action happens at; the rest at the third.
ACTION_TIME = {action: index for index, (action, *_rest) in enumerate(PATH)} | {"request_after_sales": 7}
#: How far along PATH each status on it got (number of events).
STEPS_FOR = {"01": 1, "02": 2, "03": 3, "04": 4, "05": 5, "06": 6, "07": 7, "08": 8}
RECENT_STATUSES = ("01", "02", "02", "03", "04", "05", "06", "06", "07", "07", "08", "E1")
LONG_TIMELINE_EVENTS = 400  # exception / resolve pairs on one order: the "long timeline" page


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=14)
    return parser.parse_args()


def bench_database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    name = urlsplit(url).path.lstrip("/")
    if not url.startswith("postgres") or "bench" not in name:
        raise SystemExit(f"refusing to seed {name or 'no database'}: DATABASE_URL must name a PostgreSQL "
                         "database whose name contains 'bench'")
    return url


def migrate_and_seed_reference(database_url: str) -> dict:
    """Schema from the migrations, then the small tables through the ORM; returns their ids."""
    import flask_migrate

    from app import create_app
    from app.auth.services import create_user
    from app.config import normalise_database_url
    from app.domain.catalog.models import Sku
    from app.domain.reference.models import Carrier, Channel, Warehouse
    from app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url)})
    with app.app_context():
        flask_migrate.upgrade()
        warehouses = [Warehouse(code=code, name=name, province=province, city=city, latitude=lat, longitude=lon,
                                daily_capacity=20000, priority=index + 1)
                      for index, (code, name, province, city, lat, lon) in enumerate(WAREHOUSES)]
        channels = [Channel(code=f"{platform}-1", platform=platform, shop_name=f"{platform} 旗舰店")
                    for platform in PLATFORMS]
        skus = [Sku(code=f"SKU-{number:05d}", name=f"商品 {number:05d}", weight_g=300 + number % 700,
                    price_fen=990 + (number * 37) % 20000, tax_rate_bp=1300) for number in range(1, SKU_COUNT + 1)]
        carrier = Carrier(code="SF", name="顺丰速运")
        db.session.add_all([*warehouses, *channels, *skus, carrier])
        db.session.flush()
        for username, role, display_name in STAFF_USERS:
            create_user(username, role, STAFF_PASSWORD, display_name)
        ids = {"warehouses": [w.id for w in warehouses], "channels": [(c.id, c.code, c.platform) for c in channels],
               "skus": [(s.id, s.price_fen) for s in skus], "carrier": carrier.id}
        db.session.commit()
    return ids


class Tsv:
    """One table's rows for a COPY, kept as text lines (NULL is \\N, as COPY's text format wants)."""

    def __init__(self, table: str, columns: str):
        self.statement, self.lines = f"COPY {table} ({columns}) FROM STDIN", []

    def row(self, *values) -> None:
        self.lines.append("\t".join("\\N" if value is None else str(value) for value in values))

    def copy_to(self, cursor) -> None:
        """Send the rows (one COPY; a connection runs one at a time) and start over empty."""
        with cursor.copy(self.statement) as copy:
            for start in range(0, len(self.lines), 20000):
                copy.write("\n".join(self.lines[start:start + 20000]) + "\n")
        self.lines = []


MOVEMENT_COLUMNS = ("id, at, warehouse_id, sku_id, kind, on_hand_delta, reserved_delta, locked_delta, damaged_delta, "
                    "order_id, actor, reason, reference")
BATCH_ORDERS = 20000


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def seed_big_tables(database_url: str, ids: dict, count: int, rng: random.Random) -> dict:
    import psycopg

    now = datetime.now(UTC).replace(tzinfo=None)
    year_ago = now - timedelta(days=365)
    step = timedelta(days=365) / count
    levels = defaultdict(lambda: [0, 0, 0])  # (warehouse, sku) -> on_hand, reserved, locked
    totals = defaultdict(int)
    sku_weights = list(accumulate(1 / (rank + 1) ** 0.6 for rank in range(len(ids["skus"]))))  # best sellers first
    order_cols = ("id, order_no, channel_id, external_id, status, buyer_name, buyer_phone, buyer_phone_tail, "
                  "receiver_name, receiver_phone, receiver_phone_tail, receiver_province, receiver_city, "
                  "receiver_district, receiver_address, goods_fen, discount_fen, shipping_fen, payable_fen, paid_fen, "
                  "refunded_fen, invoice_title, invoice_tax_id, invoice_email, remark, warehouse_id, carrier_id, "
                  "waybill_no, payment_ref, paid_at, shipped_at, signed_at, completed_at, closed_at, "
                  "status_changed_at, awaiting_presale, created_at, updated_at")
    out = {"orders": Tsv("orders", order_cols),
           "lines": Tsv("order_lines", "id, order_id, sku_id, quantity, unit_price_fen, discount_fen, is_gift, "
                                       "awaiting_presale, refunded_quantity"),
           "events": Tsv("order_events", "id, order_id, at, actor, action, from_status, to_status, reason, details"),
           "moves": Tsv("stock_movements", MOVEMENT_COLUMNS),
           "reservations": Tsv("reservations", "id, order_id, warehouse_id, sku_id, quantity, status, created_at, "
                                               "updated_at")}
    receipt_ids = len(ids["warehouses"]) * len(ids["skus"])  # movement ids 1..N: the opening receipts
    counters = {"lines": 0, "events": 0, "moves": receipt_ids, "reservations": 0}
    long_timeline = count // 2 + 1
    with psycopg.connect(database_url) as connection, connection.cursor() as cursor:
        for order_id in range(1, count + 1):
            created = year_ago + step * (order_id - 1) + timedelta(seconds=rng.random() * 30)
            _one_order(order_id, created, now, ids, rng, sku_weights, out, counters, levels, long_timeline == order_id)
            if order_id % BATCH_ORDERS == 0 or order_id == count:
                for tsv in out.values():  # orders first: the other tables refer to them
                    tsv.copy_to(cursor)
                connection.commit()
                print(f"  {order_id:,} orders stored", flush=True)
        totals.update(orders=count, **counters)
        _opening_receipts_and_levels(cursor, ids, levels, year_ago, rng)
        for table, last in (("orders", count), ("order_lines", counters["lines"]), ("order_events", counters["events"]),
                            ("stock_movements", counters["moves"]), ("reservations", counters["reservations"])):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", (max(last, 1),))
        connection.commit()
    totals["long_timeline_order"] = long_timeline
    return totals


def _one_order(order_id, created, now, ids, rng, sku_weights, out, counters, levels, long_timeline) -> None:
    channel_id, channel_code, platform = ids["channels"][order_id % len(ids["channels"])]
    age = now - created
    status = _status_for(age, rng)
    warehouse_id = rng.choice(ids["warehouses"])
    skus = sorted(set(rng.choices(ids["skus"], cum_weights=sku_weights, k=rng.choice((1, 2, 3, 3, 4, 5)))))
    lines = [(sku_id, price, rng.choice((1, 1, 1, 2, 3))) for sku_id, price in skus]
    goods = sum(price * quantity for _sku, price, quantity in lines)
    shipping = 0 if goods > 9900 else 1000
    payable = goods + shipping
    paid = payable if status not in ("01", "00") else 0
    refunded = paid if status == "R1" else 0
    steps = _path_steps(status)
    times = [created + timedelta(minutes=m) for m in (0, 3, 30, 240, 480, 600, 2880, 4320)]
    on_path = lambda action: action in {event[0] for event in steps}  # noqa: E731
    shipped = on_path("ship_out")
    phone = f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10 ** 8):08d}"
    province, city, district = rng.choice(PROVINCES)
    name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(("", rng.choice(GIVEN)))
    day = created + timedelta(hours=8)
    order_no = f"OH{day:%y%m%d}{order_id:08d}"
    external_id = None if platform in ("pos", "manual") else f"{channel_code[:2].upper()}{order_id * 7919:015d}"
    last_at = times[len(steps) - 1] if status not in ("00", "R1", "E1", "A1") else times[2]
    orders = out["orders"]
    orders.row(order_id, order_no, channel_id, external_id, status, name, phone, phone[-4:], name, phone, phone[-4:],
               province, city, district, f"{district}文一路 {order_id % 999 + 1} 号", goods, 0, shipping, payable, paid,
               refunded, "", "", "", "", warehouse_id, ids["carrier"] if shipped else None,
               f"SF{order_id:013d}" if shipped else "", f"PAY{order_id:012d}" if paid else "",
               stamp(times[1]) if paid else None, stamp(times[4]) if shipped else None,
               stamp(times[6]) if on_path("sign") else None, stamp(times[7]) if on_path("complete") else None,
               stamp(times[2]) if status in ("00", "R1") else None, stamp(last_at), "f", stamp(created), stamp(last_at))
    for sku_id, price, quantity in lines:
        counters["lines"] += 1
        out["lines"].row(counters["lines"], order_id, sku_id, quantity, price, 0, "f", "f",
                         quantity if status == "R1" else 0)
    for action, from_status, to_status, actor in steps:
        _event(out, counters, order_id, times[ACTION_TIME.get(action, 2)], _actor(actor, channel_code), action,
               from_status, to_status)
    if long_timeline:
        for pair in range(LONG_TIMELINE_EVENTS // 2):
            at = times[7] + timedelta(hours=pair)
            _event(out, counters, order_id, at, "user:kefu", "mark_exception", status, "E1", "客户来电")
            _event(out, counters, order_id, at + timedelta(minutes=5), "user:kefu", "resolve_exception", "E1", status)
    _stock(out, counters, order_id, warehouse_id, lines, status, times, levels)


def _status_for(age: timedelta, rng: random.Random) -> str:
    if age < timedelta(days=7):
        return rng.choice(RECENT_STATUSES)
    draw = rng.random()
    for limit, status in ((0.86, "08"), (0.93, "00"), (0.97, "R1"), (0.99, "A1")):
        if draw < limit:
            return status
    return "07"


def _path_steps(status: str) -> list[tuple]:
    if status in STEPS_FOR:
        return list(PATH[:STEPS_FOR[status]])
    if status == "00":
        return [PATH[0], ("close_unpaid", "01", "00", "system")]
    if status == "R1":
        return [*PATH[:2], ("refund", "02", "R1", "user")]
    if status == "E1":
        return [*PATH[:2], ("mark_exception", "02", "E1", "user")]
    return [*PATH, ("request_after_sales", "08", "A1", "channel")]  # A1


def _actor(kind: str, channel_code: str) -> str:
    return {"channel": f"channel:{channel_code}", "user": "user:kefu", "carrier": "carrier:SF"}.get(kind, "system")


def _event(out, counters, order_id, at, actor, action, from_status, to_status, reason="") -> None:
    counters["events"] += 1
    out["events"].row(counters["events"], order_id, stamp(at), actor, action, from_status, to_status, reason, "{}")


def _stock(out, counters, order_id, warehouse_id, lines, status, times, levels) -> None:
    """reserve at creation; lock on payment; then ship, or release / unlock when the order ended early."""
    paid = status not in ("01", "00")
    shipped = status in ("05", "06", "07", "08", "A1")
    for sku_id, _price, quantity in lines:
        level = levels[(warehouse_id, sku_id)]
        kinds = [("reserve", 0, quantity, 0, times[0])]
        if status == "00":
            kinds.append(("release", 0, -quantity, 0, times[2]))
        if paid:
            kinds.append(("lock", 0, -quantity, quantity, times[1]))
        if status == "R1":
            kinds.append(("unlock", 0, 0, -quantity, times[2]))
        if shipped:
            kinds.append(("ship", -quantity, 0, -quantity, times[4]))
        for kind, on_hand, reserved, locked, at in kinds:
            counters["moves"] += 1
            level[0] += on_hand
            level[1] += reserved
            level[2] += locked
            out["moves"].row(counters["moves"], stamp(at), warehouse_id, sku_id, kind, on_hand, reserved, locked, 0,
                             order_id, "system", "", "")
        counters["reservations"] += 1
        state = ("shipped" if shipped else "locked" if paid and status != "R1" else
                 "reserved" if status == "01" else "released")
        out["reservations"].row(counters["reservations"], order_id, warehouse_id, sku_id, quantity, state,
                                stamp(times[0]), stamp(times[0]))


def _opening_receipts_and_levels(cursor, ids, levels, year_ago, rng) -> None:
    """One receipt per warehouse × SKU a year ago (movement ids 1..N), large enough for everything sold
    since plus some left; the levels are the sums of their movements."""
    movement_id = 0
    receipts = Tsv("stock_movements", MOVEMENT_COLUMNS)
    for warehouse_id in ids["warehouses"]:
        for sku_id, _price in ids["skus"]:
            on_hand, reserved, locked = levels[(warehouse_id, sku_id)]
            opening = -on_hand + reserved + locked + rng.randrange(20, 400)
            levels[(warehouse_id, sku_id)][0] += opening
            movement_id += 1
            receipts.row(movement_id, stamp(year_ago), warehouse_id, sku_id, "receipt", opening, 0, 0, 0, None,
                         "user:cangku", "期初入库", "")
    receipts.copy_to(cursor)
    rows = Tsv("stock_levels", "warehouse_id, sku_id, on_hand, reserved, locked, safety, damaged, reorder_point")
    for (warehouse_id, sku_id), (on_hand, reserved, locked) in levels.items():
        rows.row(warehouse_id, sku_id, on_hand, reserved, locked, 0, 0, 0)
    rows.copy_to(cursor)


def analyse(database_url: str) -> None:
    """Fresh statistics and visibility maps: the planner then sees a year of data, index-only scans work."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")


def is_empty(database_url: str) -> bool:
    """True when the database has no orders table yet or no orders in it."""
    import psycopg

    with psycopg.connect(database_url) as connection:
        exists = connection.execute("SELECT to_regclass('orders') IS NOT NULL").fetchone()[0]
        return not exists or connection.execute("SELECT NOT EXISTS (SELECT 1 FROM orders)").fetchone()[0]


def seed(database_url: str, orders: int, seed_value: int = 14) -> dict:
    started = time.perf_counter()
    ids = migrate_and_seed_reference(database_url)
    totals = seed_big_tables(database_url, ids, orders, random.Random(seed_value))
    streamed = time.perf_counter()
    analyse(database_url)
    totals["copy_s"] = round(streamed - started, 1)
    totals["analyse_s"] = round(time.perf_counter() - streamed, 1)
    return totals


def main() -> int:
    args = parse_args()
    database_url = bench_database_url()
    if not is_empty(database_url):
        raise SystemExit("the database already has orders; drop and create it again to reseed")
    totals = seed(database_url, args.orders, args.seed)
    print(f"seeded {totals['orders']:,} orders, {totals['lines']:,} lines, {totals['events']:,} events, "
          f"{totals['moves']:,} stock movements, {totals['reservations']:,} reservations in {totals['copy_s']} s "
          f"(+ VACUUM ANALYZE {totals['analyse_s']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
