"""Helpers for the stock and order tests: a small world of warehouses, SKUs and a channel, and short
ways to place orders and read the books. Everything goes through the real domain services; the reads
are fresh queries, never cached ORM attributes, so a test sees what the database holds."""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from app.db import utcnow
from app.domain.inventory import services as inventory
from app.domain.inventory.ledger import Change
from app.domain.inventory.models import Reservation, StockLevel, StockMovement
from app.domain.orders import refunds, services
from app.domain.orders.inputs import LineInput, OrderInput, Receiver
from app.domain.orders.models import Order, OrderEvent, OrderLine
from app.domain.orders.states import OrderStatus
from app.extensions import db
from tests import factories

ACTOR = "user:tester"
RECEIPT = Change(ACTOR, "测试入库")


@dataclass
class World:
    """Two warehouses (W1 ships first), a channel without a default warehouse, one that sells from W2,
    a carrier, plain SKUs A, B, C and the bundle K = 1 × A + 2 × B (so K shares A and B with plain lines)."""

    w1: object
    w2: object
    channel: object
    w2_channel: object
    carrier: object
    a: object
    b: object
    c: object
    k: object


def build_world(unpaid_timeout_minutes: int = 30) -> World:
    w1 = factories.WarehouseFactory(priority=1)
    w2 = factories.WarehouseFactory(priority=2)
    a, b, c = (factories.SkuFactory(price_fen=1000) for _ in range(3))
    k = factories.SkuFactory(price_fen=2500)
    factories.BundleComponentFactory(bundle=k, component=a, quantity=1)
    factories.BundleComponentFactory(bundle=k, component=b, quantity=2)
    channel = factories.ChannelFactory(unpaid_timeout_minutes=unpaid_timeout_minutes)
    w2_channel = factories.ChannelFactory(default_warehouse_id=w2.id)
    carrier = factories.CarrierFactory()
    db.session.flush()
    db.session.refresh(k)
    return World(w1, w2, channel, w2_channel, carrier, a, b, c, k)


def receiver() -> Receiver:
    return Receiver(name="张三", phone="13800138000", province="上海市", city="上海市", address="浦东新区世纪大道 1 号")


def line(sku, quantity: int = 1, gift: bool = False) -> LineInput:
    return LineInput(sku=sku.code, quantity=quantity, is_gift=gift)


def order_input(*lines: LineInput, external_id: str | None = None) -> OrderInput:
    return OrderInput(receiver=receiver(), lines=list(lines), external_id=external_id)


def place(channel, *lines: LineInput, external_id: str | None = None) -> Order:
    """Create an order that must succeed."""
    order, created = services.create_order(channel, order_input(*lines, external_id=external_id), ACTOR)
    assert created
    return order


def receive(warehouse, sku, quantity: int) -> None:
    inventory.receive(warehouse, [(sku, quantity)], RECEIPT)


def stock(warehouse, sku) -> dict[str, int]:
    """The level's buckets as the database holds them (zeros if there is no level)."""
    row = db.session.execute(
        select(StockLevel.on_hand, StockLevel.reserved, StockLevel.locked, StockLevel.damaged, StockLevel.safety)
        .where(StockLevel.warehouse_id == warehouse.id, StockLevel.sku_id == sku.id)).first()
    names = ("on_hand", "reserved", "locked", "damaged", "safety")
    return dict(zip(names, row or (0, 0, 0, 0, 0), strict=True))


def held(order) -> dict[tuple[int, int, str], int]:
    """The order's reservations as {(warehouse id, sku id, status): quantity}, released ones included."""
    rows = db.session.execute(select(Reservation.warehouse_id, Reservation.sku_id, Reservation.status,
                                     Reservation.quantity).where(Reservation.order_id == order.id))
    return {(w, s, status): quantity for w, s, status, quantity in rows}


def movement_kinds(order) -> list[str]:
    return list(db.session.scalars(select(StockMovement.kind).where(StockMovement.order_id == order.id)
                                   .order_by(StockMovement.id)))


def events(order) -> list[tuple[str, str | None, str | None]]:
    rows = db.session.execute(select(OrderEvent.action, OrderEvent.from_status, OrderEvent.to_status)
                              .where(OrderEvent.order_id == order.id).order_by(OrderEvent.id))
    return [tuple(row) for row in rows]


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def table_counts() -> dict[str, int]:
    return {model.__tablename__: count(model) for model in (Order, OrderLine, OrderEvent, Reservation, StockMovement)}


def pay(order) -> Order:
    return services.pay(order, order.payable_fen, ACTOR)


def ship(order, world: World, waybill: str = "SF1000000001") -> Order:
    """Paid → approved → packing → shipped out."""
    services.approve(order, ACTOR)
    services.pack(order, ACTOR)
    return services.ship_out(order, world.carrier, waybill, ACTOR)


def deliver(order) -> Order:
    services.hand_over(order, "carrier:sf")
    return services.sign(order, "carrier:sf")


def walk_to(order, status: OrderStatus, world: World) -> Order:
    """Move a freshly created order to ``status`` through the services (the way a real order gets there)."""
    paths = {
        OrderStatus.PENDING_PAYMENT: [],
        OrderStatus.PAID: [pay],
        OrderStatus.APPROVED: [pay, lambda o: services.approve(o, ACTOR)],
        OrderStatus.PACKING: [pay, lambda o: services.approve(o, ACTOR), lambda o: services.pack(o, ACTOR)],
        OrderStatus.SHIPPED_OUT: [pay, lambda o: ship(o, world)],
        OrderStatus.IN_TRANSIT: [pay, lambda o: ship(o, world), lambda o: services.hand_over(o, "carrier:sf")],
        OrderStatus.SIGNED: [pay, lambda o: ship(o, world), deliver],
        OrderStatus.COMPLETED: [pay, lambda o: ship(o, world), deliver, lambda o: services.complete(o, ACTOR)],
        OrderStatus.AFTER_SALES: [pay, lambda o: ship(o, world), deliver,
                                  lambda o: services.request_after_sales(o, "少件", ACTOR)],
        OrderStatus.EXCEPTION: [pay, lambda o: services.mark_exception(o, "地址不全", ACTOR)],
        OrderStatus.CLOSED: [lambda o: services.cancel(o, "不想要了", ACTOR)],
        OrderStatus.REFUNDED: [pay, lambda o: refunds.refund(o, o.paid_fen, None, False, "退款", ACTOR)],
    }
    for step in paths[status]:
        step(order)
    assert order.status == status
    return order


def minutes_from_now(minutes: float):
    return utcnow() + timedelta(minutes=minutes)
