"""What the sync health page shows: per shop the last success, lag, throughput, errors and running pulls,
and a traffic light so "the sync is green" is visible at a glance:

- green: the last successful pull is under 3 minutes old and nothing is unresolved;
- amber: it is behind (3–15 minutes) or there are unresolved errors / orders waiting for a SKU mapping;
- red: the token expired, the platform throttles us, or no pull succeeded for 15 minutes;
- grey: no credentials yet (the shop is not synced at all).
"""

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select

from app.db import db
from app.domain.channels.connect import api_platforms, credentials_of
from app.domain.channels.models import (
    ChannelError,
    DriftFinding,
    PayloadStatus,
    RawPayload,
    RunStatus,
    SyncRun,
    SyncState,
    SyncStatus,
)
from app.domain.reference.models import Channel
from app.text import N_, Text


@dataclass
class ChannelHealth:
    channel: Channel
    configured: bool
    state: SyncState | None
    last_run: SyncRun | None
    running: SyncRun | None
    payloads_last_hour: int
    open_errors: int
    waiting: int
    open_drift: int
    lag: timedelta | None
    light: str = "grey"
    light_reason: str = ""

    @property
    def per_minute(self) -> str:
        """Payloads per minute over the last hour, one decimal (a rate, not money)."""
        return f"{self.payloads_last_hour / 60:.1f}"


GREEN_WITHIN = timedelta(minutes=3)
RED_AFTER = timedelta(minutes=15)
LIGHT_ORDER = ("grey", "green", "amber", "red")
RETRYABLE = (PayloadStatus.ERROR, PayloadStatus.WAITING_SKU_MAPPING, PayloadStatus.FETCH_FAILED)


