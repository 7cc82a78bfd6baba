"""Stock changes: receipts, counts, and an order's reservation lifecycle.

Reserve (order created) → lock (paid) → ship (out of the warehouse); release (cancelled, unpaid
timeout, refunded before shipping); restock (return received). Each step is idempotent: it acts only on
reservations still in the state it expects, so running it twice changes nothing the second time. Every
function flushes and leaves the commit to its caller, so an order and its stock change commit together.
"""

from collections.abc import Callable, Iterable

from sqlalchemy import select

from app.db import db
from app.domain.catalog.models import Sku
from app.domain.errors import Conflict, OutOfStock, ValidationError
from app.domain.inventory import ledger, reorder, soldout, splitting
from app.domain.inventory.ledger import Change, sellable_at_least
from app.domain.inventory.models import (
    ACTIVE_RESERVATION_STATUSES,
    MovementKind,
    Reservation,
    ReservationStatus,
    StockLevel,
)
from app.domain.reference.models import Warehouse
from app.text import N_, Text

LEVELS = ledger.LEVELS.c
# Far above any real receipt, far below the 32-bit stock columns: a typo is refused, not overflowed.
MAX_MOVEMENT_QUANTITY = 1_000_000


def receive(warehouse: Warehouse, lines: Iterable[tuple[Sku, int]], change: Change) -> list[StockLevel]:
    """Goods received into ``warehouse``: on_hand goes up by each line's quantity."""
    lines = list(lines)
    if not lines:
        raise ValidationError({"lines": N_("至少要有一行")})
    _refuse_bundles([sku for sku, _ in lines])
    for sku, quantity in lines:
        if not 0 < quantity <= MAX_MOVEMENT_QUANTITY:
            raise ValidationError({"qty": Text(N_("%(sku)s 的入库数量应在 1 到 %(limit)s 之间"), sku=sku.code,
                                            limit=f"{MAX_MOVEMENT_QUANTITY:,}")})
    for sku, quantity in sorted(lines, key=lambda line: line[0].id):
        ledger.ensure_level(warehouse.id, sku.id)
        after = ledger.apply(warehouse.id, sku.id, MovementKind.RECEIPT, change, on_hand=quantity)
        reorder.evaluate(after)
    db.session.flush()
    return [get_level(warehouse, sku) for sku, _ in lines]


def adjust_to_count(warehouse: Warehouse, sku: Sku, counted: int, change: Change) -> StockLevel:
    """A stock count found ``counted`` units: on_hand becomes that, the difference is ledgered."""
    if counted is None or not 0 <= counted <= MAX_MOVEMENT_QUANTITY:
        raise ValidationError({"counted": Text(N_("盘点数量应在 0 到 %(limit)s 之间"), limit=f"{MAX_MOVEMENT_QUANTITY:,}")})
    _refuse_bundles([sku])
    ledger.ensure_level(warehouse.id, sku.id)
    level = get_level(warehouse, sku)
    difference = counted - level.on_hand
    if difference:
        # Guarded on the value we read, so a concurrent change makes the count fail instead of being lost.
        after = ledger.apply(warehouse.id, sku.id, MovementKind.ADJUSTMENT, change,
                             guard=LEVELS.on_hand == level.on_hand, on_hand=difference)
        if after is None:
            raise Conflict(N_("库存在盘点期间发生了变化，请刷新后重新录入"))
        reorder.evaluate(after)
    db.session.flush()
    db.session.refresh(level)
    return level


