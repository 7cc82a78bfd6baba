"""Money as the platform says it: the order's discount (what makes our payable the platform's payment),
who funds it, and each line's share as the platform spread it — all integer fen, summing exactly.

- The discount is goods + shipping − payment; a payment above goods + shipping is a mapping error.
- Who funds it: the parts the platform names (mapping ``discounts``: Pinduoduo ``platform_discount``,
  Douyin ``promotion_platform_amount``, JD ``sellerDiscount`` …); the first of seller, platform, coupon
  it does not name takes the rest. Parts that do not fit the discount (more than it, or three that do
  not add up) are not trusted: the seller is taken to fund it all, rather than refusing the order.
- Per line: price × quantity − the line's paid amount (Taobao ``divide_order_fee``, Douyin and Youzan
  ``pay_amount`` / ``payment``) when every line has one and they add up to the discount; otherwise
  the orders service spreads it pro rata.
- The goods total the platform states (mapping ``goods_total``: Taobao ``total_fee``, JD
  ``orderTotalPrice``, Pinduoduo ``goods_amount``, Douyin the sku orders' ``sum_amount``, Youzan
  ``pay_info.total_fee``) is kept on the order next to ours (the sum of the lines); when the two differ
  the order's history says so once per differing pair (``platform_goods_mismatch``), for a person to
  check the mapping or the platform's prices. The payable still follows the platform's payment.
"""

from sqlalchemy import select

from app.db import db
from app.domain.channels.adapters.base import PlatformOrder
from app.domain.channels.mapping import MappingError
from app.domain.orders import amend, services
from app.domain.orders.models import Order, OrderEvent
from app.money import fen_to_yuan
from app.text import N_, Text

FUNDERS = ("seller", "platform", "coupon")
GOODS_MISMATCH = "platform_goods_mismatch"


def discount_of(view: PlatformOrder) -> int:
    """The discount that makes our payable equal the platform's payment: goods + shipping − payment."""
    discount = view.goods_fen + view.shipping_fen - view.payment_fen
    if discount < 0:
        raise MappingError(N_("实付金额高于商品金额加运费，请检查字段映射中的金额字段"))
    return discount


def discount_split(view: PlatformOrder) -> dict[str, int]:
    """{"seller", "platform", "coupon"} fen summing exactly to ``discount_of(view)``."""
    total = discount_of(view)
    split = {name: view.discounts.get(name, 0) for name in FUNDERS}
    rest = next((name for name in FUNDERS if name not in view.discounts), None)
    if rest is not None:
        split[rest] = total - sum(amount for name, amount in split.items() if name != rest)
    if min(split.values()) < 0 or sum(split.values()) != total:
        return {"seller": total, "platform": 0, "coupon": 0}
    return split


def line_discounts(view: PlatformOrder) -> list[int | None]:
    """Each line's discount as the platform spread it, or all None when it did not (or not exactly)."""
    shares = [None if line.paid_fen is None else line.quantity * line.unit_price_fen - line.paid_fen
              for line in view.lines]
    whole = [line.quantity * line.unit_price_fen for line in view.lines]
    if None in shares or sum(shares) != discount_of(view) or any(
            not 0 <= share <= gross for share, gross in zip(shares, whole, strict=True)):
        return [None] * len(view.lines)
    return shares


def follow_goods_total(order: Order, view: PlatformOrder, actor: str) -> None:
    """Keep the platform's stated goods total on ``order``; a total other than the sum of our lines
    leaves one ``platform_goods_mismatch`` event per differing pair (reprocessing adds none)."""
    stated = view.platform_goods_fen
    if stated is None:
        return
    amend.change_fields(order, {"platform_goods_fen": stated})
    if stated == order.goods_fen:
        return
    details = {"platform_goods_fen": stated, "lines_fen": order.goods_fen}
    last = db.session.scalar(select(OrderEvent).where(OrderEvent.order_id == order.id,
                                                      OrderEvent.action == GOODS_MISMATCH)
                             .order_by(OrderEvent.id.desc()).limit(1)) if order.id else None
    if last is not None and last.details == details:
        return
    services.add_event(order, GOODS_MISMATCH, actor, order.status, order.status,
                       Text(N_("平台商品金额 %(platform)s 与商品行合计 %(lines)s 不一致，请核对字段映射或平台价格"),
                            platform=fen_to_yuan(stated), lines=fen_to_yuan(order.goods_fen)), details=details)
