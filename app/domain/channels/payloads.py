"""Raw payloads first: every order payload is stored as received, once, before anything else happens.

The content hash (SHA-256 of the JSON with sorted keys) is unique per channel, so an overlapping pull,
a repeated push or a replayed file stores nothing new; the unique constraint decides, not a
select-then-insert, so two workers storing the same payload at once still end with one row. Storing is
one statement (``INSERT … ON CONFLICT DO NOTHING RETURNING``, on PostgreSQL and SQLite alike): the usual
case, a payload not seen before, costs one round trip instead of a lookup, a savepoint and an insert.
"""

import hashlib
import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from app.db import db, insert_unless_taken, utcnow
from app.domain.channels.adapters.base import RawOrder
from app.domain.channels.models import HookBody, HookMessage, PayloadSource, PayloadStatus, RawPayload
from app.domain.reference.models import Channel


def content_hash(payload: dict) -> str:
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def store(channel: Channel, raw: RawOrder, source: PayloadSource, now: datetime | None = None) -> tuple[RawPayload, bool]:
    """Store ``raw`` for ``channel``; returns (payload, stored_now). A payload seen before is returned as is."""
    digest = content_hash(raw.payload)
    row = {"channel_id": channel.id, "external_id": raw.external_id[:64], "source": source,
           "received_at": now or utcnow(), "content_hash": digest, "platform_modified_at": raw.modified_at,
           "payload": raw.payload, "status": PayloadStatus.PENDING, "reason": ""}
    insert = _INSERTS.get(db.session.get_bind().dialect.name)
    if insert is None:  # another database: look first, then insert in a savepoint
        existing = _by_hash(channel.id, digest)
        if existing is not None:
            return existing, False
        payload = RawPayload(**row)
        if not insert_unless_taken(payload):
            return _by_hash(channel.id, digest), False
        return payload, True
    statement = (insert(RawPayload).values([row])
                 .on_conflict_do_nothing(index_elements=[RawPayload.channel_id, RawPayload.content_hash])
                 .returning(RawPayload))
    payload = db.session.scalars(statement).first()
    if payload is None:  # the same content is stored already (a replay, an overlap, another worker)
        return _by_hash(channel.id, digest), False
    return payload, True


_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def stored_copy(channel: Channel, payload: dict) -> RawPayload | None:
    """The payload of ``channel`` stored with exactly this content, if any."""
    return _by_hash(channel.id, content_hash(payload))


def stored_versions(channel_id: int, keys: list[tuple[str, datetime | None]]) -> set[tuple[str, datetime]]:
    """Which of these (order, platform modified time) pairs have a payload stored, in one query (so the
    detail call can be skipped for those: platform-apis §9 dedupes on order id + modified time)."""
    external_ids = {external_id for external_id, modified_at in keys if modified_at is not None}
    if not external_ids:
        return set()
    rows = db.session.execute(select(RawPayload.external_id, RawPayload.platform_modified_at).where(
        RawPayload.channel_id == channel_id, RawPayload.external_id.in_(external_ids),
        RawPayload.platform_modified_at.is_not(None)))
    return {(external_id, modified_at) for external_id, modified_at in rows} & set(keys)


def first_delivery(channel: Channel, message_id: str, topic: str = "") -> bool:
    """Record a pushed message id; False when it was seen before (platforms deliver at least once)."""
    return insert_unless_taken(HookMessage(channel_id=channel.id, message_id=message_id[:128], topic=topic[:64]))


def first_body(channel: Channel, digest: str) -> bool:
    """Record the digest of a pushed body; False when the same bytes came before."""
    return insert_unless_taken(HookBody(channel_id=channel.id, digest=digest))


def _by_hash(channel_id: int, digest: str) -> RawPayload | None:
    return db.session.scalar(select(RawPayload).where(RawPayload.channel_id == channel_id,
                                                      RawPayload.content_hash == digest))
