"""Changes the platform makes to an order after we created it: amounts, receiver and remark.

- Before payment the amounts follow the platform (a seller's price adjustment, a new payment): line
  prices, shipping and the discount that makes our payable equal the platform's payment.
- Before shipping a new receiver (region, OAID / ciphertexts, masked display) replaces the old one.
- After shipping a new receiver is not applied: it is recorded and the order parked as an exception
  for a person (the parcel is already on its way to the old address).

Every applied change leaves one ``amended`` order event with old → new. A change that cannot be
taken (new amounts that do not fit the lines) raises, and the payload's savepoint keeps it from
applying half-way.
"""

from app.domain.channels.adapters.base import PlatformOrder
from app.domain.channels.amounts import discount_of, discount_split
from app.domain.channels.models import ChannelOrder
from app.domain.channels.regions import official_region
from app.domain.orders import amend, services
from app.domain.orders.models import Order
from app.domain.orders.states import OrderStatus
from app.text import N_, Text

MASK = "*"
#: Terminal states: nothing left to amend.
FINISHED = (OrderStatus.CLOSED, OrderStatus.REFUNDED, OrderStatus.COMPLETED)


def display_receiver(view: PlatformOrder) -> dict[str, str]:
    """The receiver as the order shows it (masked where the platform masks), cut to the columns."""
    receiver = view.receiver
    province, city, district = official_region(receiver.province, receiver.city, receiver.district)
    return {"receiver_name": (receiver.name or MASK)[:64], "receiver_phone": (receiver.phone or MASK)[:20],
            "receiver_province": province[:32], "receiver_city": city[:32], "receiver_district": district[:32],
            "receiver_town": receiver.town[:32], "receiver_address": (receiver.address or MASK)[:200],
            "receiver_postcode": receiver.postcode[:10]}


def follow(order: Order, link: ChannelOrder, view: PlatformOrder, actor: str) -> None:
    """Apply (or, after shipping, raise) what the platform changed since the order was made."""
    if order.status in FINISHED:
        return
    if order.status == OrderStatus.PENDING_PAYMENT:
        _follow_amounts(order, view, actor)
    _follow_receiver(order, link, view, actor)
    remark = view.remark.strip()[:500]
    if remark != order.remark:
        amend.record(order, amend.change_fields(order, {"remark": remark}), N_("平台修改了订单备注"), actor)


def _follow_amounts(order: Order, view: PlatformOrder, actor: str) -> None:
    prices = [line.unit_price_fen for line in view.lines]
    changes = amend.reprice_unpaid(order, prices, view.shipping_fen, discount_of(view))
    changes |= _follow_split(order, discount_split(view))
    if changes:
        amend.record(order, changes, N_("平台在付款前修改了订单金额"), actor)


def _follow_split(order: Order, split: dict[str, int]) -> dict:
    return amend.change_fields(order, {f"discount_{name}_fen": amount for name, amount in split.items()})


def _follow_receiver(order: Order, link: ChannelOrder, view: PlatformOrder, actor: str) -> None:
    new = display_receiver(view)
    if not _receiver_moved(order, link, view, new):
        return
    if order.shipped_at is None:
        changes = amend.change_fields(order, new)
        amend.record(order, changes, N_("平台修改了收货地址"), actor)
        return
    # Already on its way: record what the platform now says and leave it to a person.
    changes = {name: [getattr(order, name), value] for name, value in new.items() if getattr(order, name) != value}
    amend.record(order, changes, N_("发货后平台修改了收货地址，未应用"), actor)
    if order.status in (OrderStatus.SHIPPED_OUT, OrderStatus.IN_TRANSIT):
        services.mark_exception(order, Text(N_("发货后平台修改了收货地址（%(city)s %(district)s），请联系快递改派"),
                                            city=new["receiver_city"], district=new["receiver_district"]), actor)


def _receiver_moved(order: Order, link: ChannelOrder, view: PlatformOrder, new: dict[str, str]) -> bool:
    """A new region, or new OAID / ciphertexts; without tokens, a new displayed receiver. (A masked
    display alone may differ between calls — PDD masks harder after shipping — so it is not a move.)"""
    # Orders stored before names were normalised (JD's "浙江") are not moved by the new spelling, nor
    # by a town they never had.
    if official_region(order.receiver_province, order.receiver_city, order.receiver_district) != (
            new["receiver_province"], new["receiver_city"], new["receiver_district"]) or (
            order.receiver_town and order.receiver_town != new["receiver_town"]):
        return True
    old_tokens = link.pii_tokens or {}
    shared = set(old_tokens) & set(view.pii_tokens)
    if shared:
        return any(old_tokens[name] != view.pii_tokens[name] for name in shared)
    return any(getattr(order, name) != new[name] for name in ("receiver_name", "receiver_phone", "receiver_address"))
