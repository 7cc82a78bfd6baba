"""Fixtures for the notification tests: a shop that can take orders, a recording fake provider, and the
real messaging simulators (HTTP and SMTP) on free local ports, with the app's settings pointed at them."""

import socket
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.db import utcnow
from app.domain.inventory import services as inventory
from app.domain.inventory.ledger import Change
from app.domain.notifications import adapters
from app.domain.notifications.models import Message
from app.domain.orders import services
from app.domain.orders.inputs import InvoiceRequest, LineInput, OrderInput, Receiver
from app.domain.orders.models import Order
from app.extensions import db
from app.jobs import get_queue
from app.simulators import messaging
from tests import factories

ACTOR = "user:tester"
BUYER_PHONE = "13900139000"
RECEIVER_PHONE = "13800138000"
OPENID = "oABCDEFGHIJKLMNOPQRSTUVWXYZ1"


@dataclass
class Shop:
    channel: object
    warehouse: object
    sku: object
    carrier: object

    def order(self, *, buyer_phone: str = BUYER_PHONE, receiver_phone: str = RECEIVER_PHONE,
              invoice_email: str = "", openid: str | None = None, timeout_minutes: int | None = None) -> Order:
        """A new pending order for one unit (59.00 yuan), flushed, not committed."""
        if timeout_minutes is not None:
            self.channel.unpaid_timeout_minutes = timeout_minutes
        invoice = InvoiceRequest("personal", "张三", email=invoice_email) if invoice_email else None
        data = OrderInput(receiver=Receiver("张三", receiver_phone, "上海市", "上海市", "世纪大道 1 号", "浦东新区"),
                          lines=[LineInput(self.sku.code, 1)], buyer_phone=buyer_phone, invoice=invoice)
        order, created = services.create_order(self.channel, data, ACTOR)
        assert created
        order.buyer_openid = openid
        db.session.flush()
        return order

    def paid_order(self, **options) -> Order:
        order = self.order(**options)
        services.pay(order, order.payable_fen, ACTOR)
        return order

    def shipped_order(self, **options) -> Order:
        order = self.paid_order(**options)
        services.approve(order, ACTOR)
        services.pack(order, ACTOR)
        services.ship_out(order, self.carrier, "SF1234567890", ACTOR)
        return order


@pytest.fixture
def shop(app_context) -> Shop:
    warehouse = factories.WarehouseFactory()
    sku = factories.SkuFactory(price_fen=5900)
    channel = factories.ChannelFactory(unpaid_timeout_minutes=30)
    carrier = factories.CarrierFactory(name="顺丰速运")
    inventory.receive(warehouse, [(sku, 100)], Change(ACTOR, "测试入库"))
    db.session.flush()
    return Shop(channel, warehouse, sku, carrier)


def messages(**where) -> list[Message]:
    """Outbox rows as the database holds them now, oldest first."""
    query = select(Message).order_by(Message.id).execution_options(populate_existing=True)
    for name, value in where.items():
        query = query.where(getattr(Message, name) == value)
    return list(db.session.scalars(query))


def queued_sends() -> list[int]:
    """Message ids of the send jobs waiting in the notifications queue."""
    return [job.args[0] for job in get_queue("notifications").get_jobs()
            if job.func_name == "workers.notifications.send_message"]


def later(minutes: float):
    return utcnow() + timedelta(minutes=minutes)


@dataclass
class FakeProvider:
    """Stands in for every adapter: records what it was asked to send, and answers with the queued
    outcomes (an exception instance to raise, or nothing for success) before succeeding."""

    sent: list = field(default_factory=list)
    outcomes: list = field(default_factory=list)

    def send(self, message) -> str:
        outcome = self.outcomes.pop(0) if self.outcomes else None
        if isinstance(outcome, Exception):
            raise outcome
        self.sent.append(message)
        return f"fake-{message.id}-{len(self.sent)}"

    def fail_next(self, *errors: Exception) -> None:
        self.outcomes.extend(errors)


@pytest.fixture
def provider(monkeypatch) -> FakeProvider:
    fake = FakeProvider()
    monkeypatch.setattr(adapters, "build", lambda channel, config, cache=None: fake)
    return fake


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def simulators(app, tmp_path, monkeypatch):
    """The messaging simulators on free ports, and the app's settings pointing every channel at them."""
    running = messaging.start(app.config, tmp_path / "simulators.sqlite3", http_port=0, smtp_port=free_port())
    for name, value in {
        "SMS_PROVIDER": "simulator", "WECHAT_PROVIDER": "simulator", "EMAIL_PROVIDER": "simulator",
        "SMS_ENDPOINT": f"{running.http_url}/sms/", "WECHAT_API_BASE": f"{running.http_url}/wechat",
        "SMTP_HOST": running.smtp_host, "SMTP_PORT": running.smtp_port, "SMTP_USER": "",
        "MESSAGING_SIMULATOR_URL": running.http_url,
    }.items():
        monkeypatch.setitem(app.config, name, value)
    yield running
    running.stop()

