"""Incremental pulls: windows by platform modified time, a watermark, and a SyncRun row per pull.

A pull covers [watermark − overlap, now − lag] in windows no longer than the platform accepts. The
watermark moves to a window's end only after every page of that window is stored and processed and
that is committed, so a worker killed in the middle of a page loses nothing: the next run reads the
same window again, and what the dead one already stored is recognised by its content hash.

``checkpoint`` is the caller's commit (the job wrapper's or the command's session). It runs before
every platform call (``call_outside``: no transaction, hence on SQLite no write lock, is held while the
platform answers) and after every order, so each order is visible as soon as it is stored and
processed, and a window's watermark is durable before the next window starts. The run's counts are
written once per window.

One shop's backlog is shared by workers (backlog.py): the pull lists a window's pages onto it and calls
in helper jobs (``help_pull``), and the pull and its helpers take its orders one at a time. The pull
then waits until none of its window's orders is claimed any more, checks that every one is stored (and
does any that is not itself), and only then moves the watermark.

On PostgreSQL an order's own commit does not wait for its WAL flush (``synchronous_commit`` off for that
transaction only): the order is visible to everyone at once, and durable at the latest when the
window's watermark is committed, which does wait for the flush, and PostgreSQL flushes its log in
order, so every order committed before it. A crash in between loses at most orders of a window whose
watermark has not moved: the next pull reads that window again and makes them (nothing is lost, and the
(channel, external id) key and the content hash make nothing twice). Every other commit (the watermark,
a run's record, pushed orders, everything outside pulls) stays synchronous.
"""

import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import uuid4

from redis.exceptions import WatchError
from rq.job import JobStatus
from sqlalchemy import or_, select, text, update

from app.db import db, utcnow
from app.domain.channels import backlog, normalise, payloads
from app.domain.channels.adapters.base import (
    ChannelAdapter,
    ListEntry,
    PlatformError,
    RawOrder,
    ThrottledError,
    TokenExpiredError,
)
from app.domain.channels.connect import api_platforms, credentials_of
from app.domain.channels.models import (
    ChannelCredentials,
    ChannelError,
    PayloadSource,
    PayloadStatus,
    RunStatus,
    SyncRun,
    SyncState,
    SyncStatus,
)
from app.domain.channels.queueing import QUEUE, enqueue_once
from app.domain.reference.models import Channel
from app.jobs import current_job_id, job_status
from app.outside_calls import call_outside
from app.redis_conn import get_redis
from app.text import N_, Text

logger = logging.getLogger(__name__)
INITIAL_LOOKBACK = timedelta(days=1)
LOCK_SECONDS = 15 * 60
HELP_JOB = "workers.channel_sync.help_pull"
#: Helper jobs a pull calls in at most, and the queued orders that are worth one more helper.
MAX_HELPERS = 3
ORDERS_PER_HELPER = 10
#: What a pull and its helpers count, folded into the run once per window.
COUNTED = ("fetched", "stored", "created", "updated", "waiting")
CLAIM_POLL_SECONDS = 0.02


@dataclass
class PullReport:
    status: str = RunStatus.SUCCEEDED
    windows: list[tuple[datetime, datetime]] = field(default_factory=list)
    pages: int = 0
    listed: int = 0
    fetched: int = 0
    stored: int = 0
    created: int = 0
    updated: int = 0
    waiting: int = 0
    errors: list[str] = field(default_factory=list)
    run_id: int | None = None
    message: str = ""


def pull_lock_key(channel_id: int) -> str:
    return f"orderhub:channels:pull-lock:{channel_id}"


@contextmanager
def pull_lock(channel_id: int) -> Iterator[bool]:
    """Yield True when this process may pull the shop (one pull per shop at a time, across workers).

    The lock names its holder. A job's lock is the job's: its next run (the same deterministic id, queued
    again once its killed worker was found out) takes it over, and so does anyone once that job is no
    longer running. A lock held outside a job (``flask channels sync-now``) expires after LOCK_SECONDS.
    """
    job_id = current_job_id()
    token = f"job:{job_id}" if job_id else f"process:{os.getpid()}:{uuid4().hex}"
    key = pull_lock_key(channel_id)
    connection = get_redis()
    acquired = bool(connection.set(key, token, nx=True, ex=LOCK_SECONDS)) or _take_over(key, token, job_id)
    try:
        yield acquired
    finally:
        if acquired:
            _release(key, token)


def pull_lock_holder(channel_id: int) -> str | None:
    """Who holds the shop's pull lock: ``job:<id>``, ``process:<pid>:…``, or None."""
    holder = get_redis().get(pull_lock_key(channel_id))
    return holder.decode() if holder else None


