"""Demo data for 小满生活, a believable small merchant. Idempotent; it only flushes, the caller commits."""

from sqlalchemy import select

from app import demo_invoices, demo_orders
from app.auth.models import User
from app.auth.roles import Role
from app.auth.services import create_user
from app.db import db
from app.domain.catalog.models import Sku
from app.domain.catalog.services import SkuData, create_sku, get_sku, set_bundle_components
from app.domain.reference.models import Carrier, Channel, Platform, Warehouse
from app.domain.reference.services import (
    CarrierData,
    ChannelData,
    WarehouseData,
    get_by_code,
    save_carrier,
    save_channel,
    save_warehouse,
)
from app.domain.routing.cards import seed_demo_cards
from app.domain.workbench import review

WAREHOUSES = (
    WarehouseData("WH-SH", "华东仓", "上海市", "上海市", 31.247812, 121.226534,
                  "青浦区华新镇华志路1688号 青浦物流园B区", daily_capacity=5000, priority=1),
    WarehouseData("WH-GZ", "华南仓", "广东省", "广州市", 23.329150, 113.290760,
                  "白云区人和镇鹤龙六路88号 空港物流园3号库", daily_capacity=4000, priority=2),
    WarehouseData("WH-BJ", "华北仓", "北京市", "北京市", 39.753210, 116.554380,
                  "通州区马驹桥镇景盛南四街18号 马驹桥物流园", daily_capacity=3500, priority=3),
    WarehouseData("WH-WH", "华中仓", "湖北省", "武汉市", 30.663480, 114.083120,
                  "东西湖区走马岭街道汇通大道68号 东西湖保税物流园", daily_capacity=2500, priority=4),
    WarehouseData("WH-CD", "西南仓", "四川省", "成都市", 30.803560, 104.124070,
                  "新都区新都街道物流大道218号 新都物流中心", daily_capacity=2000, priority=5),
    WarehouseData("WH-SY", "东北仓", "辽宁省", "沈阳市", 41.793020, 123.245610,
                  "于洪区沙岭街道沙岭大街66号 于洪物流园", daily_capacity=1200, priority=6),
)

SNACKS = (
    ("SN-001", "每日坚果 混合果仁 750g/30袋", 920, 9990),
    ("SN-002", "手撕面包 原味 1000g/箱", 1150, 2990),
    ("SN-003", "夏威夷果 奶油味 500g", 560, 4990),
    ("SN-004", "碧根果 奶油味 400g", 450, 4590),
    ("SN-005", "芒果干 无添加 200g×2袋", 440, 3590),
    ("SN-006", "靖江猪肉脯 原味 200g", 230, 3290),
    ("SN-007", "麻辣牛肉干 250g", 280, 5990),
    ("SN-008", "海苔脆片 芝麻夹心 40g×6盒", 300, 3990),
    ("SN-009", "辣条 大面筋 102g×10包", 1100, 2590),
    ("SN-010", "黑糖话梅 120g×3罐", 480, 3490),
    ("SN-011", "冻干草莓脆 30g×3袋", 150, 3990),
    ("SN-012", "蛋黄酥 雪媚娘 55g×12枚", 780, 4590),
    ("SN-013", "无蔗糖燕麦脆 420g", 470, 2990),
    ("SN-014", "开心果 原色 500g", 560, 6990),
    ("SN-015", "山楂条 130g×5袋", 700, 1990),
)

HOUSEHOLD = (
    ("HH-001", "洗衣凝珠 薰衣草香 52颗", 1050, 4990),
    ("HH-002", "原木抽纸 3层100抽×24包", 3800, 5990),
    ("HH-003", "有芯卷纸 4层200g×27卷", 5600, 5490),
    ("HH-004", "洗洁精 柠檬清香 1.5kg×2瓶", 3200, 2990),
    ("HH-005", "厨房湿巾 80抽×3包", 1100, 2690),
    ("HH-006", "加厚抽绳垃圾袋 45×50cm 150只", 900, 2490),
    ("HH-007", "洗衣液 深层洁净 3kg×2瓶", 6400, 6990),
    ("HH-008", "PE保鲜膜 30cm×200m", 620, 2290),
    ("HH-009", "牙膏 清新薄荷 120g×4支", 600, 3990),
    ("HH-010", "电动牙刷替换头 通用款 8支装", 120, 4990),
    ("HH-011", "一次性洗脸巾 加厚 80抽×6包", 1500, 5990),
    ("HH-012", "洁厕灵 除垢去味 500g×4瓶", 2300, 3290),
    ("HH-013", "衣物除菌液 1L", 1120, 3990),
    ("HH-014", "竹纤维抹布 20片装", 420, 1990),
    ("HH-015", "香薰蜡烛 白茶 200g", 480, 6900),
)

