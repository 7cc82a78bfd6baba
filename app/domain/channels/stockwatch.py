"""Learning that stock moved, without the inventory layer knowing channels exist.

The stock ledger (``stock_movements``) is the source: every change to on_hand, reserved or locked
appends a row there in the same transaction. A periodic scan reads the rows after a cursor (an
index range scan on the primary key), and marks each moved SKU — and every bundle built from it —
dirty for every shop that gets stock pushes; a ``ship`` row also names an order whose shipment the
platform should hear about. Inventory imports nothing of this, and no hook can be forgotten.

Ledger ids are given at insert, but transactions commit in their own order, so a row with a lower id
can become visible after a higher one. The cursor therefore trails the ledger by ``SETTLE`` seconds;
rows in that tail are read again by the next scans, and a short-lived Redis sorted set of the ids
already marked keeps them from being marked twice. Redis losing it costs a repeated (idempotent)
push, nothing more; the drift check is the backstop for anything missed.

The dirty SKUs of a shop wait in a Redis set until its push job takes them (push.py): changes during
the debounce interval are pushed together.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from app.db import db
from app.domain.catalog.models import BundleComponent
from app.domain.channels.connect import api_platforms, settings_of
from app.domain.channels.models import ChannelCredentials, ChannelCursor, ChannelOrder, SyncState, SyncStatus
from app.domain.inventory.models import MovementKind, StockMovement
from app.domain.reference.models import Channel
from app.redis_conn import get_redis

CURSOR = "stock_movements"
SETTLE = timedelta(seconds=30)
BATCH = 5000
PREFIX = "orderhub:channels"
SEEN_KEY = f"{PREFIX}:ledger-seen"


@dataclass
class ScanResult:
    sku_ids: set[int] = field(default_factory=set)
    shipped_order_ids: set[int] = field(default_factory=set)
    rows: int = 0
    cursor: int = 0


def dirty_key(channel_id: int) -> str:
    return f"{PREFIX}:stock-dirty:{channel_id}"


def scan(now: datetime, batch: int = BATCH) -> ScanResult:
    """Read the ledger after the cursor; mark moved SKUs dirty for every stock-pushing shop."""
    cursor = _cursor()
    rows = db.session.execute(
        select(StockMovement.id, StockMovement.sku_id, StockMovement.kind, StockMovement.order_id, StockMovement.at)
        .where(StockMovement.id > cursor.position).order_by(StockMovement.id).limit(batch)).all()
    result = ScanResult(rows=len(rows), cursor=cursor.position)
    fresh = _first_sightings([row.id for row in rows])
    for row in rows:
        if row.id in fresh:
            result.sku_ids.add(row.sku_id)
            if row.kind == MovementKind.SHIP and row.order_id:
                result.shipped_order_ids.add(row.order_id)
    result.sku_ids |= bundles_containing(result.sku_ids)
    if result.shipped_order_ids:  # only orders that came from a platform have one to tell
        result.shipped_order_ids = set(db.session.scalars(
            select(ChannelOrder.order_id).where(ChannelOrder.order_id.in_(result.shipped_order_ids))))
    settled = [row.id for row in rows if row.at <= now - SETTLE]
    if settled:
        cursor.position = max(settled)
        get_redis().zremrangebyscore(SEEN_KEY, "-inf", cursor.position)
    result.cursor = cursor.position
    if result.sku_ids:
        mark_dirty([channel.id for channel in stock_channels()], result.sku_ids)
    db.session.flush()
    return result


def bundles_containing(sku_ids: set[int]) -> set[int]:
    """A component moving changes how many of each bundle around it can be sold."""
    if not sku_ids:
        return set()
    return set(db.session.scalars(select(BundleComponent.bundle_id).where(BundleComponent.component_id.in_(sku_ids))))


def stock_channels() -> list[Channel]:
    """Active API shops with credentials (not waiting for new ones) and stock pushes switched on."""
    channels = db.session.scalars(
        select(Channel).join(ChannelCredentials, ChannelCredentials.channel_id == Channel.id)
        .outerjoin(SyncState, SyncState.channel_id == Channel.id)
        .where(Channel.active, Channel.platform.in_(api_platforms()),
               or_(SyncState.id.is_(None), SyncState.status != SyncStatus.TOKEN_EXPIRED))
        .order_by(Channel.id))
    return [channel for channel in channels if settings_of(channel).stock_push_enabled]


def mark_dirty(channel_ids: list[int], sku_ids: set[int]) -> None:
    if not channel_ids or not sku_ids:
        return
    with get_redis().pipeline() as pipeline:
        for channel_id in channel_ids:
            pipeline.sadd(dirty_key(channel_id), *sorted(sku_ids))
        pipeline.execute()


def pushing_key(channel_id: int) -> str:
    return f"{PREFIX}:stock-pushing:{channel_id}"


def take_dirty(channel_id: int) -> set[int]:
    """Every SKU waiting to be pushed to the shop, moved in one transaction to the shop's set of SKUs
    being pushed, where they stay until ``pushed`` says so.

    A push whose worker was killed never says so: the next push of the shop (its own run again, once
    found abandoned) takes its SKUs along with the newly dirty ones instead of losing them.
    """
    with get_redis().pipeline(transaction=True) as pipeline:
        pipeline.sunionstore(pushing_key(channel_id), [pushing_key(channel_id), dirty_key(channel_id)])
        pipeline.delete(dirty_key(channel_id))
        pipeline.smembers(pushing_key(channel_id))
        _, _, members = pipeline.execute()
    return {int(member) for member in members}


def pushed(channel_id: int) -> None:
    """The SKUs ``take_dirty`` handed out were pushed, or put back into the dirty set."""
    get_redis().delete(pushing_key(channel_id))


def dirty_channels() -> list[int]:
    """Shops with SKUs waiting (also those a failed or busy push left behind)."""
    redis = get_redis()
    return [channel.id for channel in stock_channels() if redis.scard(dirty_key(channel.id))]


def _first_sightings(ids: list[int]) -> set[int]:
    if not ids:
        return set()
    with get_redis().pipeline() as pipeline:
        for movement_id in ids:
            pipeline.zadd(SEEN_KEY, {str(movement_id): movement_id}, nx=True)
        pipeline.expire(SEEN_KEY, 24 * 3600)
        added = pipeline.execute()[:-1]
    return {movement_id for movement_id, new in zip(ids, added, strict=True) if new}


def _cursor() -> ChannelCursor:
    """The scan's cursor, locked so that two scans never work the same rows at once."""
    cursor = db.session.scalar(select(ChannelCursor).where(ChannelCursor.name == CURSOR).with_for_update())
    if cursor is None:
        cursor = ChannelCursor(name=CURSOR, position=0)
        db.session.add(cursor)
        db.session.flush()
    return cursor