def _holder_is_gone(holder: str, job_id: str | None) -> bool:
    if not holder.startswith("job:"):
        return False
    holding_job = holder.removeprefix("job:")
    return holding_job == job_id or job_status(holding_job, QUEUE) != JobStatus.STARTED


def _take_over(key: str, token: str, job_id: str | None) -> bool:
    with get_redis().pipeline() as pipeline:
        try:
            pipeline.watch(key)
            holder = pipeline.get(key)
            if holder is not None and not _holder_is_gone(holder.decode(), job_id):
                return False
            pipeline.multi()
            pipeline.set(key, token, ex=LOCK_SECONDS)
            pipeline.execute()
        except WatchError:
            return False  # someone else took or released it meanwhile; the next pull tries again
    logger.warning("pull lock %s taken over from a job that is no longer running", key)
    return True


def _release(key: str, token: str) -> None:
    """Delete the lock only while it is still ours (it may have expired and been taken meanwhile)."""
    with get_redis().pipeline() as pipeline, suppress(WatchError):
        pipeline.watch(key)
        holder = pipeline.get(key)
        if holder is None or holder.decode() != token:
            return
        pipeline.multi()
        pipeline.delete(key)
        pipeline.execute()


def state_of(channel: Channel) -> SyncState:
    state = db.session.scalar(select(SyncState).where(SyncState.channel_id == channel.id))
    if state is None:
        state = SyncState(channel_id=channel.id, status=SyncStatus.OK, status_message="")
        db.session.add(state)
        db.session.flush()
    return state


def plan_windows(adapter: ChannelAdapter, watermark: datetime | None, now: datetime,
                 since: datetime | None = None) -> list[tuple[datetime, datetime]]:
    """The windows still to read: from the watermark less the overlap (or ``since``, or a day back),
    never further back than the platform keeps, each at most ``max_window`` long."""
    end = now - adapter.end_lag
    if since is not None:
        start = since
    elif watermark is not None:
        start = watermark - adapter.overlap
    else:
        start = now - INITIAL_LOOKBACK
    start = max(start, now - adapter.history + timedelta(minutes=5))
    windows = []
    while start < end:
        window_end = min(start + adapter.max_window, end)
        windows.append((start, window_end))
        start = window_end
    return windows


def pull(channel: Channel, adapter: ChannelAdapter, *, checkpoint: Callable[[], None], trigger: str = "cron",
         since: datetime | None = None, now: datetime | None = None,
         on_payload: Callable[[object], None] | None = None) -> PullReport:
    """One incremental pull of ``channel``. Platform refusals are recorded (never raised); anything
    else propagates, leaving the watermark where the last complete window put it."""
    now = now or utcnow()
    state = state_of(channel)
    report = PullReport()
    skip = _reason_to_skip(state, now)
    if skip:
        report.status, report.message = RunStatus.SKIPPED, skip
        return report
    _close_interrupted_runs(channel)
    run = SyncRun(channel_id=channel.id, trigger=trigger, status=RunStatus.RUNNING, started_at=now)
    db.session.add(run)
    report.windows = plan_windows(adapter, state.watermark, now, since)
    run.windows_total = len(report.windows)
    if report.windows:
        run.window_from, run.window_to = report.windows[0][0], report.windows[-1][1]
    db.session.flush()
    report.run_id = run.id
    worker = _Worker(channel.id, adapter, normalise.ShopContext.of(channel), checkpoint, on_payload)
    checkpoint()
    try:
        for start, end in report.windows:
            _with_token_refresh(channel, adapter, checkpoint, lambda start=start, end=end: _pull_window(
                worker, run, report, start, end))
            state.watermark = end
            run.windows_done += 1
            checkpoint()
    except TokenExpiredError as error:
        _fail(state, run, report, SyncStatus.TOKEN_EXPIRED, "auth", Text(N_("平台授权已过期，请重新授权: %(error)s"), error=str(error)), now)
    except ThrottledError as error:
        state.throttled_until = now + timedelta(seconds=error.retry_after or 60)
        _fail(state, run, report, SyncStatus.THROTTLED, "throttle", Text(N_("平台限流: %(error)s"), error=str(error)), now)
    except PlatformError as error:
        _fail(state, run, report, SyncStatus.FAILING, "pull", Text(N_("平台返回错误: %(error)s"), error=str(error)), now)
    else:
        state.status, state.status_message, state.last_success_at = SyncStatus.OK, "", utcnow()
        state.throttled_until = None
        run.status = RunStatus.SUCCEEDED
    run.finished_at = utcnow()
    run.message = report.message[:500] if report.message else Text(N_("%(windows)s 个时间窗，%(pages)s 页"), windows=len(report.windows), pages=report.pages)
    checkpoint()
    return report