def reserve_order(order_id: int, demand: dict[int, int], warehouse_ids: list[int], change: Change,
                  before_reserving: Callable[[int], None] | None = None) -> int | None:
    """Reserve ``demand`` (sku id → units) for an order in the first of ``warehouse_ids`` that can fill
    all of it, and return that warehouse's id (None when there is nothing to reserve).

    When no single warehouse can, each SKU is reserved whole in a warehouse that has it, as few
    warehouses as possible (routing then ships the order as one parcel per warehouse), and the warehouse
    holding most of it is returned. When even that cannot be (some SKU fits whole in no warehouse), a
    SKU's units are split between warehouses (``splitting.split_quantities``). ``before_reserving(warehouse_id)``
    lets the caller write what depends on the warehouse (the order's own warehouse column) before the
    stock rows are locked, so nothing is written while they are. Raises OutOfStock naming the short SKUs
    when the warehouses together do not have enough of some SKU; nothing is written then.
    """
    demand = {sku_id: quantity for sku_id, quantity in demand.items() if quantity > 0}
    if not demand:
        return None
    if not warehouse_ids:
        raise OutOfStock(N_("没有可用的仓库"), details={"lines": _shortfalls(demand, [])})
    marked = soldout.sold_out(db.session, [(w, s) for w in warehouse_ids for s in demand])
    for warehouse_id in _likely_first(demand, [w for w in warehouse_ids if not any((w, s) in marked for s in demand)]):
        savepoint = db.session.begin_nested()
        if before_reserving is not None:
            before_reserving(warehouse_id)
        if _reserve_all(order_id, warehouse_id, demand, change):
            savepoint.commit()
            return warehouse_id
        savepoint.rollback()
    split = _split(demand, warehouse_ids, marked)
    if split:
        savepoint = db.session.begin_nested()
        if before_reserving is not None:
            before_reserving(split[0][0])
        # The rare path: each warehouse's rows are locked from its guarded UPDATEs while the next one's
        # are written, a little longer than for an order one warehouse fills. Warehouses in id order (and
        # SKUs in id order within each), so concurrent orders lock rows in one order and cannot deadlock.
        alongside = {warehouse_id for warehouse_id, _part in split}
        if all(_reserve_all(order_id, warehouse_id, part, change, alongside) for warehouse_id, part in sorted(split)):
            savepoint.commit()
            return split[0][0]
        savepoint.rollback()
    raise OutOfStock(N_("库存不足"), details={"lines": _shortfalls(demand, warehouse_ids, marked)})


def _split(demand: dict[int, int], warehouse_ids: list[int],
           sold_out: set[tuple[int, int]]) -> list[tuple[int, dict[int, int]]]:
    """How to reserve ``demand`` over several warehouses, by a plain read (splitting.py): each SKU whole
    where that can be, else a SKU's units split. A SKU marked sold out everywhere is refused without
    reading a row."""
    if any(all((w, s) in sold_out for w in warehouse_ids) for s in demand):
        return []
    available = {level: units for level, units in _available_by_warehouse(demand, warehouse_ids).items()
                 if level not in sold_out}
    return (splitting.whole_skus(demand, warehouse_ids, available)
            or splitting.split_quantities(demand, warehouse_ids, available))


def add_to_order(order_id: int, warehouse_id: int, demand: dict[int, int], lock: bool, change: Change) -> None:
    """More units for an order already holding stock (a gift added by staff): reserved in its warehouse,
    and locked at once when the order is paid. Raises OutOfStock, writing nothing, when it can't."""
    savepoint = db.session.begin_nested()
    for sku_id, quantity in sorted(demand.items()):
        ledger.ensure_level(warehouse_id, sku_id)
        after = ledger.apply(warehouse_id, sku_id, MovementKind.RESERVE, change, guard=sellable_at_least(quantity),
                             reserved=quantity)
        if after is None:
            savepoint.rollback()
            raise OutOfStock(N_("库存不足"), details={"lines": _shortfalls(demand, [warehouse_id])})
        status = ReservationStatus.RESERVED
        if lock:
            ledger.apply(warehouse_id, sku_id, MovementKind.LOCK, change, reserved=-quantity, locked=quantity)
            status = ReservationStatus.LOCKED
        reorder.evaluate(after)
        _hold_more(order_id, warehouse_id, sku_id, quantity, status)
    savepoint.commit()
    db.session.flush()


def _hold_more(order_id: int, warehouse_id: int, sku_id: int, quantity: int, status: str) -> None:
    existing = _row(order_id, warehouse_id, sku_id)
    if existing is None:
        db.session.add(Reservation(order_id=order_id, warehouse_id=warehouse_id, sku_id=sku_id, quantity=quantity,
                                   status=status))
    elif existing.status == ReservationStatus.RELEASED:
        existing.warehouse_id, existing.quantity, existing.status = warehouse_id, quantity, status
    elif existing.status == status and existing.warehouse_id == warehouse_id:
        existing.quantity += quantity
    else:
        raise Conflict(N_("订单已在其他仓库或状态下占用该商品"))


