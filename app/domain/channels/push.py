"""Back to the platforms: shipments with their waybill, stock levels, and the drift check.

Every push is recorded (PushRecord: what was sent, when, the platform's answer) and idempotent: a
shipment is one row per order that is only ever acknowledged once; a stock push is a full "set to N"
that is skipped when the last acknowledged number for that SKU is already N. What a shop is told is
floor(ATP × share%) of the warehouses that serve it, or the shop's fixed virtual stock.

A split order's push tells the platform every parcel, with the platform's own split-shipment mechanism
(the adapter's ``shipment_calls``: Taobao ``is_split``/``sub_tid`` and Youzan ``oids`` one call per
parcel, Douyin one multi-pack call, Pinduoduo the first waybill then the extra ones, JD every number in
one field). Each parcel names the platform's sub-order ids of the lines it carries, found by mapping the
order's last stored payload again (the same mapping gives the same lines) and pairing its lines with
ours by SKU. Idempotence across calls: the record notes each waybill the platform acknowledged (in
``sent.parcels``) as soon as its call is answered, and a retry makes only the calls whose parcels are
not acknowledged yet. We record rather than rely on the platform refusing "already shipped": a refusal
would look like a failure, and a platform that accepts a repeated waybill for another sub-order would
ship it twice. Until every parcel is acknowledged the record is ``partial`` and swept again, even once
the platform says the order shipped (Pinduoduo does after its first call). A call whose answer was lost
(the worker died) is made again; the simulators, like the platforms, take the same waybill on the same
sub-orders twice as done.
How shipments are noticed without orders importing channels: stockwatch.py sees the ledger's ``ship``
row of an order and queues its push at once; ``shipments_to_push`` sweeps every minute for anything
that slipped through (a failed push, a lost job).

No transaction is open while a platform answers (app/outside_calls.py): each push's PushRecord is
written ``pending`` and committed by ``checkpoint`` (the caller's commit) before the call, and its
outcome is recorded after it, in the next short transaction. A worker that dies during a call leaves
that record ``pending``: the attempt is on record, and a stock push stays "not acknowledged" (pushed
again when the SKU moves, or by the drift check), a shipment is swept again.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, select

from app.db import db
from app.domain.catalog.models import Sku
from app.domain.channels import mapping, skus
from app.domain.channels.adapters.base import (
    ChannelAdapter,
    Listing,
    PlatformError,
    ShippedParcel,
    ThrottledError,
    TokenExpiredError,
)
from app.domain.channels.connect import settings_of
from app.domain.channels.models import (
    ChannelError,
    ChannelOrder,
    DriftFinding,
    PlatformListing,
    PushKind,
    PushRecord,
    PushStatus,
    RawPayload,
)
from app.domain.channels.normalise import spec_for
from app.domain.errors import DomainError
from app.domain.inventory.queries import stock_of
from app.domain.logistics.models import Shipment
from app.domain.orders.models import Order
from app.domain.orders.services import candidate_warehouses
from app.domain.orders.states import AFTER_SHIPPING
from app.domain.reference.models import Channel
from app.outside_calls import call_outside
from app.text import N_, Text

MAX_SHIPMENT_ATTEMPTS = 10


@dataclass
class StockPushReport:
    pushed: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)  # SKU ids to try again
    stopped: PlatformError | None = None  # the platform refused the shop as a whole (throttled, token expired)


def channel_atp(channel: Channel, sku: Sku) -> int:
    """Sellable units of ``sku`` in the warehouses that fill ``channel``'s orders (bundles: whole kits)."""
    serving = set(candidate_warehouses(channel))
    return sum(row.available for row in stock_of(sku) if row.warehouse.id in serving)


def target_quantity(channel: Channel, sku: Sku) -> int:
    settings = settings_of(channel)
    if settings.virtual_stock is not None:
        return settings.virtual_stock
    return channel_atp(channel, sku) * settings.stock_share_pct // 100


def listed_skus(channel: Channel, sku_ids: set[int] | None = None) -> list[tuple[Sku, Listing]]:
    """Our SKUs the shop lists (by the listings learned from its orders), optionally only ``sku_ids``."""
    listings = db.session.scalars(select(PlatformListing).where(PlatformListing.channel_id == channel.id)
                                  .order_by(PlatformListing.platform_code)).all()
    found = skus.resolve(channel, {listing.platform_code for listing in listings})
    pairs = []
    for listing in listings:
        sku = found.get(listing.platform_code)
        if sku is not None and (sku_ids is None or sku.id in sku_ids):
            pairs.append((sku, Listing(listing.platform_code, listing.item_id, listing.platform_sku_id)))
    return pairs


