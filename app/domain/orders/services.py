"""Creating orders and moving them through their lifecycle, with the stock moves each step implies.

Every public function here is one unit of work for its caller to commit: the state change, its order
event and its stock movements are flushed together or (on an exception) not at all. Actors are strings
(``user:kefu``, ``system``, ``api:miniapp``) so that this module never needs to know who is logged in.
"""

import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app.db import db, insert_unless_taken, utcnow
from app.domain.catalog.models import Sku
from app.domain.errors import Conflict, NotFound, OutOfStock, ValidationError
from app.domain.inventory import services as inventory
from app.domain.inventory.ledger import Change
from app.domain.orders import deadlines, inputs, notify
from app.domain.orders.inputs import OrderInput
from app.domain.orders.models import Order, OrderEvent, OrderLine
from app.domain.orders.states import ACTION_LABELS, HOLDS_STOCK, Action, OrderStatus, next_status
from app.domain.reference.models import Carrier, Channel, Warehouse
from app.jobs import enqueue_after_commit
from app.text import N_, Text

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_REASON_LENGTH = 200  # the order_events.reason column
#: Routing picks the warehouse, carrier and parcels once an order is paid (by dotted name: routing sits above orders).
ROUTE_JOB = "workers.routing.route_paid_order"
#: Routing at creation or after review, for the channels set to route then (routing decides if it is due).
ROUTE_WHEN_DUE_JOB = "workers.routing.route_order_when_due"
REROUTE_JOB = "workers.routing.reroute_returned_order"
#: A merged order moves through these only with the order it ships with, never by itself (merging.py).
FOLLOWS_LEAD = {Action.APPROVE, Action.PACK, Action.SHIP_OUT, Action.HAND_OVER, Action.SIGN, Action.COMPLETE}
#: Before shipping these take an order out of its merge: it no longer goes in that parcel.
LEAVES_MERGE = {Action.CANCEL, Action.REFUND, Action.MARK_EXCEPTION, Action.REJECT}


def create_order(channel: Channel, data: OrderInput, actor: str) -> tuple[Order, bool]:
    """Create an order and reserve its stock; or, for a (channel, external id) seen before, return that
    order. Returns (order, created).

    Raises ValidationError for bad input and OutOfStock when no warehouse can fill it; nothing is
    written in either case, even if the caller goes on and commits other work (a batch import that
    skips the orders it cannot fill), because the order is built inside a savepoint.
    """
    if data.external_id and (existing := find_by_external_id(channel, data.external_id)):
        return existing, False
    if not channel.active:
        raise ValidationError({"channel": Text(N_("渠道 %(channel)s 已停用"), channel=channel.code)})
    inputs.validate(data)
    savepoint = db.session.begin_nested()
    try:
        result = _create(channel, data, actor)
    except Exception:
        savepoint.rollback()
        raise
    savepoint.commit()
    return result


def _create(channel: Channel, data: OrderInput, actor: str) -> tuple[Order, bool]:
    now = utcnow()
    order = _build_order(channel, data, now)
    if not _insert_once(order):
        return find_by_external_id(channel, data.external_id), False
    _check_presale_caps(order, now)
    add_event(order, "create", actor, None, order.status, details={"channel": channel.code})
    deadlines.schedule(order, now)
    db.session.flush()
    if not channel.default_warehouse_id:  # a channel with its own warehouse is not routed
        enqueue_after_commit(ROUTE_WHEN_DUE_JOB, order.id)

    def assign_warehouse(warehouse_id: int) -> None:
        order.warehouse_id = warehouse_id

    # Reserving comes last: every other row is written first, so the stock rows stay locked only from
    # their guarded UPDATE to the commit (a hot SKU's throughput is bounded by that span).
    change = Change(actor, "下单预占", order.id)
    inventory.reserve_order(order.id, stock_demand(order), candidate_warehouses(channel), change,
                            before_reserving=assign_warehouse)
    return order, True


