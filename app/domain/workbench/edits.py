"""Staff edits of an order (改地址, 换仓换快递, 加赠品 / 删赠品, 备注): each one leaves an order event, and
each is refused with a reason once the order is past the point where it makes sense — before packing
for the receiver, the warehouse, the carrier and the gifts; any time for a note.

Here rather than in orders: a new address re-routes the order, and routing sits above orders.
"""

from app.db import db, utcnow
from app.domain.catalog.queries import skus_by_code_any_case
from app.domain.errors import Conflict, ValidationError
from app.domain.inventory import services as inventory
from app.domain.inventory.ledger import Change
from app.domain.logistics import shipments
from app.domain.logistics.shipments import Parcel
from app.domain.orders import amend
from app.domain.orders import services as orders
from app.domain.orders.inputs import normalise_phone
from app.domain.orders.models import Order, OrderLine
from app.domain.orders.states import STATUS_LABELS, OrderStatus
from app.domain.reference import places
from app.domain.reference.models import Carrier, Warehouse
from app.domain.routing import services as routing
from app.domain.workbench import merging
from app.text import N_, Text

S = OrderStatus
#: Before packing: the parcel is not being made yet, so where and how it goes and what is in it may change.
BEFORE_PACKING = {S.PENDING_PAYMENT, S.PAID, S.APPROVED, S.EXCEPTION}
MAX_GIFT_QUANTITY = 99

EDIT_ADDRESS = "edit_address"
EDIT_SHIPPING = "edit_shipping"
ADD_GIFT = "add_gift"
REMOVE_GIFT = "remove_gift"
ADD_NOTE = "add_note"
SPLIT_SHIP = "split_ship"
SHIP_PARCEL = "ship_parcel"
MERGE_ORDERS = "merge_orders"  # the right to merge and undo merges (merging.py), guarded like an edit
EDIT_LABELS = {
    EDIT_ADDRESS: N_("修改收货地址"),
    EDIT_SHIPPING: N_("更换仓库或快递"),
    ADD_GIFT: N_("添加赠品"),
    REMOVE_GIFT: N_("删除赠品"),
    ADD_NOTE: N_("添加备注"),
    SPLIT_SHIP: N_("拆成两个包裹出库"),
    SHIP_PARCEL: N_("按包裹出库"),
    MERGE_ORDERS: N_("合并订单"),
}
#: Edits that change where or how the parcel goes: a merged order's parcel is shared, so undo the merge first.
PARCEL_EDITS = {EDIT_ADDRESS, EDIT_SHIPPING, SPLIT_SHIP}
#: The events these edits leave that the timeline names (changing the warehouse leaves orders' move_warehouse).
EVENT_LABELS = {**EDIT_LABELS, "change_carrier": N_("更换快递"), **merging.EVENT_LABELS}


def allowed(order: Order, edit: str) -> bool:
    """Whether ``edit`` still makes sense for the order (for the buttons; the services check it again)."""
    if edit == ADD_NOTE:
        return True
    if edit in PARCEL_EDITS and merging.is_merged(order):
        return False
    if edit in (SPLIT_SHIP, SHIP_PARCEL):  # the parcels are made while packing
        # an order routing split ships its planned parcels one by one; any other may be cut in two by hand
        packing = order.status == S.PACKING and not order.awaiting_presale
        return packing and shipments.is_split(order) == (edit == SHIP_PARCEL)
    return order.status in BEFORE_PACKING and order.shipped_at is None


def change_address(order: Order, receiver: dict[str, str], reason: str, actor: str) -> dict:
    """New receiver (name, phone, province, city, district, address), placed on the official divisions
    (ValidationError naming the part that cannot be), then the paid order routed again from there.
    Returns the changes {field: [old, new]}; nothing when nothing differed."""
    _check(order, EDIT_ADDRESS)
    values = _receiver_values(order, receiver)
    changes = amend.change_fields(order, values)
    if not changes:
        return {}
    orders.add_event(order, EDIT_ADDRESS, actor, order.status, order.status, reason, details={"changes": changes})
    db.session.flush()
    if order.status in routing.ROUTABLE or _parked(order):
        routing.route_order(order, actor, again=True)
    return changes


