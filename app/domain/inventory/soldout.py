"""Sold-out markers: a sold-out stock level refuses reservations without touching its row.

During a flash sale most requests for a sold-out SKU would otherwise read (or queue on) the hot row
only to be told no. A marker in Redis says "this level was sold out", and every change that can make
units sellable again (receipt, count up, release, unlock, move out, lower safety stock) ends it.

A marker is a version check, not a flag that someone must delete, so a stale one cannot win a race:
each level has a version that goes up after every committed change that frees stock, and a marker
records the version that was current *before* the read that found the level sold out. The level
counts as sold out only while the marker equals the current version. If stock was freed between that
read and the marker being written, the version has already moved on and the marker never counts.
That needs the read to see every commit made before it: READ COMMITTED on PostgreSQL, and on SQLite
every transaction holds the write lock from its BEGIN, so nothing commits in between.

Redis is only a shortcut: when it is unreachable nothing is marked sold out and the database decides
as before; a marker also expires after ``MARKER_SECONDS``, so even a bump lost with a crash between
the commit and Redis costs at most that long.
"""

import logging
import time

import redis
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.domain.inventory.models import StockLevel
from app.redis_conn import get_redis

logger = logging.getLogger(__name__)

MARKER_SECONDS = 60
WARN_EVERY_SECONDS = 60  # Redis down: say so once a minute, not on every request
_last_warning = [0.0]
FREED_KEY = "inventory.freed_levels"  # session.info: levels this transaction freed stock on
TOUCHED_KEY = "inventory.touched_levels"  # session.info: levels this transaction changed at all


def _marker_key(warehouse_id: int, sku_id: int) -> str:
    return f"stock:soldout:{warehouse_id}:{sku_id}"


def _version_key(warehouse_id: int, sku_id: int) -> str:
    return f"stock:version:{warehouse_id}:{sku_id}"


def versions(levels: list[tuple[int, int]]) -> dict[tuple[int, int], bytes | None]:
    """The current version of each (warehouse id, sku id); read before looking at the levels."""
    if not levels:
        return {}
    try:
        values = get_redis().mget([_version_key(*level) for level in levels])
    except redis.RedisError as error:
        _warn("sold-out markers unavailable", error)
        return {}
    return {level: value or b"0" for level, value in zip(levels, values, strict=True)}


def sold_out(session: Session, levels: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """The levels among ``levels`` that carry a marker still matching their version.

    A level this transaction changed itself is never among them: the transaction sees its own changes
    (an order edit releases and reserves again in one transaction), which no marker can know of.
    """
    touched = session.info.get(TOUCHED_KEY, set())
    levels = [level for level in levels if level not in touched]
    if not levels:
        return set()
    keys = [key for level in levels for key in (_marker_key(*level), _version_key(*level))]
    try:
        values = get_redis().mget(keys)
    except redis.RedisError as error:
        _warn("sold-out markers unavailable", error)
        return set()
    return {level for level, marker, version in zip(levels, values[::2], values[1::2], strict=True)
            if marker is not None and marker == (version or b"0")}


def mark(session: Session, levels: dict[tuple[int, int], bytes]) -> None:
    """Mark ``levels`` sold out as of the version read before they were found empty.

    Levels this transaction changed itself are skipped: their emptiness may be its own uncommitted work.
    """
    touched = session.info.get(TOUCHED_KEY, set())
    markers = {_marker_key(*level): version for level, version in levels.items() if level not in touched}
    if not markers:
        return
    try:
        with get_redis().pipeline(transaction=False) as pipeline:
            for key, version in markers.items():
                pipeline.set(key, version, ex=MARKER_SECONDS)
            pipeline.execute()
    except redis.RedisError as error:
        _warn("could not write sold-out markers", error)


def note_touched(session: Session, warehouse_id: int, sku_id: int) -> None:
    session.info.setdefault(TOUCHED_KEY, set()).add((warehouse_id, sku_id))


def note_freed(session: Session, warehouse_id: int, sku_id: int) -> None:
    """This transaction made units of the level sellable: its version goes up once it commits."""
    session.info.setdefault(FREED_KEY, set()).add((warehouse_id, sku_id))


def bump_versions(levels: set[tuple[int, int]]) -> None:
    try:
        with get_redis().pipeline(transaction=False) as pipeline:
            for level in sorted(levels):
                pipeline.incr(_version_key(*level))
            pipeline.execute()
    except redis.RedisError as error:  # the markers expire on their own
        _warn(f"could not end sold-out markers for {len(levels)} level(s)", error)


def _warn(what: str, error: Exception) -> None:
    now = time.monotonic()
    if now - _last_warning[0] >= WARN_EVERY_SECONDS:
        _last_warning[0] = now
        logger.warning("%s (%s); the database decides alone meanwhile", what, error)


def listen(session_class) -> None:
    """Bump the freed levels' versions after the real commit; forget them when the transaction ends."""
    if not event.contains(session_class, "after_commit", _after_commit):
        event.listen(session_class, "after_flush", _note_levels_changed_through_the_orm)
        event.listen(session_class, "after_commit", _after_commit)
        event.listen(session_class, "after_transaction_end", _after_transaction_end)


def _note_levels_changed_through_the_orm(session: Session, flush_context) -> None:
    # Stock changes go through ledger.update_level (a Core UPDATE the flush never sees); what is left
    # are levels created or edited as objects, e.g. a new safety stock. Any of them may free units.
    # After the flush (ids are known), while new and dirty still list what it wrote.
    for level in (*session.new, *session.dirty):
        if isinstance(level, StockLevel):
            note_touched(session, level.warehouse_id, level.sku_id)
            note_freed(session, level.warehouse_id, level.sku_id)


def _after_commit(session: Session) -> None:
    # after_commit also fires when a SAVEPOINT is released; the versions wait for the real commit.
    transaction = session.get_nested_transaction() or session.get_transaction()
    if transaction is not None and transaction.nested:
        return
    freed = session.info.pop(FREED_KEY, None)
    session.info.pop(TOUCHED_KEY, None)
    if freed:
        bump_versions(freed)


def _after_transaction_end(session: Session, transaction) -> None:
    # A rolled back (or closed) outermost transaction: what it noted never happened. A savepoint
    # rolled back may have freed stock too; keeping its notes costs at most a needless bump.
    if not transaction.nested and transaction.parent is None:
        session.info.pop(FREED_KEY, None)
        session.info.pop(TOUCHED_KEY, None)

