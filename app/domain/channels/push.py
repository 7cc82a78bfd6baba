"""Back to the platforms: shipments with their waybill, stock levels, and the drift check.

Every push is recorded (PushRecord: what was sent, when, the platform's answer) and idempotent: a
shipment is one row per order that is only ever acknowledged once; a stock push is a full "set to N"
that is skipped when the last acknowledged number for that SKU is already N. What a shop is told is
floor(ATP × share%) of the warehouses that serve it, or the shop's fixed virtual stock.

A split order's push names every parcel's waybill (the adapter says how many its platform's call takes).
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
from app.domain.channels import skus
from app.domain.channels.adapters.base import (
    ChannelAdapter,
    Listing,
    PlatformError,
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
)
from app.domain.channels.normalise import spec_for
from app.domain.inventory.queries import stock_of
from app.domain.logistics.models import Shipment
from app.domain.orders.models import Order
from app.domain.orders.services import candidate_warehouses
from app.domain.orders.states import AFTER_SHIPPING
from app.domain.reference.models import Carrier, Channel
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
    """Orders shipped by us that their platform still shows as paid, without an acknowledged push."""
    acknowledged_or_given_up = select(PushRecord.id).where(
        PushRecord.kind == PushKind.SHIPMENT, PushRecord.order_id == Order.id,
        (PushRecord.status == PushStatus.ACKNOWLEDGED) | (PushRecord.attempts >= MAX_SHIPMENT_ATTEMPTS))
    query = (select(Order.id).join(ChannelOrder, ChannelOrder.order_id == Order.id)
             .where(Order.status.in_(AFTER_SHIPPING), ChannelOrder.stage == "paid", ~acknowledged_or_given_up.exists())
             .order_by(Order.id).limit(limit))
    return list(db.session.scalars(query))


def push_shipment(order: Order, adapter: ChannelAdapter, now: datetime, *,
                  checkpoint: Callable[[], None]) -> PushRecord | None:
    """Tell the platform ``order`` shipped (carrier + waybill); None when there is nothing to tell."""
    link = db.session.scalar(select(ChannelOrder).where(ChannelOrder.order_id == order.id))
    if link is None or link.stage != "paid" or order.status not in AFTER_SHIPPING or order.carrier is None:
        return None
    record = db.session.scalar(select(PushRecord).where(PushRecord.kind == PushKind.SHIPMENT,
                                                        PushRecord.order_id == order.id))
    if record is None:
        record = PushRecord(channel_id=order.channel_id, kind=PushKind.SHIPMENT, order_id=order.id, attempts=0,
                            platform_code=link.external_id)
        db.session.add(record)
    if record.status == PushStatus.ACKNOWLEDGED:
        return record
    parcels = [(platform_carrier(order.channel, adapter, code), waybill_no) for code, waybill_no in waybills_of(order)]
    record.sent = {"external_id": link.external_id, "carrier": parcels[0][0], "waybill_no": parcels[0][1],
                   "parcels": [{"carrier": carrier, "waybill_no": waybill_no} for carrier, waybill_no in parcels]}
    record.status, record.attempts, record.pushed_at = PushStatus.PENDING, record.attempts + 1, now
    try:
        _acknowledge(record, call_outside(checkpoint, adapter.push_parcels, link.external_id, parcels), now)
    except PlatformError as error:
        _refused(record, order.channel, error, now)
    db.session.flush()
    return record


def waybills_of(order: Order) -> list[tuple[str, str]]:
    """(our carrier code, waybill) of every parcel the order shipped as, the order's own first."""
    own = (order.carrier.code, order.waybill_no)
    others = db.session.execute(select(Carrier.code, Shipment.waybill_no).join(Carrier, Shipment.carrier_id == Carrier.id)
                                .where(Shipment.order_id == order.id).order_by(Shipment.id)).all()
    return [own, *(tuple(row) for row in others if tuple(row) != own)]


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
