"""Benchmark: routing decision latency and the auto-routed share, on the pure engine.

    .venv/bin/python bench/routing.py [--orders 2000] [--seed 9]

Times ``app.domain.routing.engine.plan`` — the decision itself, data in and plan out — for orders of
1–5 lines against 6 warehouses (the demo's, at their real places) and against 60 (spread over the
provinces), each shipping with the 7 demo carriers on the demo rate cards (one row per carrier × origin
× destination). Destinations are drawn from every province; stock is drawn so that most SKUs are in
most warehouses and some are short, as on the demo. Database reads (facts.py) are not timed: they are
a handful of indexed queries per order. The auto-routed share is the share of these orders that get a
plan (one warehouse or a split) instead of being parked. Back-test throughput replays the 6-warehouse
orders as app.domain.routing.backtest does per order — the stock as it stood from a movement ledger
(StockHistory), the candidate's plan, the shipped parcel priced on the cards — and summarises them;
the database reads it makes once per back-test are not timed either.

Last line: ``RESULT routing p95_ms_6wh=… p95_ms_60wh=… auto_routed_pct=… backtest_orders_per_s=…``.
"""

import argparse
import random
import statistics
import sys
import time
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


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[94]


def main() -> None:
    args = parse_args()
    strategy = Strategy("balanced")
    figures = {}
    for warehouses in (6, 60):
        timings, routed = run(warehouses, args, strategy)
        figures[warehouses] = (p95(timings), 100 * routed / args.orders)
        print(f"{warehouses} warehouses × 7 carriers, {args.orders} orders of 1–5 lines ({strategy.name}): "
              f"p50 {statistics.median(timings):.2f} ms, p95 {p95(timings):.2f} ms, routed {routed}")
    rate = backtest_rate(args, strategy)
    print(f"back-test replay, {args.orders} orders on 6 warehouses: {rate:.0f} orders/s")
    print(f"RESULT routing p95_ms_6wh={figures[6][0]:.2f} p95_ms_60wh={figures[60][0]:.2f} "
          f"auto_routed_pct={figures[6][1]:.1f} backtest_orders_per_s={rate:.0f}")


if __name__ == "__main__":
    main()