def pay(order: Order, paid_fen: int, actor: str, paid_at: datetime | None = None, payment_ref: str = "",
        payment_method: str = "") -> Order:
    """Payment received: reserved stock becomes locked. The amount must be what the order asks.
    ``payment_method`` (bank_transfer, cash) is for payments staff record by hand (payments.py)."""
    if len(payment_ref or "") > 64:
        raise ValidationError({"payment_ref": N_("支付流水号最多 64 位")})
    if order.status == OrderStatus.PENDING_PAYMENT and paid_fen != order.payable_fen:
        raise ValidationError({"paid_amount": Text(N_("实付金额应为应付金额 %(amount)s"), amount=f"{order.payable_fen / 100:.2f}")})
    details = {"paid_fen": paid_fen, "payment_ref": payment_ref}
    if payment_method:
        details["payment_method"] = payment_method
    if transition(order, Action.PAY, actor, details=details):
        order.paid_fen, order.payment_ref = paid_fen, payment_ref
        order.paid_at = paid_at or utcnow()
        inventory.lock_order(order.id, Change(actor, "付款锁定", order.id))
        enqueue_after_commit(ROUTE_JOB, order.id)
    return order


def reopen_paid(order: Order, paid_fen: int, actor: str, paid_at: datetime | None = None,
                payment_ref: str = "") -> Order:
    """A payment reported for an order we had closed (our unpaid timeout, a cancel here came first): the
    buyer's money is real, so the order goes on, paid, with its stock reserved and locked again. When
    that stock was sold meanwhile it stays paid but is parked as an exception naming what is short, for
    a person to restock or refund; the reopening is in its timeline either way."""
    details = {"paid_fen": paid_fen, "payment_ref": payment_ref, "closed_at": order.closed_at.isoformat()
               if order.closed_at else None}
    if not transition(order, Action.REOPEN_PAID, actor, details=details):
        return order
    order.paid_fen, order.payment_ref, order.paid_at = paid_fen, payment_ref, paid_at or utcnow()
    order.closed_at = None
    change = Change(actor, "付款后重新预占", order.id)
    try:
        order.warehouse_id = inventory.reserve_order(order.id, stock_demand(order),
                                                     candidate_warehouses(order.channel), change) or order.warehouse_id
    except OutOfStock as error:
        short = ", ".join(f"{line['sku']} {line['available']}/{line['requested']}"
                          for line in error.details.get("lines", []))
        mark_exception(order, Text(N_("付款时订单已关闭，重新占用库存失败（%(reason)s：%(short)s），请补货或为买家退款"),
                                   reason=error.message, short=short or "—"), actor)
        return order
    inventory.lock_order(order.id, Change(actor, "付款锁定", order.id))
    enqueue_after_commit(ROUTE_JOB, order.id)
    return order


def cancel(order: Order, reason: str, actor: str) -> Order:
    """Cancel an unpaid order; its stock is released."""
    return _close(order, Action.CANCEL, reason or "取消订单", actor)


def close_unpaid(order: Order) -> Order:
    return _close(order, Action.CLOSE_UNPAID, deadlines.RULE_LABELS[deadlines.CLOSE_UNPAID], "system")


def approve(order: Order, actor: str) -> Order:
    if transition(order, Action.APPROVE, actor) and not order.channel.default_warehouse_id:
        enqueue_after_commit(ROUTE_WHEN_DUE_JOB, order.id)
    return order


def reject(order: Order, reason: str, actor: str) -> Order:
    """Review failed: park the order as an exception with the reason."""
    _require_reason(reason)
    previous = order.status
    if transition(order, Action.REJECT, actor, reason=reason):
        order.status_before_exception = previous
    return order


def pack(order: Order, actor: str) -> Order:
    transition(order, Action.PACK, actor)
    return order


def ship_out(order: Order, carrier: Carrier, waybill_no: str, actor: str) -> Order:
    """Out of the warehouse with ``carrier`` under ``waybill_no``: locked stock leaves on_hand (also the
    stock of the orders merged into this one, which leave in the same parcel)."""
    waybill_no = (waybill_no or "").strip()
    if not waybill_no or len(waybill_no) > 40:
        raise ValidationError({"waybill_no": N_("请填写快递单号（最多 40 位）")})
    if order.awaiting_presale and order.status == OrderStatus.PACKING:
        raise Conflict(N_("订单中有预售商品尚未到货，不能出库"))
    _leave_warehouse(order, carrier, waybill_no, actor)
    return order