BEAUTY = (
    ("BT-001", "玻尿酸补水面膜 25ml×10片", 380, 6990),
    ("BT-002", "氨基酸洁面乳 120g", 170, 5900),
    ("BT-003", "烟酰胺精华液 30ml", 120, 12900),
    ("BT-004", "保湿爽肤水 200ml", 330, 8900),
    ("BT-005", "清爽防晒乳 SPF50+ PA++++ 50ml", 110, 9900),
    ("BT-006", "温和卸妆水 500ml", 560, 7900),
    ("BT-007", "神经酰胺修护面霜 50g", 220, 15900),
    ("BT-008", "丝绒哑光口红 #316 3.5g", 60, 12900),
    ("BT-009", "控油定妆散粉 8g", 90, 7900),
    ("BT-010", "抗皱紧致眼霜 20g", 110, 19900),
    ("BT-011", "樱花护手霜 30g×5支", 230, 3990),
    ("BT-012", "厚款化妆棉 222片", 180, 1990),
    ("BT-013", "烟酰胺身体乳 400ml", 480, 5990),
    ("BT-014", "无硅油洗发水 750ml", 850, 6990),
    ("BT-015", "补水修护唇膜 15g", 50, 4900),
)

CATALOG = (
    ("零食", "692374510", SNACKS),
    ("日用", "690123608", HOUSEHOLD),
    ("美妆", "694117302", BEAUTY),
)

#: 税收分类编码 and short name per demo category (all at 13 %). Category-level codes, as a small
#: merchant starts out; its tax advisor may assign finer ones SKU by SKU.
TAX_DATA = {
    "零食": ("1030299000000000000", "食品"),
    "日用": ("1060512990000000000", "日用杂品"),
    "美妆": ("1070222020000000000", "化妆品"),
}

BUNDLES = (
    ("KIT-001", "坚果大礼包 组合装 5件", "零食", 12,
     (("SN-001", 1), ("SN-003", 1), ("SN-004", 1), ("SN-005", 1), ("SN-014", 1))),
    ("KIT-002", "办公室零食组合装 5件", "零食", 10,
     (("SN-001", 1), ("SN-002", 1), ("SN-008", 1), ("SN-010", 1), ("SN-015", 1))),
    ("KIT-003", "居家清洁组合装 4件", "日用", 10,
     (("HH-001", 1), ("HH-004", 1), ("HH-012", 1), ("HH-014", 1))),
    ("KIT-004", "纸品囤货组合装 抽纸×2+卷纸×1", "日用", 8, (("HH-002", 2), ("HH-003", 1))),
    ("KIT-005", "补水保湿护肤组合装 3件", "美妆", 15, (("BT-001", 1), ("BT-002", 1), ("BT-004", 1))),
    ("KIT-006", "熬夜修护礼盒 组合装 4件", "美妆", 18,
     (("BT-001", 1), ("BT-003", 1), ("BT-007", 1), ("BT-010", 1))),
)

CHANNELS = (
    (Platform.TAOBAO, "小满生活 淘宝店", 30, None),
    (Platform.TMALL, "小满生活旗舰店 天猫", 30, None),
    (Platform.JD, "小满生活京东旗舰店", 30, None),
    (Platform.PDD, "小满生活官方店 拼多多", 30, None),
    (Platform.DOUYIN, "小满生活抖音小店", 30, None),
    (Platform.YOUZAN, "小满生活有赞微商城", 30, None),
    (Platform.MINIAPP, "小满生活小程序商城", 30, "WH-SH"),
    (Platform.POS, "上海南京西路门店", 15, "WH-SH"),
    (Platform.MANUAL, "手工单", 30, None),
)

CARRIERS = (
    ("shunfeng", "顺丰速运"),
    ("zhongtong", "中通快递"),
    ("yuantong", "圆通速递"),
    ("shentong", "申通快递"),
    ("yunda", "韵达快递"),
    ("jd", "京东物流"),
    ("ems", "中国邮政EMS"),
)

