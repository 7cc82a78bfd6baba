"""Reading orders for screens: filtered and searched lists, counts per status, one order's timeline.

Read-side only: these build SELECTs or return rows and never change anything. Filters arrive as plain
values (an ``OrderFilters``), never as a request, so the API and reports can use the same functions.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, literal, or_, select, tuple_, union_all
from sqlalchemy.orm import joinedload, selectinload

from app.db import db
from app.domain.catalog.models import Sku
from app.domain.inventory.models import StockMovement
from app.domain.notifications.models import Message
from app.domain.notifications.queries import messages_for_order
from app.domain.orders.inputs import normalise_phone
from app.domain.orders.models import Order, OrderEvent, OrderLine
from app.domain.orders.portal_queries import ORDER_NO_PATTERN
from app.domain.orders.states import STATUS_LABELS
from app.domain.reference.models import Channel

SHANGHAI = ZoneInfo("Asia/Shanghai")
ANY_SLA_FLAG = "any"  # the sla_flag filter's value for "any warning at all" (the dashboard's 超时)


@dataclass(frozen=True)
class OrderFilters:
    status: str | None = None
    channel_id: int | None = None
    warehouse_id: int | None = None
    created_from: date | None = None  # Asia/Shanghai calendar days, both ends included
    created_to: date | None = None
    sla_flag: str | None = None
    #: order number, channel order id, waybill, SKU code or product name, receiver / buyer name,
    #: full phone or its last four digits
    search: str = ""
    external_id: str | None = None  # the channel's order id, exactly
    updated_since: datetime | None = None


def search_orders(filters: OrderFilters, with_lines: bool = False) -> Select:
    """Orders matching ``filters``, newest first, with what a list row shows loaded up front
    (``with_lines``: also the lines, their SKUs and the carrier, for the API's full order bodies)."""
    query = _filtered(select(Order), filters)
    if filters.status:
        query = query.where(Order.status == filters.status)
    query = query.options(selectinload(Order.channel), selectinload(Order.warehouse))
    if with_lines:
        query = query.options(selectinload(Order.lines).selectinload(OrderLine.sku), selectinload(Order.carrier))
    return query.order_by(Order.created_at.desc(), Order.id.desc())


def orders_after(query: Select, after_id: int | None) -> Select:
    """``query`` (newest first, as search_orders sorts) continued after the order ``after_id``: the
    next page starts where the last one ended, however deep, without counting the rows before it."""
    if not after_id:
        return query
    anchor = db.session.execute(select(Order.created_at, Order.id).where(Order.id == after_id)).first()
    if anchor is None:
        return query
    return orders_before(query, *anchor)


def orders_before(query: Select, created_at: datetime, order_id: int) -> Select:
    """``query`` (newest first) from the order after ``(created_at, order_id)`` on: an index seek on
    ``(…, created_at, id)``, whether or not that order still exists or still matches the filters."""
    return query.where(tuple_(Order.created_at, Order.id) < (created_at, order_id))


#: Counts stop here: a tab shows "1000+" rather than counting a year of completed orders every time.
COUNT_CAP = 1_000


def status_counts(filters: OrderFilters, cap: int) -> dict[str, int]:
    """How many orders match ``filters`` in each status (the status filter itself is ignored), each
    counted up to ``cap`` + 1 only: a value above ``cap`` means "more than ``cap``"."""
    matching = _filtered(select(Order.id), filters)  # one search CTE, which every status's count shares
    per_status = [select(literal(status).label("status"), func.count().label("count")).select_from(
        matching.where(Order.status == status).limit(cap + 1).subquery())
        for status in STATUS_LABELS]
    return {status: count for status, count in db.session.execute(union_all(*per_status)).all() if count}


def order_ids_numbered(order_no: str) -> Select:
    """The id of the order numbered ``order_no`` (none if there is no such order), as a sub-SELECT."""
    return select(Order.id).where(Order.order_no == order_no)


def order_numbers(order_ids) -> dict[int, str]:
    """Order numbers by order id, for the given ids (None and repeats are fine)."""
    ids = {order_id for order_id in order_ids if order_id}
    if not ids:
        return {}
    return dict(db.session.execute(select(Order.id, Order.order_no).where(Order.id.in_(ids))).all())


def shanghai_day_bounds(first: date | None, last: date | None) -> tuple[datetime | None, datetime | None]:
    """UTC instants for "from the start of ``first`` to the end of ``last``", both Shanghai days."""
    start = datetime.combine(first, time.min, SHANGHAI) if first else None
    end = datetime.combine(last + timedelta(days=1), time.min, SHANGHAI) if last else None
    return start, end


def _filtered(query: Select, filters: OrderFilters) -> Select:
    if filters.channel_id:
        query = query.where(Order.channel_id == filters.channel_id)
    if filters.warehouse_id:
        query = query.where(Order.warehouse_id == filters.warehouse_id)
    if filters.sla_flag == ANY_SLA_FLAG:
        query = query.where(Order.sla_flag.is_not(None))
    elif filters.sla_flag:
        query = query.where(Order.sla_flag == filters.sla_flag)
    if filters.external_id is not None:
        query = query.where(Order.external_id == filters.external_id)
    if filters.updated_since:
        query = query.where(Order.updated_at >= filters.updated_since)
    start, end = shanghai_day_bounds(filters.created_from, filters.created_to)
    if start:
        query = query.where(Order.created_at >= start)
    if end:
        query = query.where(Order.created_at < end)
    if filters.search.strip():
        query = query.where(_matches(filters.search.strip()))
    return query


def _matches(text: str):
    """The orders whose number, channel order id, waybill, phone (or its last four digits), SKU or
    receiver / buyer name match ``text``, as ``Order.id IN (one SELECT per kind, UNION ALL)``, so each
    kind is looked up through its own index instead of one scan testing them all.

    A whole order number, channel order id, waybill and phone compare exactly; a partial order number
    (starting with "OH") by prefix; SKU codes and product names anywhere in the text. Names are looked
    for anywhere only when the text has no digit: a name has none, and that lookup reads every order.
    """
    anywhere = f"%{_escaped(text)}%"
    ids = [select(Order.id).where(Order.external_id == text), select(Order.id).where(Order.waybill_no == text),
           select(OrderLine.order_id).where(OrderLine.sku_id.in_(select(Sku.id).where(
               or_(Sku.code.ilike(anywhere, escape="\\"), Sku.name.ilike(anywhere, escape="\\")))))]
    if ORDER_NO_PATTERN.match(text.upper()):
        ids.append(select(Order.id).where(Order.order_no == text.upper()))
    elif text.upper().startswith("OH"):
        ids.append(select(Order.id).where(Order.order_no.ilike(f"{_escaped(text)}%", escape="\\")))
    if len(text) == 4 and text.isdigit():
        ids += [select(Order.id).where(Order.receiver_phone_tail == text),
                select(Order.id).where(Order.buyer_phone_tail == text)]
    phone = normalise_phone(text)
    if phone:
        ids += [select(Order.id).where(Order.receiver_phone == phone), select(Order.id).where(Order.buyer_phone == phone)]
    if not any(character.isdigit() for character in text):
        ids.append(select(Order.id).where(or_(Order.receiver_name.ilike(anywhere, escape="\\"),
                                              Order.buyer_name.ilike(anywhere, escape="\\"))))
    # A CTE: computed once even where a statement uses it several times (the per-status counts).
    return Order.id.in_(select(union_all(*ids).cte("matching_orders")))


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class TimelineEntry:
    """One line of an order's history: an order event, one of its stock movements or a customer message."""

    at: datetime
    event: OrderEvent | None = None
    movement: StockMovement | None = None
    message: Message | None = None


def timeline(order: Order) -> list[TimelineEntry]:
    """The order's events and stock movements merged, oldest first.

    Events sort before movements at equal times (a transition causes its movements), and the
    creation event comes first of all: the order is created before its stock is reserved, even though
    the event row is stamped a moment after the reservations it caused.
    """
    events = db.session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id)).all()
    movements = db.session.scalars(
        select(StockMovement).where(StockMovement.order_id == order.id)
        .options(selectinload(StockMovement.sku), selectinload(StockMovement.warehouse))).all()
    return _merged(events, movements, messages_for_order(order.id))