def _leave_warehouse(order: Order, carrier: Carrier, waybill_no: str, actor: str, lead_no: str = "") -> None:
    """Ship ``order`` (a member of ``lead_no``'s parcel when given), then the orders merged into it."""
    details = {"carrier": carrier.code, "waybill_no": waybill_no}
    if lead_no:
        details["merged_into"] = lead_no
    from_status = order.status
    if transition(order, Action.SHIP_OUT, actor, details=details, following=bool(lead_no)):
        order.carrier_id, order.waybill_no, order.shipped_at = carrier.id, waybill_no, utcnow()
        inventory.ship_order(order.id, Change(actor, "发货出库", order.id, reference=waybill_no))
        for member in merged_members(order, from_status):
            _leave_warehouse(member, carrier, waybill_no, actor, order.order_no)


def hand_over(order: Order, actor: str) -> Order:
    transition(order, Action.HAND_OVER, actor)
    return order


def sign(order: Order, actor: str, signed_at: datetime | None = None) -> Order:
    if transition(order, Action.SIGN, actor):
        order.signed_at = signed_at or utcnow()
    return order


def complete(order: Order, actor: str) -> Order:
    if transition(order, Action.COMPLETE, actor):
        order.completed_at = utcnow()
    return order


def confirm_receipt(order: Order, actor: str) -> Order:
    """The buyer confirmed receipt (确认收货): completed, from shipped out (05), in transit (06) or signed
    (07). The carrier steps the buyer's confirmation makes moot are recorded in the buyer's name."""
    if order.status == OrderStatus.SHIPPED_OUT:
        hand_over(order, actor)
    if order.status == OrderStatus.IN_TRANSIT:
        sign(order, actor)
    return complete(order, actor)


def request_after_sales(order: Order, reason: str, actor: str) -> Order:
    _require_reason(reason)
    transition(order, Action.REQUEST_AFTER_SALES, actor, reason=reason)
    return order


def close_after_sales(order: Order, reason: str, actor: str) -> Order:
    if transition(order, Action.CLOSE_AFTER_SALES, actor, reason=reason):
        order.completed_at = order.completed_at or utcnow()
    return order


def move_to_warehouse(order: Order, warehouse: Warehouse, reason: str, actor: str,
                      sku_ids: set[int] | None = None) -> Order:
    """Ship the order from another warehouse: move all the stock it holds there in one step (routing's
    re-route). With ``sku_ids`` only those SKUs move (a split parcel) and the order's own warehouse,
    its main parcel's, stays. Raises OutOfStock if the warehouse cannot take it all, Conflict once it
    has shipped."""
    _require_reason(reason)
    if order.shipped_at is not None:
        raise Conflict(N_("订单已出库，不能更换仓库"))
    if sku_ids is None and order.warehouse_id == warehouse.id:
        return order
    previous = order.warehouse.code if order.warehouse else None
    inventory.move_reservations(order.id, warehouse.id, Change(actor, reason, order.id), sku_ids)
    details = {"from": previous, "to": warehouse.code}
    if sku_ids is None:
        order.warehouse_id = warehouse.id
    else:
        details["sku_ids"] = sorted(sku_ids)
    add_event(order, "move_warehouse", actor, order.status, order.status, reason, details=details)
    db.session.flush()
    return order


def place_in_warehouses(order: Order, parcels: list[tuple[Warehouse, dict[int, int]]], reason: str,
                        actor: str) -> Order:
    """Ship the order as ``parcels`` (warehouse, {sku id: units}), a SKU's units possibly divided between
    them (routing's split when no warehouse has enough of it): the stock it holds is rearranged in one
    step, and the first parcel's warehouse becomes the order's. Raises OutOfStock if a warehouse cannot
    take its share, Conflict once the order has shipped."""
    _require_reason(reason)
    if order.shipped_at is not None:
        raise Conflict(N_("订单已出库，不能更换仓库"))
    previous = order.warehouse.code if order.warehouse else None
    inventory.place_reservations(order.id, {warehouse.id: dict(units) for warehouse, units in parcels},
                                 Change(actor, reason, order.id))
    order.warehouse_id = parcels[0][0].id
    details = {"from": previous, "to": parcels[0][0].code,
               "parcels": [{"warehouse": warehouse.code, "units": {str(sku): n for sku, n in sorted(units.items())}}
                           for warehouse, units in parcels]}
    add_event(order, "move_warehouse", actor, order.status, order.status, reason, details=details)
    db.session.flush()
    return order


