"""Building real orders for portal tests through the domain services (shared with tests/browser)."""

from dataclasses import dataclass

from app.domain.inventory import services as inventory
from app.domain.inventory.ledger import Change
from app.domain.orders import refunds, services
from app.domain.orders.inputs import InvoiceRequest, LineInput, OrderInput, Receiver
from app.extensions import db
from tests import factories

RECEIVER_PHONE = "13800138000"
BUYER_PHONE = "13911112222"
ACTOR = "user:test"
WAYBILL = "SF1234567890123"
#: The normal path, in order; every state is reached by walking it with the real services.
PATH = ("pending", "paid", "approved", "packing", "shipped_out", "in_transit", "signed", "completed")


@dataclass(frozen=True)
class Shop:
    warehouse_id: int
    channel_id: int
    carrier_id: int
    sku_ids: tuple[int, int]
    sku_code: str
    gift_code: str


@dataclass(frozen=True)
class PlacedOrder:
    id: int
    order_no: str


def open_shop(unique: str = "") -> Shop:
    """A warehouse with stock, a channel, a carrier and two SKUs; flushed, for the caller to commit.
    ``unique`` goes into the codes, for tests that commit into a database other tests share."""
    warehouse = factories.WarehouseFactory(**({"code": f"WH-{unique}"} if unique else {}))
    channel = factories.ChannelFactory(shop_name="小满旗舰店", **({"code": f"ch-{unique}"} if unique else {}))
    carrier = factories.CarrierFactory(name="顺丰速运", **({"code": f"sf-{unique}"} if unique else {}))
    sku = factories.SkuFactory(name="不锈钢保温杯 500ml", price_fen=12900,
                               **({"code": f"CUP-{unique}"} if unique else {}))
    gift = factories.SkuFactory(name="杯刷", price_fen=0, **({"code": f"BRUSH-{unique}"} if unique else {}))
    inventory.receive(warehouse, [(sku, 500), (gift, 500)], Change(ACTOR, "测试入库"))
    db.session.flush()
    return Shop(warehouse.id, channel.id, carrier.id, (sku.id, gift.id), sku.code, gift.code)


def place_order(shop: Shop, state: str = "paid", *, receiver_phone: str = RECEIVER_PHONE,
                buyer_phone: str = BUYER_PHONE, invoice: InvoiceRequest | None = None) -> PlacedOrder:
    """An order walked to ``state`` (a PATH state, or cancelled / refunded / exception / after_sales)."""
    from app.domain.reference.models import Carrier, Channel

    channel, carrier = db.session.get(Channel, shop.channel_id), db.session.get(Carrier, shop.carrier_id)
    data = OrderInput(
        receiver=Receiver("张晓雯", receiver_phone, "上海市", "上海市", "世纪大道100号 环球金融中心 2单元 1203室",
                          "浦东新区"),
        lines=[LineInput(shop.sku_code, 2), LineInput(shop.gift_code, 1, is_gift=True)],
        buyer_name="张晓雯", buyer_phone=buyer_phone, shipping_fen=800, discount_fen=1000, invoice=invoice,
    )
    order, _ = services.create_order(channel, data, ACTOR)
    walk(order, state, carrier)
    db.session.flush()
    return PlacedOrder(order.id, order.order_no)


def walk(order, state: str, carrier) -> None:
    if state == "cancelled":
        services.cancel(order, "买家不想要了", ACTOR)
        return
    final = {"refunded": "paid", "exception": "packing", "after_sales": "signed"}.get(state, state)
    for step in PATH[1: PATH.index(final) + 1]:
        advance(order, step, carrier)
    if state == "refunded":
        refunds.refund(order, order.paid_fen, None, restock=False, reason="买家申请退款", actor=ACTOR)
    elif state == "exception":
        services.mark_exception(order, "收货地址不完整，仓库主管内部备注", ACTOR)
    elif state == "after_sales":
        services.request_after_sales(order, "商品破损", ACTOR)


def advance(order, step: str, carrier) -> None:
    actions = {
        "paid": lambda: services.pay(order, order.payable_fen, ACTOR, payment_ref="PAY-TEST"),
        "approved": lambda: services.approve(order, ACTOR),
        "packing": lambda: services.pack(order, ACTOR),
        "shipped_out": lambda: services.ship_out(order, carrier, WAYBILL, ACTOR),
        "in_transit": lambda: services.hand_over(order, ACTOR),
        "signed": lambda: services.sign(order, ACTOR),
        "completed": lambda: services.complete(order, ACTOR),
    }
    actions[step]()