@dataclass
class ErrorPage:
    items: list[ChannelError]
    total: int
    page: int
    per_page: int
    channel_id: int | None = None
    kind: str = ""
    kinds: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def light_of(shop: ChannelHealth, now: datetime) -> tuple[str, str]:
    """(colour, why) for one shop; see the module docstring."""
    if not shop.configured:
        return "grey", N_("未配置接口凭证")
    state = shop.state
    if state is not None and state.status == SyncStatus.TOKEN_EXPIRED:
        return "red", N_("授权已过期，请更新凭证")
    if state is not None and state.throttled_until and state.throttled_until > now:
        return "red", N_("被平台限流")
    last = state.last_success_at if state else None
    if last is None or now - last >= RED_AFTER:
        return "red", N_("超过 15 分钟没有成功同步")
    reasons = []
    if now - last >= GREEN_WITHIN:
        reasons.append(Text(N_("最近成功在 %(minutes)s 分钟前"), minutes=int((now - last).total_seconds() // 60)))
    if shop.open_errors:
        reasons.append(Text(N_("%(count)s 个未解决错误"), count=shop.open_errors))
    if shop.waiting:
        reasons.append(Text(N_("%(count)s 单等待商品对应"), count=shop.waiting))
    return ("amber", "；".join(reasons)) if reasons else ("green", N_("同步正常"))


def overall(shops: list[ChannelHealth]) -> str:
    """The worst light among the configured shops (grey when none is configured)."""
    return max((shop.light for shop in shops), key=LIGHT_ORDER.index, default="grey")


def error_page(channel_id: int | None = None, kind: str = "", page: int = 1, per_page: int = 20) -> ErrorPage:
    """Unresolved errors, newest first, filtered by shop and kind, one page at a time."""
    conditions = [ChannelError.resolved_at.is_(None)]
    if channel_id:
        conditions.append(ChannelError.channel_id == channel_id)
    if kind:
        conditions.append(ChannelError.kind == kind)
    total = _count(ChannelError, *conditions)
    page = max(1, min(page, max(1, math.ceil(total / per_page))))
    items = list(db.session.scalars(select(ChannelError).where(*conditions).order_by(ChannelError.id.desc())
                                    .offset((page - 1) * per_page).limit(per_page)))
    kinds = list(db.session.scalars(select(ChannelError.kind).where(ChannelError.resolved_at.is_(None))
                                    .distinct().order_by(ChannelError.kind)))
    return ErrorPage(items, total, page, per_page, channel_id, kind, kinds)


def channels_with_errors() -> list[Channel]:
    """Every shop with unresolved errors (imported shops too, not only API ones) for the filter."""
    ids = select(ChannelError.channel_id).where(ChannelError.resolved_at.is_(None)).distinct()
    return list(db.session.scalars(select(Channel).where(Channel.id.in_(ids)).order_by(Channel.code)))


def failed_payloads(channel_id: int, limit: int = 1000) -> list[RawPayload]:
    """A shop's payloads that did not apply (errors, waiting for a SKU), in platform time order."""
    return list(db.session.scalars(select(RawPayload).where(
        RawPayload.channel_id == channel_id, RawPayload.status.in_(RETRYABLE))
        .order_by(RawPayload.platform_modified_at, RawPayload.id).limit(limit)))


def overview(now: datetime) -> list[ChannelHealth]:
    channels = db.session.scalars(select(Channel).where(Channel.platform.in_(api_platforms()))
                                  .order_by(Channel.code)).all()
    return [_health(channel, now) for channel in channels]


def any_running() -> bool:
    return db.session.scalar(select(SyncRun.id).where(SyncRun.status == RunStatus.RUNNING).limit(1)) is not None


def open_errors(channel_id: int | None = None, limit: int = 100) -> list[ChannelError]:
    query = select(ChannelError).where(ChannelError.resolved_at.is_(None))
    if channel_id is not None:
        query = query.where(ChannelError.channel_id == channel_id)
    return list(db.session.scalars(query.order_by(ChannelError.id.desc()).limit(limit)))


def open_drift(limit: int = 200) -> list[DriftFinding]:
    return list(db.session.scalars(select(DriftFinding).where(DriftFinding.resolved_at.is_(None))
                                   .order_by(DriftFinding.channel_id, DriftFinding.platform_code).limit(limit)))


def recent_payloads(channel_id: int, limit: int = 30) -> list[RawPayload]:
    return list(db.session.scalars(select(RawPayload).where(RawPayload.channel_id == channel_id)
                                   .order_by(RawPayload.id.desc()).limit(limit)))


def _health(channel: Channel, now: datetime) -> ChannelHealth:
    state = db.session.scalar(select(SyncState).where(SyncState.channel_id == channel.id))
    runs = select(SyncRun).where(SyncRun.channel_id == channel.id).order_by(SyncRun.id.desc())
    last_run = db.session.scalar(runs.where(SyncRun.status != RunStatus.RUNNING).limit(1))
    running = db.session.scalar(runs.where(SyncRun.status == RunStatus.RUNNING).limit(1))
    shop = ChannelHealth(
        channel=channel, configured=credentials_of(channel) is not None, state=state, last_run=last_run,
        running=running,
        payloads_last_hour=_count(RawPayload, RawPayload.channel_id == channel.id,
                                  RawPayload.received_at >= now - timedelta(hours=1)),
        open_errors=_count(ChannelError, ChannelError.channel_id == channel.id, ChannelError.resolved_at.is_(None)),
        waiting=_count(RawPayload, RawPayload.channel_id == channel.id,
                       RawPayload.status == PayloadStatus.WAITING_SKU_MAPPING),
        open_drift=_count(DriftFinding, DriftFinding.channel_id == channel.id, DriftFinding.resolved_at.is_(None)),
        lag=now - state.watermark if state and state.watermark else None,
    )
    shop.light, shop.light_reason = light_of(shop, now)
    return shop


def _count(model, *conditions) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0


def sync_lags(now: datetime) -> list[tuple[str, timedelta | None]]:
    """(shop name, how far its pull is behind now) for every shop synced over an API; None: never pulled."""
    rows = db.session.execute(select(Channel.shop_name, SyncState.watermark)
                              .outerjoin(SyncState, SyncState.channel_id == Channel.id)
                              .where(Channel.platform.in_(api_platforms())).order_by(Channel.code))
    return [(shop_name, now - watermark if watermark else None) for shop_name, watermark in rows]