USERS = (
    ("admin", Role.ADMIN, "王磊"),
    ("kefu", Role.CUSTOMER_SERVICE, "李娜"),
    ("cangku", Role.WAREHOUSE, "张伟"),
    ("yunying", Role.OPERATIONS, "刘洋"),
    ("caiwu", Role.FINANCE, "陈静"),
    ("caiwuzhuguan", Role.FINANCE_SUPERVISOR, "赵敏"),
)


def seed_demo(password: str = "orderhub-demo") -> dict[str, int]:
    """Create the demo merchant if missing; return counts of what was created this time (zeros on a rerun)."""
    return {
        "warehouses": _seed_warehouses(),
        "skus": _seed_skus(),
        "bundles": _seed_bundles(),
        "channels": _seed_channels(),
        "carriers": _seed_carriers(),
        "rate cards": seed_demo_cards(),
        "users": _seed_users(password),
        "auto-review": review.switch_on_for_demo(),
        "stock receipts": demo_orders.seed_stock(),
        "orders": demo_orders.seed_orders(),
        "invoices": demo_invoices.seed_invoices(),
    }


def ean13(body: str) -> str:
    """``body`` (12 digits) with its EAN-13 check digit appended."""
    total = sum(int(digit) * (3 if position % 2 else 1) for position, digit in enumerate(body))
    return body + str(-total % 10)


def _missing(model, code: str) -> bool:
    return db.session.scalar(select(model).where(model.code == code)) is None


def _seed_warehouses() -> int:
    return len([save_warehouse(data) for data in WAREHOUSES if _missing(Warehouse, data.code)])


def _seed_skus() -> int:
    rows = [_sku_data(category, prefix, *item) for category, prefix, items in CATALOG for item in items]
    return len([create_sku(data) for data in rows if _missing(Sku, data.code)])


def _sku_data(category: str, barcode_prefix: str, code: str, name: str, weight_g: int, price_fen: int) -> SkuData:
    barcode = ean13(barcode_prefix + code[-3:])
    tax_code, tax_name = TAX_DATA[category]
    return SkuData(code, name, weight_g=weight_g, price_fen=price_fen, barcode=barcode, category=category,
                   tax_code=tax_code, tax_name=tax_name)


def _seed_bundles() -> int:
    return len([_create_bundle(*bundle) for bundle in BUNDLES if _missing(Sku, bundle[0])])


def _create_bundle(code: str, name: str, category: str, discount_percent: int, components) -> Sku:
    parts = [(get_sku(component), quantity) for component, quantity in components]
    weight_g = sum(sku.weight_g * quantity for sku, quantity in parts)
    list_price = sum(sku.price_fen * quantity for sku, quantity in parts)
    tax_code, tax_name = TAX_DATA[category]
    bundle = create_sku(SkuData(code, name, weight_g=weight_g, price_fen=_discounted(list_price, discount_percent),
                                category=category, tax_code=tax_code, tax_name=tax_name))
    return set_bundle_components(bundle, list(components))


def _discounted(price_fen: int, discount_percent: int) -> int:
    """The price less the discount, cut to whole yuan, minus 10 fen: a shop price ending in .90."""
    return price_fen * (100 - discount_percent) // 10000 * 100 - 10


def _seed_channels() -> int:
    return len([save_channel(_channel_data(*row)) for row in CHANNELS if _missing(Channel, row[0].value)])


def _channel_data(platform: Platform, shop_name: str, timeout_minutes: int, warehouse_code: str | None) -> ChannelData:
    warehouse_id = get_by_code(Warehouse, warehouse_code).id if warehouse_code else None
    return ChannelData(platform.value, platform.value, shop_name, unpaid_timeout_minutes=timeout_minutes,
                       default_warehouse_id=warehouse_id)


def _seed_carriers() -> int:
    return len([save_carrier(CarrierData(code, name)) for code, name in CARRIERS if _missing(Carrier, code)])


def _seed_users(password: str) -> int:
    missing = [user for user in USERS if db.session.scalar(select(User).where(User.username == user[0])) is None]
    return len([create_user(username, role.value, password, display_name) for username, role, display_name in missing])
