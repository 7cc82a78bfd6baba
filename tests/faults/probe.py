"""What the fault tests ask of the stack's own database, run as a process of its own
(``python -m tests.faults.probe``) with the stack's environment, so the test process's database, Redis
and rolled-back transaction are never mixed up with the stack's. It reads one command a line (a JSON
list: name and arguments) and answers each with one line of JSON, building the app only once.

Commands:
- ``seed``: demo data, and the simulators' credentials for the Taobao and Youzan demo shops only (the
  scheduler pulls every shop that has credentials);
- ``orders CHANNEL``: the shop's orders by platform id, with their statuses and payload states;
- ``stock CHANNEL``: stock_differences(), and every listing whose platform stock differs from ours;
- ``hook PATH BODY_FILE HEADERS_JSON``: a webhook posted to the web app, with its answer.
"""

import json
import sys
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from app import create_app
from app.cli.channels import configure_demo_shops
from app.demo import seed_demo
from app.domain.channels.connect import build_adapter, credentials_of, settings_of
from app.domain.channels.models import RawPayload
from app.domain.channels.push import listed_skus, target_quantity
from app.domain.orders.consistency import stock_differences
from app.domain.orders.models import Order
from app.domain.reference.models import Channel
from app.extensions import db

SHOPS = ("taobao", "youzan")


def seed() -> dict:
    seed_demo()
    db.session.commit()
    configure_demo_shops()
    for channel in db.session.scalars(select(Channel).where(Channel.platform.in_(SHOPS))):
        settings_of(channel).calls_per_second = 1000  # the platform's faults are the simulator's to make
    for channel in db.session.scalars(select(Channel).where(Channel.platform.not_in(SHOPS))):
        if credentials_of(channel) is not None:
            db.session.delete(credentials_of(channel))
    db.session.commit()
    return {row.code: row.id for row in db.session.execute(select(Channel.code, Channel.id))}


def orders(code: str) -> dict:
    channel = db.session.scalar(select(Channel).where(Channel.code == code))
    found: dict[str, list[str]] = {}
    for external_id, status in db.session.execute(
            select(Order.external_id, Order.status).where(Order.channel_id == channel.id)):
        found.setdefault(external_id, []).append(str(status))
    payloads = dict(db.session.execute(select(RawPayload.status, func.count()).where(
        RawPayload.channel_id == channel.id).group_by(RawPayload.status)).all())
    return {"orders": found, "payloads": {str(status): count for status, count in payloads.items()}}


def stock(code: str) -> dict:
    channel = db.session.scalar(select(Channel).where(Channel.code == code))
    adapter = build_adapter(channel, current_app.config, limited=False)
    drift = {}
    for sku, listing in listed_skus(channel):
        ours, theirs = target_quantity(channel, sku), adapter.read_stock(listing)
        if ours != theirs:
            drift[sku.code] = {"ours": ours, "platform": theirs}
    return {"differences": stock_differences(), "drift": drift}


def hook(path: str, body_file: str, headers: str) -> dict:
    response = current_app.test_client().post(
        path, data=Path(body_file).read_bytes(), headers=json.loads(headers))
    return {"status": response.status_code, "text": response.get_data(as_text=True)}


COMMANDS = {"seed": seed, "orders": orders, "stock": stock, "hook": hook}


def main() -> None:
    app = create_app()
    for line in sys.stdin:
        command, *args = json.loads(line)
        with app.app_context():
            try:
                answer = {"ok": COMMANDS[command](*args)}
            except Exception as error:  # the test shows it; the probe stays up for the next command
                db.session.rollback()
                answer = {"error": f"{type(error).__name__}: {error}"}
            finally:
                db.session.remove()
        print(json.dumps(answer, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