def mark_exception(order: Order, reason: str, actor: str) -> Order:
    """Park the order for a person, remembering where it was."""
    _require_reason(reason)
    previous = order.status
    if transition(order, Action.MARK_EXCEPTION, actor, reason=reason):
        order.status_before_exception = previous
    return order


def resolve_exception(order: Order, reason: str, actor: str, reroute: bool = True) -> Order:
    """The order goes back to where it was. Whatever held it up (stock, an address, a warehouse) may have
    changed where it should ship from, so it is routed again (after the commit) — unless routing itself
    is what resolves it (``reroute=False``)."""
    if transition(order, Action.RESOLVE_EXCEPTION, actor, reason=reason,
                   previous=order.status_before_exception):
        order.status_before_exception = None
        if reroute:
            enqueue_after_commit(REROUTE_JOB, order.id)
    return order


def find_by_external_id(channel: Channel, external_id: str) -> Order | None:
    return db.session.scalar(select(Order).where(Order.channel_id == channel.id, Order.external_id == external_id))


def get_order(order_no: str, for_update: bool = False) -> Order:
    """The order with this number; ``for_update`` locks its row so concurrent actions queue up."""
    query = select(Order).where(Order.order_no == order_no)
    if for_update:
        query = query.with_for_update()
    order = db.session.scalar(query)
    if order is None:
        raise NotFound(N_("订单 %(order_no)s 不存在"), order_no=order_no, details={"order_no": order_no})
    return order


def candidate_warehouses(channel: Channel) -> list[int]:
    """The channel's default warehouse if it has one (a store sells from its own stock), else every
    active warehouse in priority order."""
    if channel.default_warehouse_id:
        return [channel.default_warehouse_id]
    return list(db.session.scalars(select(Warehouse.id).where(Warehouse.active)
                                   .order_by(Warehouse.priority, Warehouse.code)))


def stock_demand(order: Order, lines: list[OrderLine] | None = None) -> dict[int, int]:
    """Units per SKU id that ``lines`` (default: all) hold in stock: plain lines, gifts and bundle
    components, summed, since several lines or bundles can share one SKU. Pre-sale lines hold nothing yet."""
    demand: dict[int, int] = {}
    for line in order.lines if lines is None else lines:
        if line.awaiting_presale or line.sku.is_bundle:
            continue
        demand[line.sku_id] = demand.get(line.sku_id, 0) + line.quantity
    return demand


def net_stock_demand(order: Order) -> dict[int, int]:
    """Units per SKU id the order still holds to ship: ``stock_demand`` net of refunds (a line refunded
    in part before shipping gave that part back)."""
    demand: dict[int, int] = {}
    for line in order.lines:
        if line.awaiting_presale or line.sku.is_bundle or line.net_quantity <= 0:
            continue
        demand[line.sku_id] = demand.get(line.sku_id, 0) + line.net_quantity
    return demand


def add_event(order: Order, action: str, actor: str, from_status: str | None, to_status: str | None,
              reason: str = "", details: dict | None = None) -> OrderEvent:
    """Append one event to the order's timeline (also for things that are not transitions)."""
    event = OrderEvent(order=order, actor=actor, action=action, from_status=from_status, to_status=to_status,
                       reason=reason, details=details or {})
    db.session.add(event)
    return event


