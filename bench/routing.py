"""Benchmark: routing decision latency and the auto-routed share, on the pure engine.

    .venv/bin/python bench/routing.py [--orders 2000] [--seed 9]

Times ``app.domain.routing.engine.plan`` — the decision itself, data in and plan out — for orders of
1–5 lines against 6 warehouses (the demo's, at their real places) and against 60 (spread over the
provinces), each shipping with the 7 demo carriers on the demo rate cards (one row per carrier × origin
× destination). Destinations are drawn from every province; stock is drawn so that most SKUs are in
most warehouses and some are short, as on the demo. Database reads (facts.py) are not timed: they are
a handful of indexed queries per order. Back-test throughput replays the 6-warehouse
orders as app.domain.routing.backtest does per order — the stock as it stood from a movement ledger
(StockHistory), the candidate's plan, the shipped parcel priced on the cards — and summarises them;
the database reads it makes once per back-test are not timed either.

The auto-routed share is measured end to end on a demo stream (``--stream-orders``, 600 by default) in a
throw-away SQLite database: the demo merchant as ``flask seed-demo`` makes it (six warehouses with their
stock, the catalog with its bundles, the channels, the seven carriers' rate cards), then a stream of
orders like the simulators' — a routed channel, 1–5 catalog lines (bundles too) of 1–3 units, receivers
mostly the demo's buyers and one in five in any province's capital — each created, paid and routed by
the services the payment's job runs. The share is routed (one warehouse or a split) over routed plus
parked; orders refused at creation never reach routing and are counted apart: short in total (the
stock rules split an order, even one SKU's units, over the warehouses that together hold it), or refused
although the warehouses together hold it, which would be a fault of those rules and should stay 0.

Last line: ``RESULT routing p95_ms_6wh=… p95_ms_60wh=… auto_routed_pct=… backtest_orders_per_s=…``.
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from app.domain.reference.places import locate
from app.domain.routing import demo_cards
from app.domain.routing.backtest import StockHistory, side, summarise
from app.domain.routing.engine import Destination, Site, Strategy, plan, shipped_parcel
from app.domain.routing.rates import Item, Rate

DEMO_SITES = (("WH-SH", "上海"), ("WH-GZ", "广东"), ("WH-BJ", "北京"), ("WH-WH", "湖北"), ("WH-CD", "四川"),
              ("WH-SY", "辽宁"))
SKUS = 60


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=2000, help="orders routed per warehouse count")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--stream-orders", type=int, default=600, help="orders of the demo stream")
    return parser.parse_args()


def sites(count: int, rng: random.Random) -> list[Site]:
    if count == len(DEMO_SITES):
        chosen = [(code, locate(name)) for code, name in DEMO_SITES]
    else:
        provinces = demo_cards.provinces()
        chosen = [(f"WH-{i:02d}", provinces[i % len(provinces)]) for i in range(count)]
    carriers = tuple(demo_cards.CARRIERS)
    return [Site(code, place.province, place.latitude + rng.uniform(-0.3, 0.3), place.longitude + rng.uniform(-0.3, 0.3),
                 priority=i + 1, stock={sku: rng.choice((0, 5, 20, 50, 200)) for sku in range(SKUS)},
                 capacity_left=rng.choice((None, 500)), handling_hours=rng.choice((6, 12, 24)),
                 cutoff_passed=rng.random() < 0.3, carriers=carriers)
            for i, (code, place) in enumerate(chosen)]


def rates(site_list: list[Site]) -> dict:
    rows = demo_cards.card_rows(sorted({site.province for site in site_list}))
    return {(r["carrier"], r["origin_province"], r["destination_province"]):
            Rate(r["carrier"], r["first_weight_g"], r["first_fen"], r["extra_fen_per_kg"], r["step_g"],
                 r["volumetric_divisor"], r["surcharge_fen"], r["transit_days"], r["served"]) for r in rows}


def orders(count: int, rng: random.Random) -> list[tuple[list[Item], Destination]]:
    destinations = [Destination(p.province, p.latitude, p.longitude) for p in demo_cards.provinces()]
    made = []
    for _ in range(count):
        skus = rng.sample(range(SKUS), rng.randint(1, 5))
        items = [Item(sku, rng.randint(1, 3), rng.choice((150, 500, 1200)), rng.choice((0, 3000))) for sku in skus]
        made.append((items, rng.choice(destinations)))
    return made


def run(warehouses: int, args, strategy: Strategy) -> tuple[list[float], int]:
    rng = random.Random(args.seed + warehouses)
    site_list = sites(warehouses, rng)
    table = rates(site_list)
    timings, routed = [], 0
    for items, destination in orders(args.orders, rng):
        started = time.perf_counter()
        result = plan(items, site_list, table, destination, strategy)
        timings.append((time.perf_counter() - started) * 1000)
        routed += result.routed
    return timings, routed


def backtest_rate(args, strategy: Strategy) -> float:
    """Orders replayed per second: each order's stock rebuilt from a ledger of one movement per order
    and SKU, planned, compared with the parcel that shipped (the first warehouse, the first carrier)."""
    rng = random.Random(args.seed)
    site_list = sites(len(DEMO_SITES), rng)
    table = rates(site_list)
    stream = orders(args.orders, rng)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    levels = {(w, sku): (units, 0) for w, site in enumerate(site_list) for sku, units in site.stock.items()}
    movements = [SimpleNamespace(id=i, at=start + timedelta(minutes=i), warehouse_id=i % len(site_list),
                                 sku_id=item.sku_id, order_id=i, on_hand_delta=0, reserved_delta=item.quantity,
                                 locked_delta=0)
                 for i, (items, _destination) in enumerate(stream) for item in items]
    started = time.perf_counter()
    history = StockHistory(levels, movements)
    rows = []
    for i, (items, destination) in enumerate(stream):
        stock = history.before(i, start + timedelta(minutes=i), [item.sku_id for item in items])
        replayed = [replace(site, stock={sku: units for (w, sku), units in stock.items() if w == n})
                    for n, site in enumerate(site_list)]
        result = plan(items, replayed, table, destination, strategy)
        shipped = shipped_parcel(site_list[0], site_list[0].carriers[0], items, table, destination)
        rows.append({"order_no": str(i), "shipped_on": "2026-11-01", "changed": True, "reasons": [],
                     "actual": side((shipped,)) if shipped else None,
                     "replay": side(result.parcels) if result.routed else None})
    summarise(rows)
    return len(stream) / (time.perf_counter() - started)


CAPITALS = (("北京", "北京"), ("天津", "天津"), ("河北", "石家庄"), ("山西", "太原"), ("内蒙古", "呼和浩特"),
            ("辽宁", "沈阳"), ("吉林", "长春"), ("黑龙江", "哈尔滨"), ("上海", "上海"), ("江苏", "南京"),
            ("浙江", "杭州"), ("安徽", "合肥"), ("福建", "福州"), ("江西", "南昌"), ("山东", "济南"),
            ("河南", "郑州"), ("湖北", "武汉"), ("湖南", "长沙"), ("广东", "广州"), ("广西", "南宁"),
            ("海南", "海口"), ("重庆", "重庆"), ("四川", "成都"), ("贵州", "贵阳"), ("云南", "昆明"),
            ("西藏", "拉萨"), ("陕西", "西安"), ("甘肃", "兰州"), ("青海", "西宁"), ("宁夏", "银川"),
            ("新疆", "乌鲁木齐"))


def demo_stream(count: int, seed: int) -> Counter:
    """Outcomes of ``count`` demo-stream orders routed through the services (see the module's doc)."""
    from sqlalchemy import select

    from app import create_app
    from app.config import sqlite_url
    from app.demo import seed_demo
    from app.demo_orders import RECEIVERS
    from app.domain.catalog.models import Sku
    from app.domain.errors import OutOfStock
    from app.domain.orders import services as orders
    from app.domain.orders.inputs import LineInput, OrderInput
    from app.domain.reference.models import Channel
    from app.domain.routing import services as routing
    from app.extensions import db

    rng = random.Random(seed)
    outcomes: Counter = Counter()
    with tempfile.TemporaryDirectory() as instance:
        app = create_app({"INSTANCE_PATH": instance, "SQLALCHEMY_DATABASE_URI": sqlite_url(instance)})
        with app.app_context():
            db.create_all()
            seed_demo()
            db.session.commit()
            channels = list(db.session.scalars(select(Channel).where(Channel.default_warehouse_id.is_(None))
                                               .order_by(Channel.code)))
            codes = list(db.session.scalars(select(Sku.code).where(Sku.active).order_by(Sku.code)))
            for number in range(count):
                receiver = _stream_receiver(rng, RECEIVERS)
                lines = [LineInput(code, rng.randint(1, 3)) for code in rng.sample(codes, rng.randint(1, 5))]
                data = OrderInput(receiver=receiver, lines=lines, external_id=f"STREAM-{number:05d}",
                                  buyer_name=receiver.name, buyer_phone=receiver.phone)
                try:
                    order, _created = orders.create_order(rng.choice(channels), data, "system:bench")
                except OutOfStock as error:
                    outcomes[_refusal(error)] += 1
                    continue
                orders.pay(order, order.payable_fen, "system:bench")
                decision = routing.route_when_due(order, "system")
                outcomes[decision.outcome if decision is not None else "not_routed"] += 1
                db.session.commit()
            db.session.remove()
    return outcomes


def _refusal(error) -> str:
    """Why an order was refused at creation: a SKU short in total (``refused_short``), or none
    (``refused_despite_stock``: all warehouses together hold every line, so the refusal is a fault)."""
    from sqlalchemy import func, select

    from app.domain.catalog.models import Sku
    from app.domain.inventory.models import StockLevel
    from app.extensions import db

    for line in error.details.get("lines", []):
        total = db.session.scalar(select(func.coalesce(func.sum(StockLevel.on_hand - StockLevel.reserved
                                                                - StockLevel.locked - StockLevel.safety), 0))
                                  .join(Sku, StockLevel.sku_id == Sku.id).where(Sku.code == line["sku"]))
        if total < line["requested"]:
            return "refused_short"
    return "refused_despite_stock"


def _stream_receiver(rng: random.Random, demo_receivers):
    from app.domain.orders.inputs import Receiver

    if rng.random() < 0.8:
        return Receiver(**vars(rng.choice(demo_receivers)))
    province, city = rng.choice(CAPITALS)
    return Receiver("顾客", "13800138000", province, city, "人民路 1 号")


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[94]


def main() -> None:
    args = parse_args()
    strategy = Strategy("balanced")
    figures = {}
    for warehouses in (6, 60):
        timings, routed = run(warehouses, args, strategy)
        figures[warehouses] = p95(timings)
        print(f"{warehouses} warehouses × 7 carriers, {args.orders} orders of 1–5 lines ({strategy.name}): "
              f"p50 {statistics.median(timings):.2f} ms, p95 {p95(timings):.2f} ms, routed {routed}")
    rate = backtest_rate(args, strategy)
    print(f"back-test replay, {args.orders} orders on 6 warehouses: {rate:.0f} orders/s")
    outcomes = demo_stream(args.stream_orders, args.seed)
    decided = outcomes["routed"] + outcomes["split"] + outcomes["parked"]
    share = 100 * (outcomes["routed"] + outcomes["split"]) / decided if decided else 0.0
    print(f"demo stream, {args.stream_orders} orders through the services: " +
          ", ".join(f"{name} {number}" for name, number in sorted(outcomes.items())) + f"; auto-routed {share:.1f} %")
    print(f"RESULT routing p95_ms_6wh={figures[6]:.2f} p95_ms_60wh={figures[60]:.2f} "
          f"auto_routed_pct={share:.1f} backtest_orders_per_s={rate:.0f} stream_orders={decided}")


if __name__ == "__main__":
    main()