def push_stock(channel: Channel, adapter: ChannelAdapter, sku_ids: set[int], now: datetime, *,
               checkpoint: Callable[[], None]) -> StockPushReport:
    report = StockPushReport()
    if not settings_of(channel).stock_push_enabled:
        return report
    drifting = _open_drift_sku_ids(channel)
    pairs = listed_skus(channel, sku_ids)
    for index, (sku, listing) in enumerate(pairs):
        quantity = target_quantity(channel, sku)
        last = last_acknowledged_stock(channel, sku)
        if last is not None and last.quantity == quantity and sku.id not in drifting:
            report.skipped.append(sku.id)
            continue
        record = PushRecord(channel_id=channel.id, kind=PushKind.STOCK, sku_id=sku.id,
                            platform_code=listing.platform_code, quantity=quantity, attempts=1, pushed_at=now,
                            sent={"item_id": listing.item_id, "platform_sku_id": listing.platform_sku_id,
                                  "quantity": quantity})
        db.session.add(record)
        try:
            _acknowledge(record, call_outside(checkpoint, adapter.push_stock, listing, quantity), now)
            report.pushed.append(sku.id)
        except (ThrottledError, TokenExpiredError) as error:
            _refused(record, channel, error, now)
            report.failed += [sku.id for sku, _ in pairs[index:]]
            report.stopped = error
            break
        except PlatformError as error:
            _refused(record, channel, error, now)
            report.failed.append(sku.id)
    db.session.flush()
    return report


def last_acknowledged_stock(channel: Channel, sku: Sku) -> PushRecord | None:
    return db.session.scalar(
        select(PushRecord).where(PushRecord.channel_id == channel.id, PushRecord.kind == PushKind.STOCK,
                                 PushRecord.sku_id == sku.id, PushRecord.status == PushStatus.ACKNOWLEDGED)
        .order_by(PushRecord.id.desc()).limit(1))


def shipments_to_push(limit: int = 200) -> list[int]:
    """Orders shipped by us that their platform still shows as paid, or whose parcels it was told only in
    part, without an acknowledged push."""
    acknowledged_or_given_up = select(PushRecord.id).where(
        PushRecord.kind == PushKind.SHIPMENT, PushRecord.order_id == Order.id,
        (PushRecord.status == PushStatus.ACKNOWLEDGED) | (PushRecord.attempts >= MAX_SHIPMENT_ATTEMPTS))
    partial = select(PushRecord.id).where(PushRecord.kind == PushKind.SHIPMENT, PushRecord.order_id == Order.id,
                                          PushRecord.status == PushStatus.PARTIAL)
    query = (select(Order.id).join(ChannelOrder, ChannelOrder.order_id == Order.id)
             .where(Order.status.in_(AFTER_SHIPPING), (ChannelOrder.stage == "paid") | partial.exists(),
                    ~acknowledged_or_given_up.exists())
             .order_by(Order.id).limit(limit))
    return list(db.session.scalars(query))