def newest_timeline(order: Order, count: int, skip: int = 0) -> tuple[list[TimelineEntry], int]:
    """``count`` entries of :func:`timeline` that end ``skip`` entries before its newest, oldest first,
    and how many older ones it has (``skip`` = 0: the newest entries; then the next older ones, …).

    Only those are read: the newest ``skip + count`` rows of each source, newest first along its
    ``(order_id, at, id)`` index (one more event, and the creation event, which sorts first whatever
    its time), and the sources' sizes; an order with hundreds of entries costs what a short one does.
    """
    wanted = skip + count
    events = list(db.session.scalars(newest_events(order.id, wanted + 1)))
    if len(events) > wanted:
        seen = {event.id for event in events}
        events += [event for event in db.session.scalars(select(OrderEvent).where(
            OrderEvent.order_id == order.id, OrderEvent.action == "create")) if event.id not in seen]
    movements = db.session.scalars(
        select(StockMovement).where(StockMovement.order_id == order.id)
        .order_by(StockMovement.at.desc(), StockMovement.id.desc()).limit(wanted)
        .options(joinedload(StockMovement.sku), joinedload(StockMovement.warehouse))).all()
    messages = db.session.scalars(
        select(Message).where(Message.order_id == order.id)
        .order_by(Message.created_at.desc(), Message.id.desc()).limit(wanted)).all()
    newest = _merged(events, movements, messages)[-wanted:]
    entries = newest[:max(0, len(newest) - skip)][-count:]
    read = len(events) + len(movements) + len(messages)
    if read <= wanted:
        total = read  # everything was read: nothing to count
    else:
        total = sum(db.session.execute(select(*(
            select(func.count()).where(column == order.id).scalar_subquery()
            for column in (OrderEvent.order_id, StockMovement.order_id, Message.order_id)))).one())
    return entries, max(0, total - skip - len(entries))