def transition(order: Order, action: Action, actor: str, reason: str = "", details: dict | None = None,
                previous: str | None = None, following: bool = False) -> bool:
    """Move the order by ``action``: True if it moved, False if that had already happened.

    Merged orders (merging.py) move together: the lead's review, packing, hand-over and signing move its
    members too (``following``), a member alone is refused them while unshipped, and cancelling, refunding
    or parking an unshipped order first takes it out of its merge."""
    target = next_status(order.status, action, previous)
    if target is None:
        return False
    if order.merged_into_id and not following and action in FOLLOWS_LEAD and order.shipped_at is None:
        lead = db.session.get(Order, order.merged_into_id)
        raise Conflict(N_("订单已合并到 %(order_no)s，随该订单一起处理"), order_no=lead.order_no,
                       details={"merged_into": lead.order_no})
    if action in LEAVES_MERGE and order.shipped_at is None:
        dissolve_merge(order, actor, reason or Text(ACTION_LABELS[action]))
    now = utcnow()
    from_status = order.status
    add_event(order, action, actor, from_status, target, reason, details)
    order.status, order.status_changed_at = target, now
    deadlines.schedule(order, now)
    notify.order_changed(order, action, details)
    db.session.flush()
    if action in FOLLOWS_LEAD and action != Action.SHIP_OUT:  # shipping sets more: _leave_warehouse
        for member in merged_members(order, from_status):
            transition(member, action, actor, reason, {"merged_into": order.order_no}, following=True)
    return True


def merged_members(order: Order, status: str | None = None) -> list[Order]:
    """The orders merged into ``order`` (those in ``status`` when given: the ones that move with it)."""
    query = select(Order).where(Order.merged_into_id == order.id).order_by(Order.id)
    if status is not None:
        query = query.where(Order.status == status)
    return list(db.session.scalars(query))


def dissolve_merge(order: Order, actor: str, reason: str) -> None:
    """Take ``order`` out of its merge: a member leaves alone; a lead's members all become orders of
    their own again. Each order concerned gets an ``unmerge`` event; the stock each holds stays its own."""
    if order.merged_into_id:
        lead = db.session.get(Order, order.merged_into_id)
        members = [order]
    else:
        lead, members = order, merged_members(order)
    if not members:
        return
    for member in members:
        member.merged_into_id = None
        add_event(member, "unmerge", actor, member.status, member.status, str(reason)[:MAX_REASON_LENGTH],
                  details={"lead": lead.order_no})
    add_event(lead, "unmerge", actor, lead.status, lead.status, str(reason)[:MAX_REASON_LENGTH],
              details={"orders": [member.order_no for member in members]})
    db.session.flush()


def _close(order: Order, action: Action, reason: str, actor: str) -> Order:
    if transition(order, action, actor, reason=reason):
        order.closed_at = utcnow()
        inventory.release_order(order.id, Change(actor, reason, order.id))
    return order


def _require_reason(reason: str) -> None:
    if not (reason or "").strip():
        raise ValidationError({"reason": N_("请填写原因")})
    if len(reason) > MAX_REASON_LENGTH:
        raise ValidationError({"reason": Text(N_("原因最多 %(limit)s 字"), limit=MAX_REASON_LENGTH)})


def _build_order(channel: Channel, data: OrderInput, now: datetime) -> Order:
    receiver = data.receiver
    invoice = data.invoice
    order = Order(
        order_no=_new_order_no(now), channel=channel, external_id=data.external_id,
        status=OrderStatus.PENDING_PAYMENT, status_changed_at=now,
        buyer_name=data.buyer_name.strip(), buyer_phone=data.buyer_phone,
        receiver_name=receiver.name.strip(), receiver_phone=receiver.phone,
        receiver_province=receiver.province.strip(), receiver_city=receiver.city.strip(),
        receiver_district=(receiver.district or "").strip(), receiver_address=receiver.address.strip(),
        receiver_town=(receiver.town or "").strip(), receiver_postcode=(receiver.postcode or "").strip(),
        shipping_fen=data.shipping_fen, discount_fen=data.discount_fen, remark=(data.remark or "").strip(),
        payment_due_at=now + timedelta(minutes=channel.unpaid_timeout_minutes),
        created_at=data.placed_at or now, ship_by_at=data.ship_by_at,
    )
    if invoice is not None:
        order.invoice_title_type, order.invoice_title = invoice.title_type, invoice.title.strip()
        order.invoice_tax_id, order.invoice_email = invoice.tax_id or "", invoice.email or ""
    if data.discount_split is not None:
        order.discount_platform_fen = data.discount_split.get("platform", 0)
        order.discount_seller_fen = data.discount_split.get("seller", 0)
        order.discount_coupon_fen = data.discount_split.get("coupon", 0)
    order.platform_goods_fen = data.platform_goods_fen
    _add_lines(order, data, now)
    order.goods_fen = sum(line.quantity * line.unit_price_fen for line in order.lines if not line.is_component)
    order.payable_fen = order.goods_fen - order.discount_fen + order.shipping_fen
    return order


