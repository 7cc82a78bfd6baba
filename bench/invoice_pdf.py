"""Benchmark: invoice PDF rendering (cold and warm) and request → issued against the e-invoice simulator.

    .venv/bin/python bench/invoice_pdf.py [--renders 30] [--cold 5] [--invoices 20] [--issue-seconds 1]

It builds a throw-away instance (SQLite, embedded Redis) with a shop and completed orders, then:
- cold: ``--cold`` new processes, each creating the app and rendering one invoice's PDF once (its first
  render pays for loading WeasyPrint, fontconfig and the CJK font); the time of that first render;
- warm: ``--renders`` renders in this process after one warm-up render (a worker that has rendered before);
- request → issued: ``--invoices`` invoices requested one by one, each sent by the issue job and polled
  every 100 ms until the simulator (issuing after ``--issue-seconds``, as the real platforms do
  asynchronously) reports it issued. Jobs run inline here, so queueing delay is not included.
It prints p50 / p95 of each and, last, one RESULT line.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

COLD_SCRIPT = """
import sys, time
from app import create_app
from app.domain.invoicing import pdf
from app.domain.invoicing.issuing import Seller
from app.domain.invoicing.models import Invoice
from app.extensions import db
app = create_app()
with app.app_context():
    invoice = db.session.get(Invoice, int(sys.argv[1]))
    started = time.perf_counter()
    pdf.render(invoice, Seller.from_config(app.config), app.template_folder, app.static_folder)
    print((time.perf_counter() - started) * 1000)
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--renders", type=int, default=30)
    parser.add_argument("--cold", type=int, default=5)
    parser.add_argument("--invoices", type=int, default=20)
    parser.add_argument("--issue-seconds", type=float, default=1.0)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for one invoice, at most")
    return parser.parse_args()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def report(name: str, values: list[float]) -> None:
    print(f"{name}: n={len(values)} p50={statistics.median(values):.1f} ms p95={percentile(values, 0.95):.1f} ms")


def build_world(app, count: int):
    from app.domain.inventory import services as inventory
    from app.domain.inventory.ledger import Change
    from app.domain.orders import services
    from app.domain.orders.inputs import LineInput, OrderInput, Receiver
    from tests import factories

    warehouse = factories.WarehouseFactory()
    skus = [factories.SkuFactory(name=f"保温杯 500ml 款式{n}", price_fen=5900 + n * 100) for n in range(8)]
    channel, carrier = factories.ChannelFactory(), factories.CarrierFactory()
    inventory.receive(warehouse, [(sku, 100_000) for sku in skus], Change("bench", "入库"))
    orders = []
    for n in range(count):
        data = OrderInput(receiver=Receiver("张三", "13800138000", "上海市", "上海市", "世纪大道 1 号", "浦东新区"),
                          lines=[LineInput(sku.code, 1 + (n + i) % 3) for i, sku in enumerate(skus[: 2 + n % 6])],
                          buyer_phone="13800138000", shipping_fen=1000, discount_fen=500)
        order, _ = services.create_order(channel, data, "bench")
        services.pay(order, order.payable_fen, "bench")
        for step in (services.approve, services.pack):
            step(order, "bench")
        services.ship_out(order, carrier, f"SF{n:010d}", "bench")
        for step in (services.hand_over, services.sign, services.complete):
            step(order, "bench")
        orders.append(order.id)
    db_commit()
    return orders


def db_commit():
    from app.extensions import db

    db.session.commit()


def request(app, order_id: int):
    from app.domain.invoicing import services
    from app.domain.invoicing.rules import InvoicingRules
    from app.domain.invoicing.titles import Title
    from app.domain.orders.models import Order
    from app.extensions import db

    title = Title("company", "上海某某科技有限公司", "91310115MA1K4Q6N6T", "finance@example.cn")
    [invoice] = services.request_invoice([db.session.get(Order, order_id)], title, "user:bench", "staff",
                                         InvoicingRules.from_config(app.config))
    db.session.commit()
    return invoice.id


def main() -> None:
    args = parse_args()
    instance = tempfile.mkdtemp(prefix="orderhub-invoice-bench-")
    os.environ.update({"ORDERHUB_INSTANCE_PATH": instance, "EMAIL_PROVIDER": "off", "SMS_PROVIDER": "off",
                       "WECHAT_PROVIDER": "off"})
    for name in ("DATABASE_URL", "REDIS_URL"):
        os.environ.pop(name, None)
    import flask_migrate

    from app import create_app
    from app.domain.invoicing import pdf
    from app.domain.invoicing.issuing import Seller
    from app.domain.invoicing.models import Invoice
    from app.extensions import db
    from app.simulators import einvoice
    from workers import einvoice as jobs

    app = create_app()
    with app.app_context():
        flask_migrate.upgrade(directory=str(PROJECT_ROOT / "migrations"))
        order_ids = build_world(app, args.invoices + 1)
        settings = einvoice.settings_from_config(app.config, issue_seconds=args.issue_seconds)
        simulator = einvoice.start(settings, Path(instance) / "einvoice.sqlite3")
        app.config["NUONUO_ENDPOINT"] = f"{simulator.url}/open/v1/services"
        try:
            sample = request(app, order_ids[0])
            invoice = db.session.get(Invoice, sample)
            invoice.number, invoice.issued_at = "26319999999999999999", invoice.created_at  # (outside the simulator's numbers)
            db.session.commit()

            cold = [float(subprocess.run([sys.executable, "-c", COLD_SCRIPT, str(sample)], check=True,
                                         capture_output=True, text=True, cwd=PROJECT_ROOT,
                                         env=os.environ | {"PYTHONPATH": str(PROJECT_ROOT)}).stdout.split()[-1])
                    for _ in range(args.cold)]
            seller = Seller.from_config(app.config)
            invoice = db.session.get(Invoice, sample)
            pdf.render(invoice, seller, app.template_folder, app.static_folder)  # warm-up
            warm = []
            for _ in range(args.renders):
                started = time.perf_counter()
                pdf.render(invoice, seller, app.template_folder, app.static_folder)
                warm.append((time.perf_counter() - started) * 1000)

            issued = []
            for order_id in order_ids[1:]:
                started = time.perf_counter()
                invoice_id = request(app, order_id)
                state = jobs.issue_invoice(invoice_id)
                while state not in ("issued", "failed") and time.perf_counter() - started < args.timeout:
                    time.sleep(0.1)
                    state = jobs.poll_invoice(invoice_id)
                if state != "issued":
                    raise SystemExit(f"invoice {invoice_id} ended {state}")
                issued.append((time.perf_counter() - started) * 1000)
        finally:
            simulator.stop()
            shutil.rmtree(instance, ignore_errors=True)
    report("pdf cold (first render in a new process)", cold)
    report("pdf warm", warm)
    report("request -> issued", issued)
    print(f"RESULT invoicing pdf_warm_p95_ms={percentile(warm, 0.95):.0f} pdf_cold_ms={statistics.median(cold):.0f} "
          f"request_to_issued_p95_ms={percentile(issued, 0.95):.0f}")


if __name__ == "__main__":
    main()