@dataclass
class _Worker:
    """Takes a pull's listed orders one at a time: detail call (no transaction open), store, process,
    commit, so each order is visible as soon as it is stored. The pull's own and every helper's.

    A helper hands its tally to the pull through the backlog after each order, before the order's claim
    is released: when the pull sees no claim left, every helper's count is there to collect."""

    channel_id: int
    adapter: ChannelAdapter
    shop: normalise.ShopContext
    checkpoint: Callable[[], None]
    on_payload: Callable[[object], None] | None = None
    helper: bool = False
    tally: PullReport = field(default_factory=PullReport)
    taken: int = 0

    def work_through_backlog(self) -> None:
        while (item := backlog.take(self.channel_id)) is not None:
            self.taken += 1
            try:
                self.ingest(item)
                if self.helper:
                    self._hand_over_tally()
            finally:
                backlog.release(self.channel_id, item.external_id)

    def ingest(self, item: backlog.Item) -> None:
        if item.payload is not None:
            raw = RawOrder(item.external_id, item.modified_at, item.payload)
        else:
            self.tally.fetched += 1
            raw = call_outside(self.checkpoint, self.adapter.fetch_order, item.external_id)
        _flush_with_the_watermark()
        channel = db.session.get(Channel, self.channel_id)
        payload, stored = payloads.store(channel, raw, PayloadSource.PULL)
        if stored:
            self.tally.stored += 1
            _count(normalise.process(payload, self.shop), self.tally)
        if self.on_payload is not None:
            self.on_payload(payload)
        self.checkpoint()

    def _hand_over_tally(self) -> None:
        backlog.count(self.channel_id, {name: getattr(self.tally, name) for name in COUNTED}, self.tally.errors)
        self.tally = PullReport()