def lock_order(order_id: int, change: Change) -> None:
    """Payment: the order's reserved units become locked."""
    for reservation in _reservations(order_id, ReservationStatus.RESERVED):
        _apply_or_fail(reservation, MovementKind.LOCK, change, LEVELS.reserved >= reservation.quantity,
                       reserved=-reservation.quantity, locked=reservation.quantity)
        reservation.status = ReservationStatus.LOCKED
    db.session.flush()


def release_order(order_id: int, change: Change) -> None:
    """Cancel, unpaid timeout or refund before shipping: give back everything the order still holds."""
    for reservation in _reservations(order_id, *ACTIVE_RESERVATION_STATUSES):
        _release(reservation, reservation.quantity, change)
    db.session.flush()


def release_quantities(order_id: int, quantities: dict[int, int], change: Change) -> None:
    """Partial refund before shipping: give back ``quantities`` (sku id → units) of what the order holds.
    A SKU held in several warehouses gives back from its smallest holding first (ties: the lower
    warehouse id), so a refund empties a parcel rather than thinning two."""
    held: dict[int, list[Reservation]] = {}
    for reservation in _reservations(order_id, *ACTIVE_RESERVATION_STATUSES):
        held.setdefault(reservation.sku_id, []).append(reservation)
    for sku_id, quantity in sorted(quantities.items()):
        rows = sorted(held.get(sku_id, []), key=lambda r: (r.quantity, r.warehouse_id))
        if quantity > sum(r.quantity for r in rows):
            raise ValidationError({"lines": N_("退款数量超过了订单占用的库存")})
        for reservation in rows:
            given = min(quantity, reservation.quantity)
            if given:
                _release(reservation, given, change)
            quantity -= given
    db.session.flush()


def ship_order(order_id: int, change: Change, warehouse_id: int | None = None) -> None:
    """Shipped out: locked units leave on_hand — all of them, or (one parcel of a split order) only
    those held in ``warehouse_id``."""
    if _reservations(order_id, ReservationStatus.RESERVED):
        raise Conflict(N_("订单还有未锁定的库存（未付款），不能出库"))
    for reservation in _reservations(order_id, ReservationStatus.LOCKED):
        if warehouse_id is not None and reservation.warehouse_id != warehouse_id:
            continue
        quantity = reservation.quantity
        guard = (LEVELS.locked >= quantity) & (LEVELS.on_hand >= quantity)
        after = _apply_or_fail(reservation, MovementKind.SHIP, change, guard, on_hand=-quantity, locked=-quantity)
        reservation.status = ReservationStatus.SHIPPED
        reorder.evaluate(after)
    db.session.flush()


def restock_return(warehouse_id: int, sku_id: int, quantity: int, damaged: bool, change: Change) -> None:
    """A return was received: sellable units back to on_hand, or into the damaged bucket."""
    ledger.ensure_level(warehouse_id, sku_id)
    if damaged:
        ledger.apply(warehouse_id, sku_id, MovementKind.RETURN_DAMAGED, change, damaged=quantity)
    else:
        after = ledger.apply(warehouse_id, sku_id, MovementKind.RETURN_RESTOCK, change, on_hand=quantity)
        reorder.evaluate(after)
    db.session.flush()


def move_reservations(order_id: int, to_warehouse_id: int, change: Change, sku_ids: set[int] | None = None) -> None:
    """Move everything an order holds (or only its ``sku_ids``: a split parcel) to another warehouse,
    atomically; raises OutOfStock if it can't."""
    # What a split order already holds in the target stays as it is.
    held: dict[int, int] = {}
    moving: dict[int, int] = {}
    for r in _reservations(order_id, *ACTIVE_RESERVATION_STATUSES):
        if sku_ids is None or r.sku_id in sku_ids:
            held[r.sku_id] = held.get(r.sku_id, 0) + r.quantity
            if r.warehouse_id != to_warehouse_id:
                moving[r.sku_id] = moving.get(r.sku_id, 0) + r.quantity
    if not moving:
        return
    if _place(order_id, {to_warehouse_id: held}, change):
        raise OutOfStock(N_("目标仓库库存不足"), details={"lines": _shortfalls(moving, [to_warehouse_id])})


