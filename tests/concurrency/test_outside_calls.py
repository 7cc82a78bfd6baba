"""No database transaction is open, and the database is not write-locked, while a platform or a
message gateway is called: every outside-call path, through the real jobs, with committed data.

The suite's per-test rollback keeps one transaction (and, on SQLite, the write lock) open for the whole
test, which would hide exactly what is checked here; so these tests run on the concurrency package's
dedicated app (``buyers``: its own SQLite file, or the suite's PostgreSQL emptied afterwards), where
jobs commit for real. The fake adapter and the fake provider check the database at every call and
record what they find, so one run reports every offending path at once.
"""

import sqlite3
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from app.db import utcnow
from app.domain.catalog.models import Sku
from app.domain.channels import backlog, pii, stockwatch
from app.domain.channels.adapters.base import (
    ChannelAdapter,
    Credentials,
    ListEntry,
    Listing,
    PlainReceiver,
    PullPage,
    RawOrder,
    TokenExpiredError,
)
from app.domain.channels.connect import credentials_of
from app.domain.channels.models import ChannelOrder, DriftFinding, PushKind, PushRecord, PushStatus
from app.domain.channels.shop_settings import CredentialsData, save_credentials
from app.domain.inventory import services as inventory
from app.domain.inventory.ledger import Change
from app.domain.notifications import adapters as providers
from app.domain.notifications import services as notifications
from app.domain.notifications.models import Message, MessageStatus
from app.domain.orders import services as orders
from app.domain.orders.models import Order
from app.domain.reference.models import Carrier, Channel
from app.extensions import db
from tests import factories
from tests.channels.builders import PLAIN, taobao_trade
from workers import channel_sync
from workers import notifications as notification_jobs

ACTOR = "user:tester"


class DatabaseWatch:
    """What an outside call must never meet: an open session transaction or a write-locked database."""

    def __init__(self, database_url: str):
        self.database_url = database_url
        self.calls: list[str] = []
        self.violations: list[str] = []

    def check(self, name: str) -> None:
        self.calls.append(name)
        if db.session().in_transaction():
            self.violations.append(f"{name}: the session has a transaction open")
        blocked = self._write_blocked()
        if blocked:
            self.violations.append(f"{name}: {blocked}")

    def _write_blocked(self) -> str:
        if self.database_url.startswith("sqlite"):
            return self._sqlite_write_blocked(self.database_url.removeprefix("sqlite:///"))
        return self._postgres_transactions_open()

    @staticmethod
    def _sqlite_write_blocked(path: str) -> str:
        """Another connection takes the write lock at once (timeout 0) or reports who holds it."""
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            return ""
        except sqlite3.OperationalError as error:
            return f"another connection cannot write ({error})"
        finally:
            other.close()

    @staticmethod
    def _postgres_transactions_open() -> str:
        """Connections of this database sitting in an open transaction (other than the one asking)."""
        with db.engine.connect() as connection:
            count = connection.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'")).scalar()
        return f"{count} connection(s) idle in an open transaction" if count else ""


class GuardedPlatform(ChannelAdapter):
    """A Taobao-shaped platform answering from memory; every call is checked by the watch.

    The first list call answers "token expired", so the refresh path is exercised too; one listed order
    is keys only, so the detail call is too."""

    platform = "taobao"
    gateway_setting = "TAOBAO_GATEWAY_URL"
    default_gateway = "http://platform.invalid/router/rest"
    max_window = timedelta(days=1)
    list_is_complete = False

    def __init__(self, watch: DatabaseWatch):
        super().__init__(Credentials("key", "secret", "old-token", "refresh-token", ""), self.default_gateway)
        self.watch = watch
        self.expired_once = False
        self.modified = utcnow() - timedelta(hours=2)

    def trade(self, tid: str) -> dict:
        return taobao_trade(tid, "WAIT_SELLER_SEND_GOODS", self.modified, lines=(("OC-001", 1, "59.00"),))

    def list_window(self, start, end):
        self.watch.check("list_window")
        if not self.expired_once:
            self.expired_once = True
            raise TokenExpiredError("27", "Invalid session")
        yield PullPage(1, [ListEntry("8101", self.modified, self.trade("8101")),
                           ListEntry("8102", self.modified, {"tid": "8102"}, complete=False)])

    def fetch_order(self, external_id: str) -> RawOrder:
        self.watch.check("fetch_order")
        return RawOrder(external_id, self.modified, self.trade(external_id))

    def refresh_access_token(self) -> Credentials:
        self.watch.check("refresh_access_token")
        return Credentials("key", "secret", "new-token", "new-refresh-token", "")

    def push_shipment(self, external_id: str, carrier: str, waybill_no: str) -> dict:
        self.watch.check("push_shipment")
        return {"shipping": {"is_success": True}}

    def push_stock(self, listing: Listing, quantity: int) -> dict:
        self.watch.check("push_stock")
        return {"item": {"num": quantity}}

    def read_stock(self, listing: Listing) -> int:
        self.watch.check("read_stock")
        return 1  # never what was pushed: the drift check finds a difference

    def decrypt_receiver(self, external_id: str, pii_tokens: dict, scene: str) -> PlainReceiver:
        self.watch.check("decrypt_receiver")
        return PlainReceiver(**PLAIN)

    def _send(self, method: str, params: dict) -> dict:
        raise AssertionError("the guarded platform answers from memory")


