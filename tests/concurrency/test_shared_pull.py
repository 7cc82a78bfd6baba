"""One shop's pull backlog shared by two workers, and each pulled order visible as soon as it is stored.

Committed data on the concurrency package's dedicated app (``buyers``: its own SQLite file, or the
suite's PostgreSQL emptied afterwards): a worker is a thread with its own app context, hence its own
session and connection, as two worker processes have. The platform answers from memory; its detail
call is slow enough (a few ms, like a real gateway) that both workers get orders to do.
"""

import sqlite3
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from app.db import utcnow
from app.domain.channels import backlog, sync
from app.domain.channels.adapters.base import ChannelAdapter, Credentials, ListEntry, PullPage, RawOrder
from app.domain.channels.models import RawPayload, SyncState
from app.domain.channels.shop_settings import CredentialsData, save_credentials
from app.domain.inventory import services as inventory
from app.domain.inventory.ledger import Change
from app.domain.orders.consistency import stock_differences
from app.domain.orders.models import Order
from app.domain.reference.models import Channel
from app.extensions import db
from tests import factories
from tests.channels.builders import taobao_trade
from workers import channel_sync

ORDERS = 40


class MemoryPlatform(ChannelAdapter):
    """A Taobao-shaped platform with ``count`` orders: listed keys only (or complete), fetched one by one.
    Records who fetched what, and whether that thread's session had a transaction open at the call."""

    platform = "taobao"
    gateway_setting = "TAOBAO_GATEWAY_URL"
    default_gateway = "http://platform.invalid/router/rest"
    max_window = timedelta(days=1)

    def __init__(self, count: int, complete: bool = False, page_size: int = 15):
        super().__init__(Credentials("key", "secret", "token", "", ""), self.default_gateway)
        self.modified = utcnow().replace(microsecond=0) - timedelta(hours=1)
        self.tids = [str(9000 + number) for number in range(count)]
        self.complete, self.page_size = complete, page_size
        self.fetched: list[tuple[str, str]] = []  # (tid, thread name)
        self.open_transactions: list[str] = []

    def trade(self, tid: str) -> dict:
        return taobao_trade(tid, "WAIT_SELLER_SEND_GOODS", self.modified, lines=(("SP-001", 1, "59.00"),))

    def _called(self, what: str) -> None:
        if db.session().in_transaction():
            self.open_transactions.append(what)

    def list_window(self, start, end):
        for number, first in enumerate(range(0, len(self.tids), self.page_size), start=1):
            self._called("list_window")
            yield PullPage(number, [ListEntry(tid, self.modified, self.trade(tid) if self.complete else {"tid": tid},
                                              complete=self.complete)
                                    for tid in self.tids[first:first + self.page_size]])

    def fetch_order(self, external_id: str) -> RawOrder:
        self._called("fetch_order")
        self.fetched.append((external_id, threading.current_thread().name))
        time.sleep(0.005)  # a gateway's answer takes a moment: the other worker takes the next order meanwhile
        return RawOrder(external_id, self.modified, self.trade(external_id))

    def push_shipment(self, external_id, carrier, waybill_no):
        raise AssertionError("not part of a pull")

    push_stock = read_stock = decrypt_receiver = push_shipment

    def _send(self, method: str, params: dict) -> dict:
        raise AssertionError("the memory platform answers from memory")


@pytest.fixture(scope="module")
def stocked(buyers):
    """The warehouse and SKU every shop of this module sells from (committed data outlives a test)."""
    with buyers.app.app_context():
        warehouse = factories.WarehouseFactory(code="WH-SP", priority=1)
        sku = factories.SkuFactory(code="SP-001", price_fen=5900)
        inventory.receive(warehouse, [(sku, 1000)], Change("user:tester", "期初入库"))
        db.session.commit()
        return warehouse.id


@pytest.fixture
def shop(buyers, stocked, request):
    """A committed Taobao shop of its own for each test."""
    with buyers.app.app_context():
        channel = factories.ChannelFactory(code=f"sp-{request.node.name[-20:]}", platform="taobao",
                                           default_warehouse_id=stocked, unpaid_timeout_minutes=3 * 24 * 60)
        save_credentials(channel, CredentialsData("key", "secret", "token", "", ""), "test")
        db.session.commit()
        backlog.reset(channel.id)
        return channel.id


def _orders(shop_id: int) -> list[str]:
    return list(db.session.scalars(select(Order.external_id).where(Order.channel_id == shop_id)))