def place_reservations(order_id: int, placement: dict[int, dict[int, int]], change: Change) -> None:
    """Hold the order's units of the SKUs ``placement`` names (warehouse id → sku id → units) where it
    says, atomically: a SKU may be split between warehouses (routing's split parcels). Per SKU the
    units placed must be what the order holds. Raises OutOfStock naming the short SKUs, nothing moved,
    when a warehouse cannot take its share."""
    held: dict[int, int] = {}
    for r in _reservations(order_id, *ACTIVE_RESERVATION_STATUSES):
        held[r.sku_id] = held.get(r.sku_id, 0) + r.quantity
    placed: dict[int, int] = {}
    for part in placement.values():
        for sku_id, units in part.items():
            placed[sku_id] = placed.get(sku_id, 0) + units
    if any(held.get(sku_id, 0) != units for sku_id, units in placed.items()):
        raise ValidationError({"placement": N_("分配的数量与订单占用的库存不一致")})
    short = _place(order_id, placement, change)
    if short:
        warehouses = sorted({w for w, _s, _q in short})
        demand = {s: q for _w, s, q in short}
        raise OutOfStock(N_("目标仓库库存不足"), details={"lines": _shortfalls(demand, warehouses)})


def _place(order_id: int, placement: dict[int, dict[int, int]], change: Change) -> list[tuple[int, int, int]]:
    """Rearrange the order's active rows of the placed SKUs to ``placement`` in a savepoint: a guarded
    ``move_in`` where a warehouse is to hold more, a ``move_out`` where less. Returns the (warehouse, sku, units) that did not fit,
    having rolled everything back, or [] when done."""
    skus = {sku_id for part in placement.values() for sku_id in part}
    rows = {(r.warehouse_id, r.sku_id): r for r in _reservations(order_id, *ACTIVE_RESERVATION_STATUSES)
            if r.sku_id in skus}
    statuses = {r.sku_id: r.status for r in rows.values()}
    if any(r.status != statuses[r.sku_id] for r in rows.values()):
        raise Conflict(N_("订单的同一商品处于不同的占用状态，不能调仓"))
    target = {(w, s): units for w, part in placement.items() for s, units in part.items() if units}
    deltas = {level: target.get(level, 0) - (rows[level].quantity if level in rows else 0)
              for level in set(target) | set(rows)}
    if not any(deltas.values()):
        return []
    shipped = {(r.warehouse_id, r.sku_id) for r in _reservations(order_id, ReservationStatus.SHIPPED)}
    if any(delta > 0 and level in shipped for level, delta in deltas.items()):
        raise Conflict(N_("该仓库的包裹已经出库，不能再调入这件商品"))
    savepoint = db.session.begin_nested()
    short = []
    # Per SKU (in id order) the warehouses taking units first, then those giving them, as moving one did.
    for (warehouse_id, sku_id), delta in sorted(deltas.items(), key=lambda pair: (pair[0][1], pair[1] < 0, pair[0][0])):
        if not delta:
            continue
        bucket = "reserved" if statuses[sku_id] == ReservationStatus.RESERVED else "locked"
        if delta > 0:
            ledger.ensure_level(warehouse_id, sku_id)
            after = ledger.apply(warehouse_id, sku_id, MovementKind.MOVE_IN, change,
                                 guard=sellable_at_least(delta), **{bucket: delta})
            if after is None:
                short.append((warehouse_id, sku_id, delta))
                continue
        else:
            after = ledger.apply(warehouse_id, sku_id, MovementKind.MOVE_OUT, change,
                                 guard=LEVELS[bucket] >= -delta, **{bucket: delta})
            if after is None:
                raise Conflict(N_("库存记录与预占不一致（仓库 %(warehouse)s，商品 %(sku)s），请运行库存一致性检查"),
                               warehouse=warehouse_id, sku=sku_id)
        reorder.evaluate(after)
    if short:
        savepoint.rollback()
        return short
    for warehouse_id, sku_id in sorted(deltas):
        row = rows.get((warehouse_id, sku_id)) or _row(order_id, warehouse_id, sku_id)
        units = target.get((warehouse_id, sku_id), 0)
        if row is None:
            db.session.add(Reservation(order_id=order_id, warehouse_id=warehouse_id, sku_id=sku_id,
                                       quantity=units, status=statuses[sku_id]))
        elif units:
            row.quantity, row.status = units, statuses[sku_id]
        elif row.status in ACTIVE_RESERVATION_STATUSES:
            db.session.delete(row)  # moved away whole: the row that held it goes, the ledger keeps the move
        db.session.flush()
    savepoint.commit()
    db.session.flush()
    return []


