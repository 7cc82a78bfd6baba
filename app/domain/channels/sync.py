"""Incremental pulls: windows by platform modified time, a watermark, and a SyncRun row per pull.

A pull covers [watermark − overlap, now − lag] in windows no longer than the platform accepts. The
watermark moves to a window's end only after every page of that window is stored and processed and
that is committed, so a worker killed in the middle of a page loses nothing: the next run reads the
same window again, and what the dead one already stored is recognised by its content hash.

``checkpoint`` is the caller's commit (the job wrapper's or the command's session). It runs before
every platform call (``call_outside``: no transaction, hence on SQLite no write lock, is held while the
platform answers), so progress (payloads, counts) becomes visible to the health page as it is made,
and a window's watermark is durable before the next window starts. What is committed mid-window is
whole payloads with their counts; the watermark still moves only at a window's end.
"""

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import uuid4

from redis.exceptions import WatchError
from rq.job import JobStatus
from sqlalchemy import or_, select, update

from app.db import db, utcnow
from app.domain.channels import normalise, payloads
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
from app.domain.channels.queueing import QUEUE
from app.domain.reference.models import Channel
from app.jobs import current_job_id, job_status
from app.outside_calls import call_outside
from app.redis_conn import get_redis
from app.text import N_, Text

logger = logging.getLogger(__name__)
INITIAL_LOOKBACK = timedelta(days=1)
LOCK_SECONDS = 15 * 60


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
    checkpoint()
    try:
        for start, end in report.windows:
            _with_token_refresh(channel, adapter, checkpoint, lambda start=start, end=end: _pull_window(
                channel, adapter, run, report, start, end, checkpoint, on_payload))
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


def _pull_window(channel, adapter, run, report, start, end, checkpoint, on_payload) -> None:
    pages = adapter.list_window(start, end)  # a generator: each next() is a platform call
    while (page := call_outside(checkpoint, next, pages, None)) is not None:
        for entry in page.orders:
            report.listed += 1
            raw = _complete(channel, adapter, entry, report, checkpoint)
            if raw is None:
                continue
            payload, stored = payloads.store(channel, raw, PayloadSource.PULL)
            if stored:
                report.stored += 1
                run.payloads_stored += 1
                _count(normalise.process(payload), run, report)
            if on_payload is not None:
                on_payload(payload)
        report.pages += 1
        run.pages += 1  # committed by the next call_outside (the next page, or the end of the window)


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


def _complete(channel: Channel, adapter: ChannelAdapter, entry: ListEntry, report: PullReport,
              checkpoint: Callable[[], None]) -> RawOrder | None:
    """The full order behind a list entry; None when this (order, modified time) is stored already."""
    if entry.complete:
        return RawOrder(entry.external_id, entry.modified_at, entry.payload)
    if payloads.is_known(channel, entry.external_id, entry.modified_at):
        return None
    report.fetched += 1
    return call_outside(checkpoint, adapter.fetch_order, entry.external_id)


def _count(outcome: normalise.Outcome, run: SyncRun, report: PullReport) -> None:
    if outcome.created:
        report.created += 1
        run.orders_created += 1
    elif outcome.moved:
        report.updated += 1
        run.orders_updated += 1
    if outcome.status == PayloadStatus.WAITING_SKU_MAPPING:
        report.waiting += 1
    if outcome.status in (PayloadStatus.ERROR, PayloadStatus.WAITING_SKU_MAPPING):
        report.errors.append(outcome.reason)
        run.errors += 1


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