def push_shipment(order: Order, adapter: ChannelAdapter, now: datetime, *,
                  checkpoint: Callable[[], None]) -> PushRecord | None:
    """Tell the platform ``order`` shipped, every parcel with its carrier and waybill; None when there is
    nothing to tell. Each of the adapter's calls is made with no transaction open and its parcels are
    marked acknowledged once it is answered, so a retry after a refusal resends only what is missing."""
    link = db.session.scalar(select(ChannelOrder).where(ChannelOrder.order_id == order.id))
    if link is None or order.status not in AFTER_SHIPPING or order.carrier is None:
        return None
    record = db.session.scalar(select(PushRecord).where(PushRecord.kind == PushKind.SHIPMENT,
                                                        PushRecord.order_id == order.id))
    if link.stage != "paid" and (record is None or record.status != PushStatus.PARTIAL):
        return None
    if record is None:
        record = PushRecord(channel_id=order.channel_id, kind=PushKind.SHIPMENT, order_id=order.id, attempts=0,
                            platform_code=link.external_id)
        db.session.add(record)
    if record.status == PushStatus.ACKNOWLEDGED:
        return record
    parcels = parcels_of(order, link, adapter)
    done = acknowledged_waybills(record)
    record.sent = _sent(link, parcels, done)
    record.status, record.attempts, record.pushed_at = PushStatus.PENDING, record.attempts + 1, now
    answers = []
    try:
        for call in adapter.shipment_calls(link.external_id, parcels):
            if set(call.waybills) <= done:
                continue  # acknowledged by an earlier attempt: never sent twice
            answers.append({"method": call.method, "waybills": list(call.waybills),
                            "answer": call_outside(checkpoint, call.send)})
            done |= set(call.waybills)
            record.sent = _sent(link, parcels, done)
            record.status = PushStatus.PARTIAL  # committed before the next call; acknowledged below when it is the last
        _acknowledge(record, answers[0]["answer"] if len(answers) == 1 else {"calls": answers}, now)
    except PlatformError as error:
        _refused(record, order.channel, error, now)
        if done:
            record.status = PushStatus.PARTIAL
    db.session.flush()
    return record


def acknowledged_waybills(record: PushRecord) -> set[str]:
    """The waybills the platform acknowledged in earlier attempts of this shipment push."""
    return {parcel["waybill_no"] for parcel in (record.sent or {}).get("parcels", ()) if parcel.get("acknowledged")}


def _sent(link: ChannelOrder, parcels: list[ShippedParcel], done: set[str]) -> dict:
    return {"external_id": link.external_id, "carrier": parcels[0].carrier, "waybill_no": parcels[0].waybill_no,
            "parcels": [{"carrier": parcel.carrier, "waybill_no": parcel.waybill_no,
                         "lines": [list(line) for line in parcel.lines], "acknowledged": parcel.waybill_no in done}
                        for parcel in parcels]}


def parcels_of(order: Order, link: ChannelOrder, adapter: ChannelAdapter) -> list[ShippedParcel]:
    """Every parcel the order shipped as, the order's own first, as the platform is told it: its carrier
    value, the waybill, and the platform sub-order ids of the lines it carries with their quantities
    (none when the order's lines have no sub-order ids). A bundle's component lines are its sold line's;
    a bundle split across parcels is named, whole, by the first parcel that carries part of it."""
    ids = platform_line_ids(order, link)
    by_id = {line.id: line for line in order.lines}
    kits: dict[int, int] = {}  # sold bundle line → the parcel that names it
    parcels = []
    for index, (code, waybill_no, lines) in enumerate(_our_parcels(order)):
        named: dict[str, int] = {}
        for line_id, quantity in sorted(lines.items()) if ids else ():
            line = by_id.get(line_id)
            if line is None:
                continue
            if line.is_component:
                if kits.setdefault(line.parent_line_id, index) != index:
                    continue
                named[ids[line.parent_line_id]] = by_id[line.parent_line_id].quantity
            else:
                named[ids[line.id]] = named.get(ids[line.id], 0) + quantity
        parcels.append(ShippedParcel(platform_carrier(order.channel, adapter, code), waybill_no, tuple(named.items())))
    return parcels


def _our_parcels(order: Order) -> list[tuple[str, str, dict[int, int]]]:
    """(our carrier code, waybill, order line id → quantity) of every parcel, the order's own first. An
    order shipped without parcels of its own (before parcels were kept) is one parcel of all its lines."""
    shipments = db.session.scalars(select(Shipment).where(Shipment.order_id == order.id).order_by(Shipment.id)).all()
    found = [(shipment.carrier.code, shipment.waybill_no, {line.order_line_id: line.quantity for line in shipment.lines})
             for shipment in shipments]
    own = next((parcel for parcel in found if parcel[:2] == (order.carrier.code, order.waybill_no)), None)
    others = [parcel for parcel in found if parcel is not own]
    if own is None:
        carried = {line_id for parcel in others for line_id in parcel[2]}
        own = (order.carrier.code, order.waybill_no,
               {line.id: line.quantity for line in order.lines if not line.is_component and line.id not in carried})
    return [own, *others]


