"""Fixtures of the invoicing tests: a shop whose SKUs carry tax data, orders taken to any state, the
e-invoice simulator on a free port with the app's settings pointed at it, and the platform jobs."""

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from app.domain.inventory import services as inventory
from app.domain.inventory.ledger import Change
from app.domain.invoicing.models import Invoice
from app.domain.invoicing.rules import InvoicingRules
from app.domain.orders import services
from app.domain.orders.inputs import InvoiceRequest, LineInput, OrderInput, Receiver
from app.domain.orders.models import Order
from app.extensions import db
from app.simulators import einvoice
from tests import factories

ACTOR = "user:kefu"
BUYER_PHONE = "13900139000"
COMPANY = ("company", "上海某某科技有限公司", "91310115MA1K4Q6N6T")


@dataclass
class Shop:
    channel: object
    carrier: object
    cup: object  # 59.00, 13 %
    book: object  # 45.00, 9 %

    def order(self, lines=None, *, discount_fen=0, shipping_fen=0, invoice=None, phone=BUYER_PHONE) -> Order:
        data = OrderInput(receiver=Receiver("张三", phone, "上海市", "上海市", "世纪大道 1 号", "浦东新区"),
                          lines=[LineInput(code, quantity) for code, quantity in (lines or [(self.cup.code, 1)])],
                          buyer_phone=phone, discount_fen=discount_fen, shipping_fen=shipping_fen,
                          invoice=InvoiceRequest(*invoice) if invoice else None)
        order, created = services.create_order(self.channel, data, ACTOR)
        assert created
        return order

    def paid(self, *args, **kwargs) -> Order:
        order = self.order(*args, **kwargs)
        services.pay(order, order.payable_fen, ACTOR)
        return order

    def completed(self, *args, **kwargs) -> Order:
        order = self.paid(*args, **kwargs)
        complete(order, self.carrier)
        return order


def complete(order: Order, carrier) -> Order:
    services.approve(order, ACTOR)
    services.pack(order, ACTOR)
    services.ship_out(order, carrier, "SF1234567890", ACTOR)
    services.hand_over(order, ACTOR)
    services.sign(order, ACTOR)
    services.complete(order, ACTOR)
    return order


@pytest.fixture
def shop(app_context) -> Shop:
    warehouse = factories.WarehouseFactory()
    cup = factories.SkuFactory(name="保温杯 500ml", price_fen=5900)
    book = factories.SkuFactory(name="儿童绘本", price_fen=4500, tax_rate_bp=900, tax_code="1060201010000000000",
                                tax_name="图书")
    inventory.receive(warehouse, [(cup, 1000), (book, 1000)], Change(ACTOR, "测试入库"))
    shop = Shop(factories.ChannelFactory(), factories.CarrierFactory(), cup, book)
    db.session.flush()
    return shop


@pytest.fixture
def rules(app) -> InvoicingRules:
    return InvoicingRules.from_config(app.config)


@pytest.fixture
def platform(app, tmp_path, monkeypatch):
    """The e-invoice simulator (issuing at once, answering a "timeout" fault 1.5 s late) and the app's
    settings pointed at it, with a client timeout of 0.5 s."""
    settings = einvoice.settings_from_config(app.config, issue_seconds=0, late_answer_seconds=1.5)
    running = einvoice.start(settings, tmp_path / "einvoice.sqlite3")
    monkeypatch.setitem(app.config, "EINVOICE_PROVIDER", "simulator")
    monkeypatch.setitem(app.config, "NUONUO_ENDPOINT", f"{running.url}/open/v1/services")
    monkeypatch.setitem(app.config, "EINVOICE_TIMEOUT", 0.5)
    yield running
    running.stop()


def fresh(invoice_id: int) -> Invoice:
    return db.session.scalar(select(Invoice).where(Invoice.id == invoice_id).execution_options(populate_existing=True))