def test_two_workers_share_one_backlog_and_make_every_order_once(buyers, shop, monkeypatch):
    platform = MemoryPlatform(ORDERS)
    monkeypatch.setattr(channel_sync, "_adapter", lambda channel: platform)
    pulled = threading.Event()
    results = {}

    def pull_worker() -> None:
        with buyers.app.app_context():
            results["pull"] = channel_sync.pull_channel(shop)
        pulled.set()

    def helping_worker() -> None:
        with buyers.app.app_context():  # what a second worker does with the helper jobs the pull queues
            while not pulled.is_set():
                channel_sync.help_pull(shop)
                time.sleep(0.005)

    threads = [threading.Thread(target=pull_worker, name="worker-1"),
               threading.Thread(target=helping_worker, name="worker-2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    with buyers.app.app_context():
        made = Counter(_orders(shop))
        assert made == Counter(platform.tids)  # every listed order, each once
        assert db.session.scalar(select(func.count()).select_from(RawPayload)
                                 .where(RawPayload.channel_id == shop)) == ORDERS
        assert db.session.scalar(select(SyncState.watermark).where(SyncState.channel_id == shop)) is not None
        assert stock_differences() == []
    assert results["pull"]["created"] == ORDERS and results["pull"]["stored"] == ORDERS  # helpers' counts folded in
    fetchers = Counter(name for _, name in platform.fetched)
    assert set(fetchers) == {"worker-1", "worker-2"}, fetchers  # both workers did part of the backlog
    assert sorted(tid for tid, _ in platform.fetched) == sorted(platform.tids)  # no detail call twice
    assert platform.open_transactions == []


def test_the_pull_does_what_a_dead_helper_left_claimed_before_moving_the_watermark(buyers, shop, monkeypatch):
    """A helper took an order and died: once its claim runs out, the pull stores that order itself."""
    platform = MemoryPlatform(3)
    monkeypatch.setattr(channel_sync, "_adapter", lambda channel: platform)
    monkeypatch.setattr(backlog, "CLAIM_SECONDS", 1)
    taken = []
    real_add = backlog.add

    def add_then_lose_one(channel_id, items):
        queued = real_add(channel_id, items)
        if items and not taken:
            taken.append(backlog.take(channel_id))  # a helper's take, never followed by its commit
        return queued

    monkeypatch.setattr(backlog, "add", add_then_lose_one)
    with buyers.app.app_context():
        report = channel_sync.pull_channel(shop)
        assert sorted(_orders(shop)) == platform.tids
        assert db.session.scalar(select(SyncState.watermark).where(SyncState.channel_id == shop)) is not None
    assert taken[0].external_id == platform.tids[0]
    assert report["created"] == 3


def _committed_orders(database_url: str, shop_id: int) -> int:
    """Orders of the shop another connection sees (on SQLite a plain reader: the app's connections begin
    every transaction IMMEDIATE, which would wait for the pull's write lock)."""
    query = "SELECT count(*) FROM orders WHERE channel_id = "
    if database_url.startswith("sqlite"):
        other = sqlite3.connect(database_url.removeprefix("sqlite:///"))
        try:
            return other.execute(query + "?", (shop_id,)).fetchone()[0]
        finally:
            other.close()
    with db.engine.connect() as other:
        return other.execute(text(query + ":shop"), {"shop": shop_id}).scalar()


def test_each_pulled_order_is_visible_as_soon_as_it_is_stored(buyers, shop):
    """Complete list entries (no detail call between them, one page): each order is committed before the
    next is stored, not with its page."""
    platform = MemoryPlatform(5, complete=True, page_size=5)
    seen_by_others = []

    def count_from_another_connection(payload) -> None:
        seen_by_others.append(_committed_orders(buyers.app.config["SQLALCHEMY_DATABASE_URI"], shop))

    with buyers.app.app_context():
        channel = db.session.get(Channel, shop)
        report = sync.pull(channel, platform, checkpoint=db.session.commit, on_payload=count_from_another_connection)
        db.session.commit()
    assert report.created == 5
    assert seen_by_others == [0, 1, 2, 3, 4]  # when order n is stored, the n before it are visible already


def test_only_a_pulled_orders_own_commit_skips_waiting_for_the_wal_flush(buyers, shop):
    """On PostgreSQL each pulled order's transaction commits with synchronous_commit off (durable with
    the window's watermark, whose commit waits for the flush); the watermark's transaction and
    everything after the pull keep the server's setting."""
    if not buyers.app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("a PostgreSQL setting")
    platform = MemoryPlatform(3, complete=True, page_size=3)
    during_orders = []
    with buyers.app.app_context():
        channel = db.session.get(Channel, shop)
        server_setting = db.session.scalar(text("SHOW synchronous_commit"))
        db.session.commit()
        report = sync.pull(channel, platform, checkpoint=db.session.commit, on_payload=lambda payload: (
            during_orders.append(db.session.scalar(text("SHOW synchronous_commit")))))
        after = db.session.scalar(text("SHOW synchronous_commit"))
        db.session.commit()
    assert report.created == 3
    assert during_orders == ["off", "off", "off"]
    assert after == server_setting != "off"
