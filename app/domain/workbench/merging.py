"""Merging orders (合并订单), the way 旺店通 merges: orders of the same receiver from the same shop that have
not shipped go out as one parcel.

Each order stays an order of its own — its lines, money, payment, refunds and the stock it reserved are
its own, so a refund or a cancellation touches only it. The merge only binds the members to a lead: the
members' stock moves to the lead's warehouse and carrier, and from then on they follow the lead through
review, packing and shipping under its waybill (orders.services). Undoing the merge (拆回) before packing
gives each order back its independence; every merge and undo is an event on each order concerned.
"""

from dataclasses import dataclass, field

from sqlalchemy import and_, func, select

from app.db import db
from app.domain.errors import ValidationError
from app.domain.orders import services as orders
from app.domain.orders.models import Order
from app.domain.orders.states import STATUS_LABELS, OrderStatus
from app.text import N_, Text

S = OrderStatus
#: Reviewed or waiting for review, not yet being packed: the parcel is not being made yet.
MERGEABLE = {S.PAID, S.APPROVED}
MAX_MERGED = 20
MERGE = "merge"
UNMERGE = "unmerge"
EVENT_LABELS = {MERGE: N_("合并订单"), UNMERGE: N_("拆回合并")}
#: What makes orders the same parcel: the shop, and the receiver exactly as stored (a platform's masked
#: phone compares as masked: with the name and the full address it still names one person at one door).
_RECEIVER = (Order.channel_id, Order.receiver_name, Order.receiver_phone, Order.receiver_province,
             Order.receiver_city, Order.receiver_district, Order.receiver_address)


@dataclass
class Preview:
    """What a merge would make: the parcel's goods (SKU code → units, every order's lines together), the
    warehouse it leaves from, and the orders that cannot join with the reason."""

    lead: Order
    members: list[Order]
    goods: dict[str, int] = field(default_factory=dict)
    refused: dict[str, Text] = field(default_factory=dict)  # order no → why it cannot join

    @property
    def possible(self) -> bool:
        return bool(self.members) and not self.refused

    @property
    def moving(self) -> list[Order]:
        """The members whose stock moves to the lead's warehouse."""
        return [member for member in self.members if member.warehouse_id != self.lead.warehouse_id]


def is_merged(order: Order) -> bool:
    """A member, or a lead with members."""
    return order.merged_into_id is not None or bool(orders.merged_members(order))


def lead_of(order: Order) -> Order:
    return db.session.get(Order, order.merged_into_id) if order.merged_into_id else order


def candidates(order: Order) -> list[Order]:
    """The other orders that could go in this order's parcel: same shop and receiver, not shipped, not
    merged elsewhere."""
    query = (select(Order).where(and_(*(column == getattr(order, column.key) for column in _RECEIVER)),
                                 Order.id != order.id, Order.status.in_(MERGEABLE), Order.shipped_at.is_(None),
                                 Order.merged_into_id.is_(None))
             .order_by(Order.created_at).limit(MAX_MERGED))
    return [other for other in db.session.scalars(query) if not orders.merged_members(other)]


def suggestions(page: list[Order]) -> set[int]:
    """The ids of the listed orders that have another order to merge with (the list's 可合并 badge)."""
    open_orders = [order for order in page if order.status in MERGEABLE and order.merged_into_id is None]
    if not open_orders:
        return set()
    groups = {tuple(row) for row in db.session.execute(
        select(*_RECEIVER).where(Order.status.in_(MERGEABLE), Order.shipped_at.is_(None),
                                 Order.merged_into_id.is_(None),
                                 Order.receiver_phone.in_({order.receiver_phone for order in open_orders}))
        .group_by(*_RECEIVER).having(func.count() > 1))}
    return {order.id for order in open_orders
            if tuple(getattr(order, column.key) for column in _RECEIVER) in groups}