def change_shipping(order: Order, warehouse: Warehouse, carrier: Carrier, reason: str, actor: str) -> Order:
    """Ship from ``warehouse`` with ``carrier``: the stock the order holds moves there in one step
    (OutOfStock, nothing moved, when that warehouse cannot take it all)."""
    _check(order, EDIT_SHIPPING)
    if not warehouse.active or not carrier.active:
        raise ValidationError({"warehouse_id" if not warehouse.active else "carrier_id": N_("已停用，不能选择")})
    if _parked(order):  # the parked queue's own way: the decision is settled and the order back at work
        routing.manual_assign(order, warehouse, carrier, reason, actor)
        return order
    orders.move_to_warehouse(order, warehouse, reason, actor)
    if order.carrier_id != carrier.id:
        previous = order.carrier.code if order.carrier else None
        order.carrier_id = carrier.id
        orders.add_event(order, "change_carrier", actor, order.status, order.status, reason,
                         details={"from": previous, "to": carrier.code})
    db.session.flush()
    return order


def add_gift(order: Order, sku_code: str, quantity: int, actor: str) -> OrderLine:
    """A free gift line, its stock reserved (locked once paid) in the order's warehouse."""
    _check(order, ADD_GIFT)
    sku = skus_by_code_any_case([sku_code.strip()]).get(sku_code.strip())
    if sku is None or not sku.active:
        raise ValidationError({"sku": Text(N_("商品 %(sku)s 不存在或已下架"), sku=sku_code)})
    if not 0 < (quantity or 0) <= MAX_GIFT_QUANTITY:
        raise ValidationError({"quantity": Text(N_("数量应为 1 到 %(limit)s"), limit=MAX_GIFT_QUANTITY)})
    if sku.in_presale(utcnow()):
        raise ValidationError({"sku": N_("预售商品不能作为赠品")})
    if order.warehouse_id is None:
        raise Conflict(N_("订单还没有发货仓，不能添加赠品"))
    line = OrderLine(sku=sku, quantity=quantity, unit_price_fen=0, is_gift=True)
    order.lines.append(line)
    parts = [OrderLine(sku=item.component, quantity=item.quantity * quantity, unit_price_fen=0, is_gift=True,
                       parent=line) for item in sku.components]
    order.lines.extend(parts)
    db.session.flush()
    inventory.add_to_order(order.id, order.warehouse_id, orders.stock_demand(order, [line, *parts]),
                           order.status != S.PENDING_PAYMENT, Change(actor, "添加赠品", order.id))
    orders.add_event(order, ADD_GIFT, actor, order.status, order.status,
                     details={"lines": [{"sku": sku.code, "qty": quantity}]})
    db.session.flush()
    return line


def remove_gift(order: Order, line_id: int, actor: str) -> None:
    """Take a free gift line off the order; the stock it held goes back on sale."""
    _check(order, REMOVE_GIFT)
    line = next((line for line in order.lines if line.id == line_id and not line.is_component), None)
    if line is None or not line.is_gift or line.unit_price_fen or line.refunded_quantity:
        raise Conflict(N_("只能删除未退款的免费赠品行"))
    parts = [part for part in order.lines if part.parent_line_id == line.id]
    demand = orders.stock_demand(order, [line, *parts])
    if demand:
        inventory.release_quantities(order.id, demand, Change(actor, "删除赠品", order.id))
    for removed in (*parts, line):
        order.lines.remove(removed)
    orders.add_event(order, REMOVE_GIFT, actor, order.status, order.status,
                     details={"lines": [{"sku": line.sku.code, "qty": line.quantity}]})
    db.session.flush()


