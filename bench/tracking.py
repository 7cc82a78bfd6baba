"""Benchmark: tracking pushes → order state visible, and real-time polls per minute per worker.

    .venv/bin/python bench/tracking.py [--parcels 200] [--rate 20] [--poll-parcels 200]

Runs on a throw-away instance folder (SQLite + embedded Redis, the development defaults) or, with
``DATABASE_URL`` / ``REDIS_URL`` set, on those servers (use a database of its own: it migrates it and adds
rows). It seeds ``--parcels`` shipped orders through the real services, serves OrderHub (werkzeug
``make_server`` in a thread) and the 快递100 simulator in this process on free ports, then:

1. Pushes: one parcel after another at ``--rate`` per second, the simulator moves the parcel one step
   (揽收) and pushes its history, signed, over HTTP to ``POST /hooks/logistics/kuaidi100``; an observer
   with its own database session polls every 5 ms until the order shows 运输中. Printed: push sent →
   order state visible, p50 / p95 / p99.
2. Polls: ``--poll-parcels`` parcels made silent (no event for 13 h), then one "worker" (this process)
   runs the sweep and ``workers.logistics.refresh_shipment`` back to back — the job function itself,
   the same unit of work an RQ worker runs, with its real-time query over HTTP to the simulator.
   Printed: polls per minute for one worker.

Last line: ``RESULT tracking push_to_visible_p95_ms=… polls_per_min=…``.
"""

import argparse
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parcels", type=int, default=200, help="parcels pushed in part 1")
    parser.add_argument("--rate", type=float, default=20, help="pushes per second in part 1")
    parser.add_argument("--poll-parcels", type=int, default=200, help="silent parcels polled in part 2")
    return parser.parse_args()


def serve(wsgi_app):
    from werkzeug.serving import make_server

    from app.simulators.shop_platform import QuietHandler

    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True, request_handler=QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def seed(app, count: int) -> list[tuple[int, str]]:
    """``count`` orders shipped as one parcel each (shunfeng); returns (order id, waybill)."""
    from app.domain.catalog.models import Sku
    from app.domain.inventory import services as inventory
    from app.domain.inventory.ledger import Change
    from app.domain.logistics import shipments
    from app.domain.orders import services
    from app.domain.orders.inputs import LineInput, OrderInput, Receiver
    from app.domain.reference.models import Carrier, Channel, Warehouse
    from app.extensions import db

    with app.app_context():
        warehouse = Warehouse(code="WH-TRACK", name="压测仓", province="上海市", city="上海市",
                              latitude=31.23, longitude=121.47, daily_capacity=100000, priority=1)
        channel = Channel(code="track-bench", platform="miniapp", shop_name="压测小店")
        sku = Sku(code="TRACK-1", name="压测商品", weight_g=500, price_fen=5900, tax_rate_bp=1300)
        carrier = db.session.query(Carrier).filter_by(code="shunfeng").first() or Carrier(code="shunfeng", name="顺丰")
        db.session.add_all([warehouse, channel, sku, carrier])
        db.session.flush()
        inventory.receive(warehouse, [(sku, count * 2)], Change("bench", "压测入库"))
        seeded = []
        for number in range(count):
            phone = f"139{number:08d}"
            data = OrderInput(receiver=Receiver("压测用户", phone, "上海市", "上海市", "压测路 1 号", "浦东新区"),
                              lines=[LineInput("TRACK-1", 1)], buyer_phone=phone)
            order, _ = services.create_order(channel, data, "bench")
            services.pay(order, order.payable_fen, "bench")
            services.approve(order, "bench")
            services.pack(order, "bench")
            waybill = f"SF{7000000000000 + number}"
            shipments.ship_order(order, carrier, waybill, "bench")
            seeded.append((order.id, waybill))
        db.session.commit()
    return seeded