def preview(lead: Order, members: list[Order]) -> Preview:
    """The merge of ``members`` into ``lead`` as it would be, and what stops it (nothing is changed)."""
    result = Preview(lead, [member for member in members if member.id != lead.id])
    problem = _refusal(lead, lead)
    if problem:
        result.refused[lead.order_no] = problem
    for member in result.members:
        problem = _refusal(lead, member)
        if problem:
            result.refused[member.order_no] = problem
    for order in (lead, *result.members):
        for line in order.lines:
            if not line.is_component:
                result.goods[line.sku.code] = result.goods.get(line.sku.code, 0) + line.quantity
    return result


def merge(lead: Order, members: list[Order], actor: str) -> Preview:
    """Merge ``members`` into ``lead``: ValidationError naming each order that cannot join, nothing
    changed; else their stock moves to the lead's warehouse (OutOfStock when it cannot take it) and each
    order gets a ``merge`` event."""
    result = preview(lead, members)
    if not result.members:
        raise ValidationError({"orders": N_("请至少选择一个要合并的订单")})
    if len(result.members) + 1 > MAX_MERGED:
        raise ValidationError({"orders": Text(N_("一次最多合并 %(limit)s 个订单"), limit=MAX_MERGED)})
    if result.refused:
        raise ValidationError({"orders": Text(N_("不能合并：%(reasons)s"), reasons="；".join(
            f"{order_no} {reason}" for order_no, reason in result.refused.items()))})
    reason = Text(N_("合并到订单 %(order_no)s"), order_no=lead.order_no)
    for member in result.members:
        if lead.warehouse is not None and member.warehouse_id != lead.warehouse_id:
            orders.move_to_warehouse(member, lead.warehouse, reason, actor)
        member.carrier_id = lead.carrier_id
        member.merged_into_id = lead.id
        orders.add_event(member, MERGE, actor, member.status, member.status, reason,
                         details={"lead": lead.order_no})
    orders.add_event(lead, MERGE, actor, lead.status, lead.status,
                     details={"orders": [member.order_no for member in result.members]})
    db.session.flush()
    return result


def unmerge(order: Order, reason: str, actor: str) -> Order:
    """拆回: the merge ``order`` belongs to is undone, each order ships on its own again. Refused once the
    parcel is being packed."""
    lead = lead_of(order)
    if not is_merged(lead):
        raise ValidationError({"orders": N_("订单没有合并，无需拆回")})
    if lead.status not in MERGEABLE or lead.shipped_at is not None:
        raise ValidationError({"orders": Text(N_("订单当前状态为「%(status)s」，不能拆回合并"),
                                              status=Text(STATUS_LABELS[S(lead.status)]))})
    orders.dissolve_merge(lead, actor, (reason or "").strip() or Text(EVENT_LABELS[UNMERGE]))
    return lead


def _refusal(lead: Order, order: Order) -> Text | None:
    """Why ``order`` cannot go in ``lead``'s parcel; None when it can."""
    if order.status not in MERGEABLE or order.shipped_at is not None:
        return Text(N_("状态为「%(status)s」，只能合并已支付或审核通过、未打包的订单"),
                    status=Text(STATUS_LABELS[S(order.status)]))
    if order.status != lead.status:
        return Text(N_("状态为「%(status)s」，与主订单不同，请先都审核通过"), status=Text(STATUS_LABELS[S(order.status)]))
    if order.awaiting_presale:
        return Text(N_("有预售商品未到货"))
    if order is not lead and (order.merged_into_id is not None or orders.merged_members(order)):
        return Text(N_("已在另一个合并中，请先拆回"))
    if order is lead and lead.merged_into_id is not None:
        return Text(N_("已合并到其他订单，请从主订单合并"))
    if tuple(getattr(order, column.key) for column in _RECEIVER) != tuple(getattr(lead, column.key)
                                                                       for column in _RECEIVER):
        return Text(N_("店铺或收货人（姓名、电话、地址）与主订单不同"))
    return None
