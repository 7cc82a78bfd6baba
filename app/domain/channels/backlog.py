"""A shop's pull backlog, shared by workers: the listed orders still to store, taken one at a time.

The pull job lists a window's pages and puts every order that still needs work (its detail call,
storing, processing) on the shop's backlog in Redis; helper jobs on other workers and the pull itself
take orders off it one at a time, and each order is fetched, stored and processed in a commit of its
own. An order taken is claimed for CLAIM_SECONDS (its worker deletes the claim once it is committed),
so the pull knows when its window's orders are no longer being worked on; it then checks in the
database that every listed order is stored and does any that is not itself (a helper died, or the
platform refused it a call). Two workers that end up with the same order (a claim that ran out) still
store it once: the payload's content hash and the order's (channel, external id) key decide.

One pull per shop runs at a time (sync.pull_lock), so the keys are the shop's, not the run's.
"""

import json
from dataclasses import dataclass
from datetime import datetime

from app.domain.channels.adapters.base import ListEntry
from app.redis_conn import get_redis

#: Longer than one order's detail call, storing and processing ever take; a claim older is a dead worker's.
CLAIM_SECONDS = 120
#: How long a finished backlog's counts are kept if its pull never collects them (it died).
COUNTS_SECONDS = 3600

# Pop the next order and claim it in one step, so no moment exists where it is neither queued nor claimed.
_TAKE = """
local item = redis.call('LPOP', KEYS[1])
if not item then return nil end
redis.call('SET', ARGV[1] .. cjson.decode(item)['id'], '1', 'EX', ARGV[2])
return item
"""


@dataclass(frozen=True)
class Item:
    """A listed order: keys only (``payload`` None: needs the detail call) or complete."""

    external_id: str
    modified_at: datetime | None
    payload: dict | None

    @classmethod
    def of(cls, entry: ListEntry) -> "Item":
        return cls(entry.external_id, entry.modified_at, entry.payload if entry.complete else None)

    def encode(self) -> str:
        modified = self.modified_at.isoformat() if self.modified_at else None
        return json.dumps({"id": self.external_id, "modified": modified, "payload": self.payload},
                          ensure_ascii=False)

    @classmethod
    def decode(cls, text: str | bytes) -> "Item":
        data = json.loads(text)
        modified = datetime.fromisoformat(data["modified"]) if data["modified"] else None
        return cls(data["id"], modified, data["payload"])


def _key(kind: str, channel_id: int) -> str:
    return f"orderhub:channels:backlog-{kind}:{channel_id}"


def _claim_prefix(channel_id: int) -> str:
    return _key("claim", channel_id) + ":"


def reset(channel_id: int) -> None:
    """Forget what a previous (dead) pull of the shop left queued and counted."""
    get_redis().delete(_key("queue", channel_id), _key("counts", channel_id), _key("errors", channel_id))


def add(channel_id: int, items: list[Item]) -> int:
    """Queue ``items``; returns how many orders are queued now."""
    if not items:
        return get_redis().llen(_key("queue", channel_id))
    return get_redis().rpush(_key("queue", channel_id), *(item.encode() for item in items))


def take(channel_id: int) -> Item | None:
    """The next queued order, claimed for this worker; None when the backlog is empty."""
    text = get_redis().eval(_TAKE, 1, _key("queue", channel_id), _claim_prefix(channel_id), CLAIM_SECONDS)
    return Item.decode(text) if text is not None else None


def release(channel_id: int, external_id: str) -> None:
    """The order is committed (or given back to the pull): no longer claimed."""
    get_redis().delete(_claim_prefix(channel_id) + external_id)


def claimed(channel_id: int, external_ids: list[str]) -> int:
    """How many of these orders some worker is working on right now."""
    if not external_ids:
        return 0
    prefix = _claim_prefix(channel_id)
    return get_redis().exists(*(prefix + external_id for external_id in external_ids))


def count(channel_id: int, counts: dict[str, int], errors: list[str]) -> None:
    """A helper's tallies (stored, created…) and error reasons, for the pull to fold into its run."""
    with get_redis().pipeline() as pipeline:
        for name, value in counts.items():
            if value:
                pipeline.hincrby(_key("counts", channel_id), name, value)
        if errors:
            pipeline.rpush(_key("errors", channel_id), *errors)
        pipeline.expire(_key("counts", channel_id), COUNTS_SECONDS)
        pipeline.expire(_key("errors", channel_id), COUNTS_SECONDS)
        pipeline.execute()


def collect(channel_id: int) -> tuple[dict[str, int], list[str]]:
    """The helpers' tallies and errors so far, taken (each is collected once)."""
    with get_redis().pipeline() as pipeline:  # MULTI: read and delete together
        pipeline.hgetall(_key("counts", channel_id))
        pipeline.lrange(_key("errors", channel_id), 0, -1)
        pipeline.delete(_key("counts", channel_id), _key("errors", channel_id))
        counts, errors, _deleted = pipeline.execute()
    return ({name.decode(): int(value) for name, value in counts.items()},
            [error.decode() for error in errors])