def get_level(warehouse: Warehouse, sku: Sku) -> StockLevel:
    level = db.session.scalar(select(StockLevel).where(StockLevel.warehouse_id == warehouse.id,
                                                       StockLevel.sku_id == sku.id))
    if level is None:
        ledger.ensure_level(warehouse.id, sku.id)
        return get_level(warehouse, sku)
    return level


def order_holdings(order_id: int) -> dict[int, tuple[int, str]]:
    """Where the order's stock is, per SKU id: (warehouse id, locked / reserved / shipped); released
    holdings are left out. A SKU split between warehouses names the one holding most of it
    (``order_holding_rows`` has them all)."""
    query = select(Reservation).where(Reservation.order_id == order_id,
                                      Reservation.status != ReservationStatus.RELEASED)
    rows = sorted(db.session.scalars(query), key=lambda r: (r.quantity, -r.warehouse_id))
    return {r.sku_id: (r.warehouse_id, r.status) for r in rows}  # a split SKU: where most of it is


def order_holding_rows(order_id: int) -> list[tuple[int, int, int, str]]:
    """Where the order's stock is: (warehouse id, sku id, units, locked / reserved / shipped) per row, a
    SKU split between warehouses once per warehouse; released holdings are left out."""
    query = (select(Reservation.warehouse_id, Reservation.sku_id, Reservation.quantity, Reservation.status)
             .where(Reservation.order_id == order_id, Reservation.status != ReservationStatus.RELEASED)
             .order_by(Reservation.warehouse_id, Reservation.sku_id))
    return [tuple(row) for row in db.session.execute(query)]


def order_warehouse_id(order_id: int) -> int | None:
    """The warehouse holding (or that shipped) the order's stock."""
    return db.session.scalar(select(Reservation.warehouse_id).where(Reservation.order_id == order_id).limit(1))


def _reserve_all(order_id: int, warehouse_id: int, demand: dict[int, int], change: Change,
                 alongside: set[int] = frozenset()) -> bool:
    """Write the reservation and ledger rows first and the guarded UPDATEs last, so a hot stock row is
    locked only from its UPDATE to the commit; False (the caller rolls the rows back) when one is refused."""
    for sku_id, quantity in sorted(demand.items()):
        hold(order_id, warehouse_id, sku_id, quantity, alongside)
        ledger.record(warehouse_id, sku_id, MovementKind.RESERVE, change, reserved=quantity)
    db.session.flush()
    # Sorted by SKU id so that concurrent orders lock rows in the same order and cannot deadlock.
    levels_after = []
    for sku_id, quantity in sorted(demand.items()):
        after = ledger.update_level(warehouse_id, sku_id, guard=sellable_at_least(quantity), reserved=quantity)
        if after is None:
            return False
        levels_after.append(after)
    for after in levels_after:
        reorder.evaluate(after)
    return True


def hold(order_id: int, warehouse_id: int, sku_id: int, quantity: int, alongside: set[int] = frozenset()) -> None:
    """The order's reservation row for the SKU in the warehouse gains ``quantity`` (the level's UPDATE is
    the caller's). Conflict when the order holds the SKU in another warehouse, except in those of
    ``alongside`` (the warehouses one split reservation divides it between)."""
    rows = list(db.session.scalars(select(Reservation).where(Reservation.order_id == order_id,
                                                             Reservation.sku_id == sku_id)))  # one read
    if any(r.warehouse_id != warehouse_id and r.warehouse_id not in alongside
           and r.status != ReservationStatus.RELEASED for r in rows):
        raise Conflict(N_("订单已在其他仓库或状态下占用该商品"))
    existing = next((r for r in rows if r.warehouse_id == warehouse_id), None)
    if existing is None:
        db.session.add(Reservation(order_id=order_id, warehouse_id=warehouse_id, sku_id=sku_id, quantity=quantity))
    elif existing.status == ReservationStatus.RESERVED and existing.warehouse_id == warehouse_id:
        existing.quantity += quantity
    elif existing.status == ReservationStatus.RELEASED:
        existing.warehouse_id, existing.quantity, existing.status = warehouse_id, quantity, ReservationStatus.RESERVED
    else:
        raise Conflict(N_("订单已在其他仓库或状态下占用该商品"))


def _row(order_id: int, warehouse_id: int, sku_id: int) -> Reservation | None:
    return db.session.scalar(select(Reservation).where(Reservation.order_id == order_id,
                                                       Reservation.warehouse_id == warehouse_id,
                                                       Reservation.sku_id == sku_id))