def measure_pushes(app, simulator, seeded, rate: float, hook: str) -> list[float]:
    """Part 1: push → the order shows 运输中, in milliseconds, one parcel at a time at ``rate``."""
    from app.domain.orders.models import Order
    from app.extensions import db

    for _order_id, waybill in seeded:  # subscribed as the ship job would, pointing at our hook
        simulator.subscribe({"company": "shunfeng", "number": waybill, "key": simulator.key,
                             "parameters": {"callbackurl": hook, "salt": app.config["KUAIDI100_SALT"],
                                            "phone": "13900000000"}})
    latencies = []
    with app.app_context():
        for index, (order_id, waybill) in enumerate(seeded):
            due = time.perf_counter() + index / rate
            time.sleep(max(0.0, due - time.perf_counter()))
            start = time.perf_counter()
            threading.Thread(target=simulator.step_parcel, args=(waybill,), daemon=True).start()
            while True:
                status = db.session.get(Order, order_id, populate_existing=True).status
                db.session.rollback()  # end the look at once: on SQLite an open transaction holds the write lock
                if status == "06":
                    break
                if time.perf_counter() - start > 10:
                    raise RuntimeError(f"parcel {waybill} not visible after 10 s")
                time.sleep(0.005)
            latencies.append((time.perf_counter() - start) * 1000)
    return latencies


def measure_polls(app, seeded) -> float:
    """Part 2: silent parcels polled back to back by one worker; polls per minute."""
    from sqlalchemy import update

    from app.db import utcnow
    from app.domain.logistics import polling
    from app.domain.logistics.models import Shipment
    from app.extensions import db
    from workers import logistics as jobs

    waybills = [waybill for _order_id, waybill in seeded]
    with app.app_context():
        db.session.execute(update(Shipment).where(Shipment.waybill_no.in_(waybills)).values(
            last_event_at=utcnow() - timedelta(hours=13), last_polled_at=None, status="in_transit"))
        db.session.commit()
        start = time.perf_counter()
        ids = polling.claim_due(utcnow(), timedelta(hours=12), timedelta(minutes=30), limit=len(waybills))
        db.session.commit()
        for shipment_id in ids:
            jobs.refresh_shipment(shipment_id)
        elapsed = time.perf_counter() - start
    return len(ids) / elapsed * 60


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> None:
    args = parse_args()
    print(f"machine: {platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="orderhub-tracking-bench-") as folder:
        os.environ["ORDERHUB_INSTANCE_PATH"] = folder
        import flask_migrate

        from app import create_app
        from app.simulators.kuaidi100 import Faults, Kuaidi100Simulator

        simulator = Kuaidi100Simulator(seed=1, faults=Faults(0, 0, 0, 0))
        simulator_server, simulator_url = serve(simulator.create_app())
        app = create_app({"KUAIDI100_API_URL": simulator_url})
        simulator.key, simulator.customer = app.config["KUAIDI100_KEY"], app.config["KUAIDI100_CUSTOMER"]
        with app.app_context():
            flask_migrate.upgrade()
        seeded = seed(app, args.parcels + args.poll_parcels)
        hub, hub_url = serve(app)
        try:
            pushes = measure_pushes(app, simulator, seeded[: args.parcels], args.rate,
                                    f"{hub_url}/hooks/logistics/kuaidi100")
            p50, p95, p99 = (percentile(pushes, share) for share in (0.5, 0.95, 0.99))
            print(f"push → order visible ({len(pushes)} parcels at {args.rate}/s): "
                  f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms, mean {statistics.mean(pushes):.1f} ms")
            polled = seeded[args.parcels:]
            for _order_id, waybill in polled:  # the carrier knows these parcels: two events each
                simulator.query(simulator.customer, *_signed_query(simulator, waybill))
                simulator.step_parcel(waybill)
                simulator.step_parcel(waybill)
            per_minute = measure_polls(app, polled)
            print(f"polls: {len(polled)} silent parcels, {per_minute:.0f} polls per minute for one worker")
        finally:
            hub.shutdown()
            simulator_server.shutdown()
    print(f"RESULT tracking push_to_visible_p95_ms={p95:.1f} polls_per_min={per_minute:.0f}")


def _signed_query(simulator, waybill: str) -> tuple[str, str]:
    import json

    from app.domain.logistics.adapters.kuaidi100 import query_sign

    param = json.dumps({"com": "shunfeng", "num": waybill}, separators=(",", ":"))
    return param, query_sign(param, simulator.key, simulator.customer)


if __name__ == "__main__":
    main()