def newest_events(order_id: int, count: int) -> Select:
    """The order's ``count`` newest events, newest first (read backwards along ``ix_order_events_order_at_id``)."""
    return (select(OrderEvent).where(OrderEvent.order_id == order_id)
            .order_by(OrderEvent.at.desc(), OrderEvent.id.desc()).limit(count))


def _merged(events, movements, messages) -> list[TimelineEntry]:
    entries = [((e.action != "create", e.at, 0, e.id), TimelineEntry(e.at, event=e)) for e in events]
    entries += [((True, m.at, 1, m.id), TimelineEntry(m.at, movement=m)) for m in movements]
    entries += [((True, m.created_at, 2, m.id), TimelineEntry(m.created_at, message=m)) for m in messages]
    return [entry for _key, entry in sorted(entries, key=lambda item: item[0])]


#: When a platform gives no ship-by time (承诺发货时间), the promise is the platforms' usual 48 hours.
DEFAULT_SHIP_WITHIN = timedelta(hours=48)


@dataclass(frozen=True)
class HourlyOrders:
    hours: list[datetime]  # the start of each hour, UTC, oldest first
    per_channel: dict[str, list[int]]  # shop name → orders created in each of those hours


def orders_per_channel_per_hour(now: datetime, hours: int = 24) -> HourlyOrders:
    """Orders created in each of the last ``hours`` whole hours (the current one included), per shop."""
    first = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours - 1)
    rows = db.session.execute(select(Channel.shop_name, Order.created_at).join(Order.channel)
                              .where(Order.created_at >= first))
    per_channel: dict[str, list[int]] = {}
    for shop_name, created_at in rows:
        per_channel.setdefault(shop_name, [0] * hours)[int((created_at - first) // timedelta(hours=1))] += 1
    return HourlyOrders([first + timedelta(hours=index) for index in range(hours)], dict(sorted(per_channel.items())))


@dataclass(frozen=True)
class DailyCompliance:
    day: date  # Asia/Shanghai
    on_time: int
    late: int


def shipping_compliance(now: datetime, days: int = 7) -> list[DailyCompliance]:
    """Per Shanghai day, the orders shipped that day before their promised time and after it: the
    platform's ship-by time when it gave one, else ``DEFAULT_SHIP_WITHIN`` after payment."""
    today = now.astimezone(SHANGHAI).date()
    first_day = today - timedelta(days=days - 1)
    start, _end = shanghai_day_bounds(first_day, today)
    tally = {first_day + timedelta(days=index): [0, 0] for index in range(days)}
    rows = db.session.execute(select(Order.shipped_at, Order.ship_by_at, Order.paid_at, Order.created_at)
                              .where(Order.shipped_at >= start))
    for shipped_at, ship_by_at, paid_at, created_at in rows:
        promised = ship_by_at or (paid_at or created_at) + DEFAULT_SHIP_WITHIN
        tally[shipped_at.astimezone(SHANGHAI).date()][0 if shipped_at <= promised else 1] += 1
    return [DailyCompliance(day, on_time, late) for day, (on_time, late) in tally.items()]
