"""Shared fixtures for the staff web tests: a small shop with stock, and orders in any state.

Rows are created in their own app context and committed (into the test's outer transaction, which is
rolled back afterwards), and fixtures hand back ids and codes rather than ORM objects: each request
and each ``with app.app_context()`` gets a session of its own.
"""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.db import utcnow
from app.domain.catalog.models import Sku
from app.domain.inventory import services as inventory
from app.domain.inventory.ledger import Change
from app.domain.inventory.models import StockLevel
from app.domain.orders import services
from app.domain.orders.consistency import stock_differences
from app.domain.orders.inputs import InvoiceRequest, LineInput, OrderInput, Receiver
from app.domain.orders.models import Order
from app.domain.reference.models import Carrier, Channel, Warehouse
from app.extensions import db
from tests import factories


@dataclass(frozen=True)
class Shop:
    channel_id: int
    other_channel_id: int
    warehouse_id: int  # WH-A: first by priority, holds the stock
    spare_warehouse_id: int  # WH-B: little stock
    carrier_id: int


#: Opening stock in WH-A (WH-B holds 1 of SN-001 only).
OPENING_STOCK = {"SN-001": 10, "SN-002": 6, "GIFT-01": 100}


@pytest.fixture
def shop(app) -> Shop:
    """A manual channel (code "manual"), a Taobao shop, two warehouses with stock, a carrier, and SKUs:
    SN-001 ¥99.90, SN-002 ¥29.90, GIFT-01 (a gift), KIT-001 (SN-001 + 2 × SN-002, ¥149.00) and PRE-001
    (pre-sale until tomorrow, at most 5 waiting)."""
    with app.app_context():
        first = factories.WarehouseFactory(code="WH-A", name="华东仓", priority=1)
        spare = factories.WarehouseFactory(code="WH-B", name="华南仓", priority=2)
        manual = factories.ChannelFactory(code="manual", platform="manual", shop_name="手工单")
        taobao = factories.ChannelFactory(code="taobao", platform="taobao", shop_name="淘宝店")
        carrier = factories.CarrierFactory(code="shunfeng", name="顺丰速运")
        factories.CarrierFactory(code="retired", name="停用快递", active=False)
        nuts = factories.SkuFactory(code="SN-001", name="每日坚果 750g", price_fen=9990)
        bread = factories.SkuFactory(code="SN-002", name="手撕面包 1000g", price_fen=2990)
        factories.SkuFactory(code="GIFT-01", name="试吃装 赠品", price_fen=0)
        kit = factories.SkuFactory(code="KIT-001", name="零食组合装", price_fen=14900)
        factories.BundleComponentFactory(bundle=kit, component=nuts, quantity=1)
        factories.BundleComponentFactory(bundle=kit, component=bread, quantity=2)
        factories.SkuFactory(code="PRE-001", name="新品月饼 预售", price_fen=8800,
                             presale_release_at=utcnow() + timedelta(days=1), presale_cap=5)
        db.session.flush()
        skus = {sku.code: sku for sku in db.session.scalars(select(Sku))}
        change = Change("test", "期初库存", reference="OPENING")
        inventory.receive(first, [(skus[code], quantity) for code, quantity in OPENING_STOCK.items()], change)
        inventory.receive(spare, [(skus["SN-001"], 1)], change)
        db.session.commit()
        return Shop(manual.id, taobao.id, first.id, spare.id, carrier.id)


def order_input(lines=(("SN-001", 2),), **overrides) -> OrderInput:
    """A valid order; ``lines`` are (sku, quantity[, unit price in fen[, is gift]])."""
    receiver = Receiver(name="张三", phone="13800138000", province="上海市", city="上海市", district="浦东新区",
                        address="世纪大道 100 号")
    data = OrderInput(receiver=receiver, lines=[LineInput(*line) for line in lines],
                      buyer_name="张先生", buyer_phone="13900139000")
    for name, value in overrides.items():
        setattr(data, name, value)
    return data


#: The steps that take a new order to each state, as (service, extra arguments).
STEPS = {
    "01": [],
    "02": ["pay"],
    "03": ["pay", "approve"],
    "04": ["pay", "approve", "pack"],
    "05": ["pay", "approve", "pack", "ship_out"],
    "06": ["pay", "approve", "pack", "ship_out", "hand_over"],
    "07": ["pay", "approve", "pack", "ship_out", "hand_over", "sign"],
    "08": ["pay", "approve", "pack", "ship_out", "hand_over", "sign", "complete"],
    "E1": ["pay", "mark_exception"],
    "A1": ["pay", "approve", "pack", "ship_out", "hand_over", "sign", "request_after_sales"],
    "00": ["cancel"],
}


def _step(order: Order, step: str) -> None:
    actor = "system"
    if step == "pay":
        services.pay(order, order.payable_fen, actor, payment_ref="PAY-TEST")
    elif step == "ship_out":
        services.ship_out(order, db.session.scalar(select(Carrier).where(Carrier.code == "shunfeng")), "SF100200300",
                          actor)
    elif step in ("mark_exception", "request_after_sales", "cancel"):
        getattr(services, step)(order, "测试原因", actor)
    else:
        getattr(services, step)(order, actor)


@pytest.fixture
def make_order(app, shop):
    """``make_order("04")`` creates an order (default: 2 × SN-001 on the manual channel) and takes it
    to that state through the order services; returns its order number."""

    def make(status: str = "01", lines=(("SN-001", 2),), channel_id: int | None = None, **overrides) -> str:
        with app.app_context():
            channel = db.session.get(Channel, channel_id or shop.channel_id)
            order, _created = services.create_order(channel, order_input(lines, **overrides), "test")
            for step in STEPS[status]:
                _step(order, step)
            db.session.commit()
            return order.order_no

    return make


def pay_order(app, order_no: str) -> None:
    """Staff never record payments; the channel does. Tests do it through the service."""
    with app.app_context():
        order = services.get_order(order_no)
        services.pay(order, order.payable_fen, "channel:manual", payment_ref="PAY-1")
        db.session.commit()


def level(app, sku_code: str, warehouse_code: str = "WH-A") -> dict[str, int]:
    with app.app_context():
        row = db.session.scalar(select(StockLevel).join(StockLevel.sku).join(StockLevel.warehouse)
                                .where(Sku.code == sku_code, Warehouse.code == warehouse_code))
        if row is None:
            return {"on_hand": 0, "reserved": 0, "locked": 0, "damaged": 0}
        return {"on_hand": row.on_hand, "reserved": row.reserved, "locked": row.locked, "damaged": row.damaged}


def order_state(app, order_no: str) -> Order:
    with app.app_context():
        order = services.get_order(order_no)
        db.session.expunge(order)
        return order


def count_orders(app) -> int:
    with app.app_context():
        return len(db.session.scalars(select(Order.id)).all())


def assert_stock_consistent(app) -> None:
    with app.app_context():
        assert stock_differences() == []


def company_invoice(tax_id: str = "91350100M000100Y43") -> InvoiceRequest:
    return InvoiceRequest(title_type="company", title="小满科技有限公司", tax_id=tax_id, email="fp@example.com")
