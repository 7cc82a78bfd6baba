"""Demo stock and orders: every warehouse stocked, and orders from every channel in every state, so the
staff pages (and the customer portal) have something true to show. Idempotent like the rest of the demo."""

from sqlalchemy import select

from app.db import db
from app.domain.catalog.models import Sku
from app.domain.errors import OutOfStock
from app.domain.inventory import services as inventory
from app.domain.inventory.ledger import Change
from app.domain.inventory.models import StockMovement
from app.domain.logistics import shipments
from app.domain.orders import refunds, services
from app.domain.orders.inputs import InvoiceRequest, LineInput, OrderInput, Receiver
from app.domain.reference.models import Carrier, Channel, Warehouse

DEMO_RECEIPT = "DEMO-INIT"
ACTOR = "system:demo"

# Units received per plain SKU, by warehouse; a few SKUs are kept scarce so that reminders have work.
RECEIPT_QUANTITY = {"WH-SH": 240, "WH-GZ": 180, "WH-BJ": 150, "WH-WH": 90, "WH-CD": 80, "WH-SY": 40}
SCARCE = {"SN-015": 6, "HH-015": 4, "BT-015": 3}

RECEIVERS = (
    Receiver("张晓雯", "13800138000", "上海市", "上海市", "世纪大道100号 环球金融中心 2单元 1203室", "浦东新区"),
    Receiver("李建国", "13911112222", "北京市", "北京市", "望京街道 阜通东大街6号院 3号楼 502", "朝阳区"),
    Receiver("王芳", "13622223333", "广东省", "广州市", "天河路385号 太古汇公寓 8栋 1801", "天河区"),
    Receiver("陈思远", "18688889999", "广东省", "深圳市", "科技园南区 深南大道9988号 A座 2306", "南山区"),
    Receiver("刘婷婷", "15900001111", "浙江省", "杭州市", "文三路 478号 华星时代广场 B座 904", "西湖区"),
    Receiver("赵磊", "13788886666", "四川省", "成都市", "天府大道北段 1700号 环球中心 W6区 1502", "武侯区"),
    Receiver("孙悦", "15011223344", "湖北省", "武汉市", "中南路 99号 保利大厦 A座 2108", "武昌区"),
    Receiver("周敏", "18912345678", "江苏省", "南京市", "中山路 18号 德基广场二期 公寓 1106", "玄武区"),
    Receiver("吴昊", "13512349876", "辽宁省", "沈阳市", "青年大街 286号 华润大厦 3306", "和平区"),
    Receiver("郑丽", "17766554433", "山东省", "青岛市", "香港中路 61号 阳光大厦 12楼 1207", "市南区"),
)

# (channel, lines, how far the order goes)
ORDERS = (
    ("taobao", [("SN-001", 2), ("SN-003", 1)], "pending"),
    ("tmall", [("KIT-001", 1)], "paid"),
    ("jd", [("HH-002", 1), ("HH-004", 2)], "approved"),
    ("pdd", [("SN-005", 3)], "packing"),
    ("douyin", [("BT-002", 1), ("BT-006", 1)], "shipped_out"),
    ("youzan", [("HH-006", 1)], "in_transit"),
    ("miniapp", [("KIT-005", 1), ("BT-001", 1)], "signed"),
    ("pos", [("SN-002", 4)], "completed"),
    ("taobao", [("HH-001", 1)], "cancelled"),
    ("jd", [("BT-003", 2)], "refunded"),
    ("tmall", [("SN-007", 2), ("SN-008", 2)], "exception"),
    ("douyin", [("KIT-002", 2)], "in_transit"),
    ("pdd", [("HH-010", 1), ("HH-011", 1)], "paid"),
    ("miniapp", [("BT-010", 1)], "pending"),
    ("youzan", [("SN-012", 6)], "approved"),
    ("manual", [("HH-008", 2)], "signed"),
)
STEPS = ("pending", "paid", "approved", "packing", "shipped_out", "in_transit", "signed", "completed")


def seed_stock() -> int:
    """Receive every plain SKU into every warehouse once; returns the number of receipts made."""
    if db.session.scalar(select(StockMovement.id).where(StockMovement.reference == DEMO_RECEIPT).limit(1)):
        return 0
    skus = db.session.scalars(select(Sku).where(~Sku.components.any()).order_by(Sku.code)).all()
    warehouses = db.session.scalars(select(Warehouse).order_by(Warehouse.priority)).all()
    change = Change(ACTOR, "期初入库", reference=DEMO_RECEIPT)
    for warehouse in warehouses:
        base = RECEIPT_QUANTITY.get(warehouse.code, 60)
        inventory.receive(warehouse, [(sku, SCARCE.get(sku.code, base)) for sku in skus], change)
    return len(warehouses)


def seed_orders() -> int:
    """Create the demo orders (keyed DEMO-0001… per channel) and walk each to its state."""
    created = 0
    carrier = db.session.scalar(select(Carrier).where(Carrier.code == "shunfeng"))
    for number, (channel_code, lines, target) in enumerate(ORDERS, start=1):
        channel = db.session.scalar(select(Channel).where(Channel.code == channel_code))
        receiver = RECEIVERS[number % len(RECEIVERS)]
        data = OrderInput(
            receiver=Receiver(**vars(receiver)), external_id=f"DEMO-{number:04d}", buyer_name=receiver.name,
            buyer_phone=receiver.phone, lines=[LineInput(code, quantity) for code, quantity in lines],
            shipping_fen=0 if number % 3 else 800, discount_fen=500 if number % 4 == 0 else 0,
            invoice=_invoice(number), remark="请尽快发货，谢谢" if number % 5 == 0 else "",
        )
        try:
            order, is_new = services.create_order(channel, data, ACTOR)
        except OutOfStock:
            continue
        if is_new:
            _walk(order, target, carrier, number)
            created += 1
    return created


def _invoice(number: int) -> InvoiceRequest | None:
    if number % 3 == 0:
        return InvoiceRequest("company", "上海小满电子商务有限公司", "91310115MA1K3YJW2C", "finance@xiaoman.example.cn")
    if number % 4 == 1:
        return InvoiceRequest("personal", "个人", email="")
    return None


def _walk(order, target: str, carrier: Carrier, number: int) -> None:
    if target == "cancelled":
        services.cancel(order, "买家不想要了", ACTOR)
        return
    final = {"refunded": "paid", "exception": "approved"}.get(target, target)
    for step in STEPS[1: STEPS.index(final) + 1]:
        _advance(order, step, carrier, number)
    if target == "refunded":
        refunds.refund(order, order.paid_fen, None, restock=False, reason="买家申请退款", actor=ACTOR)
    elif target == "exception":
        services.mark_exception(order, "收货地址不完整，待客服联系买家", ACTOR)


def _advance(order, step: str, carrier: Carrier, number: int) -> None:
    if step == "paid":
        services.pay(order, order.payable_fen, ACTOR, payment_ref=f"PAY-DEMO-{number:04d}")
    elif step == "approved":
        services.approve(order, ACTOR)
    elif step == "packing":
        services.pack(order, ACTOR)
    elif step == "shipped_out":
        shipments.ship_order(order, carrier, f"SF{1400000000 + number * 7919:012d}", ACTOR)
    elif step == "in_transit":
        services.hand_over(order, ACTOR)
    elif step == "signed":
        services.sign(order, ACTOR)
    elif step == "completed":
        services.complete(order, ACTOR)