def _add_lines(order: Order, data: OrderInput, now: datetime) -> None:
    sold, given = [], [line_input.discount_fen for line_input in data.lines]
    for line_input in data.lines:
        sku = data.skus[line_input.sku]
        line = OrderLine(sku=sku, quantity=line_input.quantity, is_gift=line_input.is_gift,
                         unit_price_fen=inputs.unit_price(line_input, sku), awaiting_presale=sku.in_presale(now))
        order.lines.append(line)
        sold.append(line)
        for item in sku.components:
            order.lines.append(OrderLine(sku=item.component, quantity=item.quantity * line.quantity,
                                         unit_price_fen=0, is_gift=line.is_gift, parent=line,
                                         awaiting_presale=item.component.in_presale(now)))
    shares = given if None not in given and sum(given) == order.discount_fen else allocate(
        order.discount_fen, [line.quantity * line.unit_price_fen for line in sold])
    for line, share in zip(sold, shares, strict=True):
        line.discount_fen = share
    order.awaiting_presale = any(line.awaiting_presale for line in order.lines)


def allocate(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` fen over ``weights`` proportionally, to the fen, by largest remainder."""
    weight_sum = sum(weights)
    if total == 0 or weight_sum == 0:
        return [0] * len(weights)
    exact = [total * weight / weight_sum for weight in weights]
    shares = [int(value) for value in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: exact[i] - shares[i], reverse=True)
    for i in by_remainder[: total - sum(shares)]:
        shares[i] += 1
    return shares


def _insert_once(order: Order, attempts: int = 3) -> bool:
    """Insert the order; False if a concurrent request inserted the same (channel, external id) first.

    A concurrent order that drew the same random order number makes the insert fail too: then the
    number is drawn again.
    """
    for _attempt in range(attempts):
        if insert_unless_taken(order):
            return True
        if order.external_id and find_by_external_id(order.channel, order.external_id):
            return False
        order.order_no = _new_order_no(utcnow())
    raise Conflict(N_("订单号冲突，请重试"), details={"channel": order.channel.code})


def _check_presale_caps(order: Order, now: datetime) -> None:
    """A pre-sale SKU sells at most its cap before release: units waiting in open orders, this one included."""
    waiting: dict[int, int] = {}
    for line in order.lines:
        if line.awaiting_presale and line.sku.presale_cap is not None:
            waiting[line.sku_id] = waiting.get(line.sku_id, 0) + line.quantity
    short = []
    for sku_id, quantity in sorted(waiting.items()):
        # Count under a lock on the SKU row, or concurrent orders all see the same free places and
        # together pass the cap. NO KEY UPDATE: this order's lines hold a KEY SHARE lock on the row
        # (their foreign key), which plain FOR UPDATE would wait on, deadlocking two such orders.
        # Sorted, so that orders for several pre-sale SKUs lock them in the same order.
        sku = db.session.scalar(select(Sku).where(Sku.id == sku_id).with_for_update(key_share=True)
                                .execution_options(populate_existing=True))
        already = db.session.scalar(
            select(func.coalesce(func.sum(OrderLine.quantity), 0)).join(Order)
            .where(OrderLine.sku_id == sku_id, OrderLine.awaiting_presale, Order.id != order.id,
                   Order.status.in_(HOLDS_STOCK)))
        if already + quantity > sku.presale_cap:
            short.append({"sku": sku.code, "requested": quantity, "available": max(0, sku.presale_cap - already)})
    if short:
        raise OutOfStock(N_("预售名额不足"), details={"lines": short})


def _new_order_no(now: datetime) -> str:
    """OH + the Shanghai date + 8 random digits: readable, sortable by day, not guessable."""
    prefix = "OH" + now.astimezone(SHANGHAI).strftime("%y%m%d")
    while True:
        order_no = f"{prefix}{secrets.randbelow(10**8):08d}"
        if db.session.scalar(select(Order.id).where(Order.order_no == order_no)) is None:
            return order_no