class GuardedProvider:
    """A message gateway that checks the database whenever it is handed a message."""

    def __init__(self, watch: DatabaseWatch):
        self.watch = watch

    def send(self, message) -> str:
        self.watch.check("send")
        return f"guarded-{message.id}"


@pytest.fixture
def shop(buyers):
    """A committed Taobao shop with credentials, a warehouse with stock, and a carrier."""
    with buyers.app.app_context():
        warehouse = factories.WarehouseFactory(code="WH-OC", priority=1)
        sku = factories.SkuFactory(code="OC-001", price_fen=5900)
        channel = factories.ChannelFactory(code="oc-shop", platform="taobao", default_warehouse=warehouse,
                                           unpaid_timeout_minutes=3 * 24 * 60)
        factories.CarrierFactory(code="shunfeng", name="顺丰速运")
        save_credentials(channel, CredentialsData("key", "secret", "old-token", "", "refresh-token"), "test")
        inventory.receive(warehouse, [(sku, 20)], Change(ACTOR, "期初入库"))
        db.session.commit()
        return channel.id


@pytest.fixture
def watch(buyers, monkeypatch):
    watch = DatabaseWatch(buyers.app.config["SQLALCHEMY_DATABASE_URI"])
    platform = GuardedPlatform(watch)
    monkeypatch.setattr(channel_sync, "_adapter", lambda channel: platform)
    monkeypatch.setattr(providers, "build", lambda channel, config, cache=None: GuardedProvider(watch))
    watch.platform = platform
    return watch


def test_every_outside_call_runs_with_no_transaction_open_and_the_database_free(buyers, shop, watch):
    with buyers.app.app_context():
        # Pull: the expired token is refreshed, a page is listed, a keys-only order is fetched in detail.
        assert channel_sync.pull_channel(shop)["created"] == 2
        # A pushed message naming only its order: the webhook's detail fetch.
        assert channel_sync.fetch_pushed_order(shop, "8103") == "applied"
        # A helper job on another worker takes a keys-only order off a pull's backlog: its detail fetch.
        backlog.add(shop, [backlog.Item("8104", watch.platform.modified, None)])
        assert channel_sync.help_pull(shop) == 1
        assert db.session.scalar(select(ChannelOrder.id).where(ChannelOrder.external_id == "8104")) is not None
        # We ship an order the platform still shows as paid: the shipment push.
        order_id = _ship(shop, "8101")
        assert channel_sync.push_shipment(order_id) == PushStatus.ACKNOWLEDGED
        # Stock moved: the stock push, then the drift check reads the platform's numbers.
        stockwatch.mark_dirty([shop], {_sku_id("OC-001")})
        assert channel_sync.push_stock(shop)["pushed"] == 1
        assert channel_sync.check_stock_drift() == {"oc-shop": 1}
        # Staff print a waybill: the receiver's plaintext through the platform's decrypt call.
        order = db.session.get(Order, order_id)
        assert pii.reveal_receiver(order, watch.platform, "shunfeng", ACTOR, checkpoint=db.session.commit).phone
        db.session.commit()
        # A customer message: the gateway call of the send job.
        message = notifications.send_login_code("13800138000", "123456")
        db.session.commit()
        assert notification_jobs.send_message(message.id) == "sent"

        assert watch.violations == [], "\n".join(watch.violations)
        assert set(watch.calls) == {"list_window", "refresh_access_token", "fetch_order", "push_shipment",
                                    "push_stock", "read_stock", "decrypt_receiver", "send"}
        _outcomes_are_recorded(shop)


def _ship(channel_id: int, external_id: str) -> int:
    link = db.session.scalar(select(ChannelOrder).where(ChannelOrder.channel_id == channel_id,
                                                        ChannelOrder.external_id == external_id))
    order = db.session.get(Order, link.order_id)
    carrier = db.session.scalar(select(Carrier).where(Carrier.code == "shunfeng"))
    orders.approve(order, ACTOR)
    orders.pack(order, ACTOR)
    orders.ship_out(order, carrier, "SF0001", ACTOR)
    db.session.commit()
    return order.id


def _sku_id(code: str) -> int:
    return db.session.scalar(select(Sku.id).where(Sku.code == code))


def _outcomes_are_recorded(channel_id: int) -> None:
    """The answers of the outside calls are on record after them, each in its own short transaction."""
    records = db.session.scalars(select(PushRecord).where(PushRecord.channel_id == channel_id)).all()
    assert {(record.kind, record.status) for record in records} == {
        (PushKind.SHIPMENT, PushStatus.ACKNOWLEDGED), (PushKind.STOCK, PushStatus.ACKNOWLEDGED)}
    assert db.session.scalar(select(DriftFinding).where(DriftFinding.channel_id == channel_id)).reported == 1
    assert db.session.scalar(select(Message.status)) == MessageStatus.SENT
    assert credentials_of(db.session.get(Channel, channel_id)).access_token == "new-token"