def ship_in_two(order: Order, first: tuple[Carrier, str], second: tuple[Carrier, str], second_lines: dict[int, int],
                actor: str) -> Order:
    """Ship the order out as two parcels (two waybills, carriers may differ): ``second_lines`` (sold line
    id → quantity) go in the second, the rest in the first; both must hold something."""
    _check(order, SPLIT_SHIP)
    sold = {line.id: line.net_quantity for line in order.lines if not line.is_component and line.net_quantity > 0}
    second_lines = {line_id: quantity for line_id, quantity in second_lines.items() if quantity}
    if any(line_id not in sold or not 0 < quantity <= sold[line_id] for line_id, quantity in second_lines.items()):
        raise ValidationError({"lines": N_("第二个包裹的数量应在 0 和订单数量之间")})
    first_lines = {line_id: quantity - second_lines.get(line_id, 0) for line_id, quantity in sold.items()
                   if quantity > second_lines.get(line_id, 0)}
    if not first_lines or not second_lines:
        raise ValidationError({"lines": N_("两个包裹都要有商品")})
    return shipments.ship_parcels(order, [Parcel(first[0], first[1], first_lines),
                                          Parcel(second[0], second[1], second_lines)], actor)


def ship_parcel(order: Order, warehouse: Warehouse, carrier: Carrier, waybill_no: str, actor: str) -> Order:
    """Ship the planned parcel that leaves from ``warehouse`` under its own waybill (a split order)."""
    _check(order, SHIP_PARCEL)
    shipments.ship_planned_parcel(order, warehouse, carrier, waybill_no, actor)
    return order


def add_note(order: Order, note: str, actor: str) -> None:
    """A note for colleagues on the order's timeline (the buyer's remark stays as the buyer wrote it)."""
    note = (note or "").strip()
    if not note or len(note) > orders.MAX_REASON_LENGTH:
        raise ValidationError({"note": Text(N_("请填写备注（最多 %(limit)s 字）"), limit=orders.MAX_REASON_LENGTH)})
    orders.add_event(order, ADD_NOTE, actor, order.status, order.status, note)
    db.session.flush()


def _check(order: Order, edit: str) -> None:
    if edit in PARCEL_EDITS and merging.is_merged(order):
        raise Conflict(N_("订单已与其他订单合并发货，请先拆回合并再%(edit)s"), edit=Text(EDIT_LABELS[edit]))
    if not allowed(order, edit):
        raise Conflict(N_("订单当前状态为「%(status)s」，不能%(edit)s"), status=Text(STATUS_LABELS[S(order.status)]),
                       edit=Text(EDIT_LABELS[edit]), details={"status": order.status, "edit": edit})


def _parked(order: Order) -> bool:
    decision = routing.latest_decision(order) if order.status == S.EXCEPTION else None
    return decision is not None and decision.outcome == "parked" and not decision.settled


def _receiver_values(order: Order, receiver: dict[str, str]) -> dict[str, str]:
    """The receiver's fields as stored: official division names, a normalised phone (a masked platform
    phone left as it is stays)."""
    value = {name: (receiver.get(name) or "").strip() for name in ("name", "phone", "province", "city",
                                                                     "district", "address")}
    errors = {name: N_("此项必填") for name in ("name", "phone", "province", "city", "address") if not value[name]}
    phone = value["phone"] if value["phone"] == order.receiver_phone else normalise_phone(value["phone"])
    if value["phone"] and phone is None:
        errors["phone"] = N_("请输入有效的中国大陆手机号或固定电话")
    for name, limit in (("name", 64), ("address", 200)):
        if len(value[name]) > limit:
            errors[name] = Text(N_("最多 %(limit)s 个字"), limit=limit)
    if errors:
        raise ValidationError(errors)
    place = places.placed_receiver(value["province"], value["city"], value["district"], prefix="")
    return {"receiver_name": value["name"], "receiver_phone": phone, "receiver_province": place.province,
            "receiver_city": place.city or value["city"], "receiver_district": place.district,
            "receiver_address": value["address"]}