def _flush_with_the_watermark() -> None:
    """This transaction (one pulled order's) commits without waiting for its WAL flush; the window's
    watermark commit waits for it (see the module's docstring). Nothing on SQLite."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL synchronous_commit TO OFF"))


def _pull_window(worker: _Worker, run: SyncRun, report: PullReport, start: datetime, end: datetime) -> None:
    """List the window's pages onto the shop's backlog (helpers start on it at once), work through it,
    then make sure every listed order is stored before the caller moves the watermark."""
    channel_id = worker.channel_id
    backlog.reset(channel_id)  # a token refresh runs the window again: what the first try queued goes
    listed: list[backlog.Item] = []
    pages = worker.adapter.list_window(start, end)  # a generator: each next() is a platform call
    while (page := call_outside(worker.checkpoint, next, pages, None)) is not None:
        items = _needing_work(channel_id, page.orders)
        report.listed += len(page.orders)
        report.pages += 1
        run.pages += 1  # committed by the next call_outside (the next page, or the end of the window)
        listed += items
        _call_helpers(channel_id, backlog.add(channel_id, items))
    worker.work_through_backlog()
    _wait_for_claims(channel_id, [item.external_id for item in listed])
    stored = payloads.stored_versions(channel_id, [(item.external_id, item.modified_at) for item in listed])
    for item in listed:
        if (item.external_id, item.modified_at) not in stored:
            worker.ingest(item)  # a helper died or was refused: the pull does it, and raises what it meets
    _fold(run, report, worker.tally, backlog.collect(channel_id))


def _needing_work(channel_id: int, entries: list[ListEntry]) -> list[backlog.Item]:
    """The page's orders to store: every complete one (its content hash decides), and each keys-only one
    whose (order, modified time) is not stored yet (platform-apis §9: no detail call for those)."""
    keys_only = [(entry.external_id, entry.modified_at) for entry in entries if not entry.complete]
    known = payloads.stored_versions(channel_id, keys_only)
    return [backlog.Item.of(entry) for entry in entries
            if entry.complete or (entry.external_id, entry.modified_at) not in known]


def _call_helpers(channel_id: int, queued: int) -> None:
    """One helper job per ORDERS_PER_HELPER queued orders, up to MAX_HELPERS; one already pending is
    not queued twice. A helper that starts after the backlog is done finds it empty and ends."""
    for number in range(min(MAX_HELPERS, queued // ORDERS_PER_HELPER)):
        enqueue_once(HELP_JOB, channel_id, job_id=f"channel-pull-help-{channel_id}-{number}")


def _wait_for_claims(channel_id: int, external_ids: list[str]) -> None:
    """Until no helper is working on an order of this window (a dead one's claim runs out by itself)."""
    while backlog.claimed(channel_id, external_ids):
        time.sleep(CLAIM_POLL_SECONDS)


def _fold(run: SyncRun, report: PullReport, own: PullReport, helped: tuple[dict[str, int], list[str]]) -> None:
    """Add what the pull itself and its helpers did to the report and the run row (once per window, not
    one row update per order)."""
    counts, errors = helped
    for name in COUNTED:
        setattr(report, name, getattr(report, name) + getattr(own, name) + counts.get(name, 0))
        setattr(own, name, 0)
    report.errors += own.errors + errors
    own.errors = []
    run.payloads_stored, run.orders_created, run.orders_updated = report.stored, report.created, report.updated
    run.errors = len(report.errors)


def help_pull(channel: Channel, adapter: ChannelAdapter, *, checkpoint: Callable[[], None]) -> int:
    """A helper job's work: take orders off the shop's backlog until it is empty; returns how many it
    took. A platform refusal ends the help (the order goes back to the pull, which records the refusal
    as it does its own)."""
    worker = _Worker(channel.id, adapter, normalise.ShopContext.of(channel), checkpoint, helper=True)
    try:
        worker.work_through_backlog()
    except PlatformError as error:
        logger.warning("Helping the pull of channel %s stopped: %s", channel.id, error)
    return worker.taken


def _with_token_refresh(channel: Channel, adapter: ChannelAdapter, checkpoint: Callable[[], None],
                        work: Callable[[], None]) -> None:
    """Run ``work``; on an expired token, let the adapter refresh it once (platforms that allow it), store
    the new token, and run ``work`` again. A second expiry, or no refresh, goes to the caller."""
    try:
        work()
    except TokenExpiredError:
        fresh = call_outside(checkpoint, adapter.refresh_access_token)
        if fresh is None:
            raise
        stored = credentials_of(channel)
        # Committed by the next call_outside, before the new token is used: a platform may accept a
        # refresh token only once, so it must not be lost with a later step.
        stored.access_token, stored.refresh_token = fresh.access_token, fresh.refresh_token or stored.refresh_token
        adapter.credentials = fresh
        work()


def _count(outcome: normalise.Outcome, report: PullReport) -> None:
    if outcome.created:
        report.created += 1
    elif outcome.moved:
        report.updated += 1
    if outcome.status == PayloadStatus.WAITING_SKU_MAPPING:
        report.waiting += 1
    if outcome.status in (PayloadStatus.ERROR, PayloadStatus.WAITING_SKU_MAPPING):
        report.errors.append(outcome.reason)


def _reason_to_skip(state: SyncState, now: datetime) -> str:
    if state.status == SyncStatus.TOKEN_EXPIRED:
        return "授权已过期，等待重新配置凭证"
    if state.throttled_until and state.throttled_until > now:
        return Text(N_("平台限流中，%(until)s (UTC) 后再试"), until=f"{state.throttled_until:%H:%M:%S}")
    return ""


def _fail(state, run, report, status: str, kind: str, message: str, now: datetime) -> None:
    state.status, state.status_message, state.last_error_at = status, message[:300], now
    run.status, report.status, report.message = RunStatus.FAILED, RunStatus.FAILED, message
    report.errors.append(message)
    run.errors += 1
    db.session.add(ChannelError(channel_id=state.channel_id, at=now, kind=kind, message=message[:500]))


def _close_interrupted_runs(channel: Channel) -> None:
    """Runs still marked running belong to a worker that died (pulls of one shop never overlap: the
    caller holds the shop's lock)."""
    db.session.execute(update(SyncRun).where(SyncRun.channel_id == channel.id, SyncRun.status == RunStatus.RUNNING)
                       .values(status=RunStatus.INTERRUPTED, finished_at=utcnow(),
                               message="上次同步被中断，本次从水位线继续"))


def pullable_channels(now: datetime) -> list[Channel]:
    """Active API shops with credentials that are neither waiting for new ones nor banned right now."""
    query = (select(Channel).join(ChannelCredentials, ChannelCredentials.channel_id == Channel.id)
             .outerjoin(SyncState, SyncState.channel_id == Channel.id)
             .where(Channel.active, Channel.platform.in_(api_platforms()),
                    or_(SyncState.id.is_(None), SyncState.status != SyncStatus.TOKEN_EXPIRED),
                    or_(SyncState.throttled_until.is_(None), SyncState.throttled_until <= now))
             .order_by(Channel.id))
    return list(db.session.scalars(query))


def flag_token_expired(channel: Channel, message: str, now: datetime) -> None:
    """A push heard the token is gone: the shop waits for staff like a pull would have made it."""
    state = state_of(channel)
    state.status, state.status_message, state.last_error_at = SyncStatus.TOKEN_EXPIRED, message[:300], now
    db.session.add(ChannelError(channel_id=channel.id, at=now, kind="auth", message=message[:500]))
    db.session.flush()


def reset_after_new_credentials(channel: Channel) -> None:
    """New credentials were saved: a shop flagged for an expired token may pull again."""
    state = state_of(channel)
    if state.status in (SyncStatus.TOKEN_EXPIRED, SyncStatus.FAILING):
        state.status, state.status_message = SyncStatus.OK, ""
    state.throttled_until = None
    db.session.flush()