def platform_line_ids(order: Order, link: ChannelOrder) -> dict[int, str]:
    """Our sold line id → the platform's sub-order id, read from the order's last stored payload through
    the shop's mapping (``lines.line_id``) and paired by SKU (and quantity, when one SKU is on two lines).
    Empty unless every sold line has one: a platform without sub-order ids (JD, Pinduoduo), an imported
    order, or a payload the mapping no longer reads."""
    payload = db.session.get(RawPayload, link.last_payload_id) if link.last_payload_id else None
    if payload is None:
        return {}
    try:
        view = mapping.apply(spec_for(order.channel), payload.payload, payload.platform_modified_at)
        found = skus.resolve_lines(order.channel, view.lines)
    except (DomainError, skus.WaitingForSku):
        return {}
    free = sorted((line for line in order.lines if not line.is_component), key=lambda line: line.id)
    ids = {}
    for platform_line in view.lines:
        code = found[platform_line.code].code
        same = [line for line in free if line.sku.code == code]
        line = next((line for line in same if line.quantity == platform_line.quantity), same[0] if same else None)
        if line is None or not platform_line.line_id:
            return {}
        free.remove(line)
        ids[line.id] = platform_line.line_id
    return ids if not free else {}


def platform_carrier(channel: Channel, adapter: ChannelAdapter, carrier_code: str) -> str:
    """The platform's value for our carrier: the adapter's table, else the shop mapping's reverse."""
    known = getattr(adapter, "CARRIER_CODES", {})
    if carrier_code in known:
        return known[carrier_code]
    reverse = {ours: theirs for theirs, ours in spec_for(channel).get("carriers", {}).items()}
    return reverse.get(carrier_code, carrier_code)


def check_drift(channel: Channel, adapter: ChannelAdapter, now: datetime, *,
                checkpoint: Callable[[], None]) -> list[DriftFinding]:
    """Compare what the platform shows with the last number we pushed; open, update or resolve findings."""
    open_findings = {finding.sku_id: finding for finding in db.session.scalars(
        select(DriftFinding).where(DriftFinding.channel_id == channel.id, DriftFinding.resolved_at.is_(None)))}
    found = []
    for sku, listing in listed_skus(channel):
        last = last_acknowledged_stock(channel, sku)
        if last is None:
            continue
        reported = call_outside(checkpoint, adapter.read_stock, listing)
        finding = open_findings.get(sku.id)
        if reported == last.quantity:
            if finding is not None:
                finding.resolved_at, finding.checked_at = now, now
            continue
        if finding is None:
            finding = DriftFinding(channel_id=channel.id, sku_id=sku.id, platform_code=listing.platform_code,
                                   intended=last.quantity, reported=reported, found_at=now, checked_at=now)
            db.session.add(finding)
        finding.intended, finding.reported, finding.checked_at = last.quantity, reported, now
        found.append(finding)
    db.session.flush()
    return found


def latest_stock_pushes(channel: Channel, limit: int = 200) -> list[PushRecord]:
    """The newest stock push per SKU, for the health page."""
    newest = (select(func.max(PushRecord.id)).where(PushRecord.channel_id == channel.id,
                                                    PushRecord.kind == PushKind.STOCK)
              .group_by(PushRecord.sku_id))
    return list(db.session.scalars(select(PushRecord).where(and_(PushRecord.id.in_(newest)))
                                   .order_by(PushRecord.id.desc()).limit(limit)))


def _open_drift_sku_ids(channel: Channel) -> set[int]:
    return set(db.session.scalars(select(DriftFinding.sku_id).where(DriftFinding.channel_id == channel.id,
                                                                    DriftFinding.resolved_at.is_(None))))


def _acknowledge(record: PushRecord, answer: dict, now: datetime) -> None:
    record.status, record.acknowledged_at = PushStatus.ACKNOWLEDGED, now
    record.answer = json.dumps(answer, ensure_ascii=False, default=str)[:4000]


def _refused(record: PushRecord, channel: Channel, error: PlatformError, now: datetime) -> None:
    record.status, record.answer = PushStatus.FAILED, str(error)[:4000]
    db.session.add(ChannelError(channel_id=channel.id, at=now, kind="push", message=Text(N_("推送%(kind)s失败: %(error)s"), kind=_kind_label(record), error=str(error)[:400])))


def _kind_label(record: PushRecord) -> str:
    return "发货" if record.kind == PushKind.SHIPMENT else "库存"