def _release(reservation: Reservation, quantity: int, change: Change) -> None:
    if reservation.status == ReservationStatus.RESERVED:
        kind, bucket = MovementKind.RELEASE, "reserved"
    else:
        kind, bucket = MovementKind.UNLOCK, "locked"
    after = _apply_or_fail(reservation, kind, change, LEVELS[bucket] >= quantity, **{bucket: -quantity})
    reorder.evaluate(after)  # stock given back (cancel, timeout, refund) may close a purchase reminder
    reservation.quantity -= quantity
    if reservation.quantity == 0:
        reservation.status = ReservationStatus.RELEASED
        reservation.quantity = 0


def _apply_or_fail(reservation: Reservation, kind: MovementKind, change: Change, guard, **deltas):
    """Apply a change the reservation says must be possible; if the level disagrees, the books are wrong."""
    after = ledger.apply(reservation.warehouse_id, reservation.sku_id, kind, change, guard=guard, **deltas)
    if after is None:
        raise Conflict(N_("库存记录与预占不一致（仓库 %(warehouse)s，商品 %(sku)s），请运行库存一致性检查"),
                       warehouse=reservation.warehouse_id, sku=reservation.sku_id)
    return after


def _reservations(order_id: int, *statuses: str) -> list[Reservation]:
    query = select(Reservation).where(Reservation.order_id == order_id, Reservation.status.in_(statuses))
    return list(db.session.scalars(query.order_by(Reservation.sku_id)))


def _available_by_warehouse(sku_ids, warehouse_ids) -> dict[tuple[int, int], int]:
    rows = db.session.execute(
        select(StockLevel.warehouse_id, StockLevel.sku_id,
               StockLevel.on_hand - StockLevel.reserved - StockLevel.locked - StockLevel.safety)
        .where(StockLevel.sku_id.in_(sku_ids), StockLevel.warehouse_id.in_(warehouse_ids))
    )
    return {(warehouse_id, sku_id): max(0, available) for warehouse_id, sku_id, available in rows}


def _likely_first(demand: dict[int, int], warehouse_ids: list[int]) -> list[int]:
    """Warehouses that (by a plain read) can fill everything, in the given order; the guarded updates
    decide. Skipping hopeless ones saves a savepoint and a rollback each; a level the read finds sold
    out is marked so (soldout.py), and the next request skips it without reading it."""
    if not warehouse_ids:
        return []
    versions = soldout.versions([(w, s) for w in warehouse_ids for s in demand])  # before the read
    available = _available_by_warehouse(demand, warehouse_ids)
    soldout.mark(db.session, {level: version for level, version in versions.items() if available.get(level, 0) <= 0})
    return [w for w in warehouse_ids if all(available.get((w, s), 0) >= q for s, q in demand.items())]


def _shortfalls(demand: dict[int, int], warehouse_ids: list[int],
                sold_out: set[tuple[int, int]] = frozenset()) -> list[dict]:
    """For each SKU the warehouses together cannot cover (a SKU's units may be split between them): what
    was asked and what they have. Levels in ``sold_out`` count as 0 unread, so a refusal by marker reads
    no stock row."""
    unread = [w for w in warehouse_ids if not all((w, s) in sold_out for s in demand)]
    available = {level: units for level, units in (_available_by_warehouse(demand, unread) if unread else {}).items()
                 if level not in sold_out}
    best = {sku_id: sum(available.get((w, sku_id), 0) for w in warehouse_ids) for sku_id in demand}
    short = {sku_id for sku_id, quantity in demand.items() if best[sku_id] < quantity}
    if not short and warehouse_ids:
        first = warehouse_ids[0]
        short = {sku_id for sku_id, quantity in demand.items() if available.get((first, sku_id), 0) < quantity}
    codes = dict(db.session.execute(select(Sku.id, Sku.code).where(Sku.id.in_(short))).all())
    return [{"sku": codes[sku_id], "requested": demand[sku_id], "available": best[sku_id]}
            for sku_id in sorted(short, key=codes.get)]


def _refuse_bundles(skus: list[Sku]) -> None:
    bundles = [sku.code for sku in skus if sku.is_bundle]
    if bundles:
        raise ValidationError({"sku": Text(N_("组合装没有自己的库存，请对子商品操作: %(codes)s"), codes=", ".join(bundles))})
