"""Channel sync tables: what a shop is configured with, what the platform sent, and what we sent back.

Raw payloads (原始单) are kept as received and apart from the master order (系统单), the way Chinese
ERPs do: the order can always be rebuilt from them, and a payload that could not be applied waits
with its reason instead of leaving half an order behind.
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import TimestampMixin, UTCDateTime, db, utcnow
from app.domain.catalog.models import Sku
from app.domain.orders.models import Order
from app.domain.reference.models import Channel
from app.secret_box import EncryptedText
from app.text import N_


class SyncStatus(StrEnum):
    OK = "ok"
    THROTTLED = "throttled"  # the platform banned calls until throttled_until
    TOKEN_EXPIRED = "token_expired"  # needs new credentials from staff; pulls stop until then
    FAILING = "failing"  # the last pull failed for another reason; the next minute tries again


SYNC_STATUS_LABELS = {
    SyncStatus.OK: N_("正常"),
    SyncStatus.THROTTLED: N_("被限流"),
    SyncStatus.TOKEN_EXPIRED: N_("授权已过期"),
    SyncStatus.FAILING: N_("同步出错"),
}


class PayloadStatus(StrEnum):
    PENDING = "pending"
    APPLIED = "applied"
    SUPERSEDED = "superseded"  # older than what the order already reflects
    WAITING_SKU_MAPPING = "waiting_sku_mapping"
    ERROR = "error"
    FETCH_FAILED = "fetch_failed"  # a pushed message naming the order whose detail call failed


PAYLOAD_STATUS_LABELS = {
    PayloadStatus.PENDING: N_("待处理"),
    PayloadStatus.APPLIED: N_("已应用"),
    PayloadStatus.SUPERSEDED: N_("已过时"),
    PayloadStatus.WAITING_SKU_MAPPING: N_("等待商品对应"),
    PayloadStatus.ERROR: N_("出错"),
    PayloadStatus.FETCH_FAILED: N_("详情获取失败"),
}


class PayloadSource(StrEnum):
    PULL = "pull"
    PUSH = "push"
    IMPORT = "import"


class RunStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    INTERRUPTED = "interrupted"  # its worker died; the next run resumed from the watermark


class PushKind(StrEnum):
    SHIPMENT = "shipment"
    STOCK = "stock"


class PushStatus(StrEnum):
    PENDING = "pending"
    ACKNOWLEDGED = "acknowledged"
    FAILED = "failed"
    PARTIAL = "partial"  #: a shipment some of whose parcels the platform acknowledged, the rest still to tell


class ChannelCredentials(TimestampMixin, db.Model):
    """The app key, secret and shop token a merchant configures at run time (never shown again in full).

    The secrets are encrypted at rest (app/secret_box.py); the length limits are the plain text's,
    checked in shop_settings.py, since the stored token is longer.
    """

    __tablename__ = "channel_credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"), unique=True)
    app_key: Mapped[str] = mapped_column(String(64))
    app_secret: Mapped[str] = mapped_column(EncryptedText)
    access_token: Mapped[str] = mapped_column(EncryptedText, default="")  # Taobao "session", JD access_token
    refresh_token: Mapped[str] = mapped_column(EncryptedText, default="")
    token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    push_secret: Mapped[str] = mapped_column(EncryptedText, default="")  # checks webhook signatures
    updated_by: Mapped[str] = mapped_column(String(64), default="")

    channel: Mapped[Channel] = relationship()


class ChannelSettings(TimestampMixin, db.Model):
    """Per-shop choices operations make: the field-mapping override and how much stock to show."""

    __tablename__ = "channel_settings"
    __table_args__ = (
        CheckConstraint("stock_share_pct >= 0 AND stock_share_pct <= 100", name="share_is_percent"),
        CheckConstraint("virtual_stock IS NULL OR virtual_stock >= 0", name="virtual_not_negative"),
        CheckConstraint("calls_per_second > 0", name="rate_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"), unique=True)
    mapping_override: Mapped[dict] = mapped_column(JSON, default=dict)
    stock_push_enabled: Mapped[bool] = mapped_column(default=True)
    #: Platforms are told floor(ATP × share / 100), or virtual_stock when that is set.
    stock_share_pct: Mapped[int] = mapped_column(default=100)
    virtual_stock: Mapped[int | None]
    #: Our own ceiling for calls to the platform for this shop, shared by every worker (ratelimit.py).
    calls_per_second: Mapped[int] = mapped_column(default=10)
    updated_by: Mapped[str] = mapped_column(String(64), default="")

    channel: Mapped[Channel] = relationship()


class SkuMapping(TimestampMixin, db.Model):
    """The platform's merchant code (商家编码) → our SKU, where the two differ."""

    __tablename__ = "channel_sku_mappings"
    __table_args__ = (UniqueConstraint("channel_id", "platform_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    platform_code: Mapped[str] = mapped_column(String(64))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    created_by: Mapped[str] = mapped_column(String(64), default="")

    channel: Mapped[Channel] = relationship()
    sku: Mapped[Sku] = relationship()


class PlatformListing(db.Model):
    """Where a merchant code is listed on a platform (item and platform SKU id), learned from orders:
    stock pushes need the platform's own ids."""

    __tablename__ = "channel_listings"
    __table_args__ = (UniqueConstraint("channel_id", "platform_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    platform_code: Mapped[str] = mapped_column(String(64))
    item_id: Mapped[str] = mapped_column(String(32), default="")
    platform_sku_id: Mapped[str] = mapped_column(String(32), default="")
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RawPayload(db.Model):
    """One order payload exactly as a platform sent it (原始单). The same content is stored once."""

    __tablename__ = "channel_raw_payloads"
    __table_args__ = (
        UniqueConstraint("channel_id", "content_hash"),
        Index("ix_channel_raw_payloads_order", "channel_id", "external_id", "platform_modified_at"),
        Index("ix_channel_raw_payloads_status", "status", "channel_id"),
        Index("ix_channel_raw_payloads_received", "channel_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    external_id: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(8))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    content_hash: Mapped[str] = mapped_column(String(64))
    platform_modified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(24), default=PayloadStatus.PENDING)
    reason: Mapped[str] = mapped_column(String(500), default="")
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))

    channel: Mapped[Channel] = relationship()
    order: Mapped[Order | None] = relationship()

    @property
    def status_label(self) -> str:
        return PAYLOAD_STATUS_LABELS.get(self.status, self.status)


class ChannelOrder(db.Model):
    """The channel's side of a master order: the platform state last applied (never an older one), and
    the receiver's platform tokens (OAID, ciphertexts) that only the platform can turn into plaintext."""

    __tablename__ = "channel_orders"
    __table_args__ = (UniqueConstraint("channel_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    external_id: Mapped[str] = mapped_column(String(64))
    platform_status: Mapped[str] = mapped_column(String(40), default="")
    stage: Mapped[str] = mapped_column(String(16), default="")
    platform_modified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pii_tokens: Mapped[dict] = mapped_column(JSON, default=dict)
    last_payload_id: Mapped[int | None] = mapped_column(ForeignKey("channel_raw_payloads.id"))
    held_by_platform: Mapped[bool] = mapped_column(default=False)

    order: Mapped[Order] = relationship()
    channel: Mapped[Channel] = relationship()


class HookMessage(db.Model):
    """A pushed message id seen once: platforms deliver at least once, so repeats are dropped here."""

    __tablename__ = "channel_hook_messages"
    __table_args__ = (UniqueConstraint("channel_id", "message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    message_id: Mapped[str] = mapped_column(String(128))
    topic: Mapped[str] = mapped_column(String(64), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HookBody(db.Model):
    """The digest of a pushed body seen once: a byte-for-byte replay is dropped even when the platform's
    message ids are missing or not covered by its signature."""

    __tablename__ = "channel_hook_bodies"
    __table_args__ = (UniqueConstraint("channel_id", "digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    digest: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SyncState(db.Model):
    """Where a shop's incremental pull stands: the watermark moves only after a whole window is in."""

    __tablename__ = "channel_sync_states"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"), unique=True)
    watermark: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default=SyncStatus.OK)
    status_message: Mapped[str] = mapped_column(String(300), default="")
    throttled_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    channel: Mapped[Channel] = relationship()

    @property
    def status_label(self) -> str:
        return SYNC_STATUS_LABELS.get(self.status, self.status)


class SyncRun(db.Model):
    """One pull, updated as its pages complete (the health page polls it while it runs)."""

    __tablename__ = "channel_sync_runs"
    __table_args__ = (Index("ix_channel_sync_runs_channel", "channel_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    trigger: Mapped[str] = mapped_column(String(16), default="cron")
    status: Mapped[str] = mapped_column(String(16), default=RunStatus.RUNNING, index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    window_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    window_to: Mapped[datetime | None] = mapped_column(UTCDateTime)
    windows_total: Mapped[int] = mapped_column(default=0)
    windows_done: Mapped[int] = mapped_column(default=0)
    pages: Mapped[int] = mapped_column(default=0)
    payloads_stored: Mapped[int] = mapped_column(default=0)
    orders_created: Mapped[int] = mapped_column(default=0)
    orders_updated: Mapped[int] = mapped_column(default=0)
    errors: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(String(500), default="")

    channel: Mapped[Channel] = relationship()


class ChannelError(db.Model):
    """Something that went wrong for a shop, with the payload that caused it when there is one."""

    __tablename__ = "channel_errors"
    __table_args__ = (Index("ix_channel_errors_open", "channel_id", "resolved_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(16))  # pull, normalise, auth, throttle, push
    message: Mapped[str] = mapped_column(String(500))
    raw_payload_id: Mapped[int | None] = mapped_column(ForeignKey("channel_raw_payloads.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    channel: Mapped[Channel] = relationship()
    raw_payload: Mapped[RawPayload | None] = relationship()


class PushRecord(db.Model):
    """One thing told to a platform (a shipment, a stock level): what, when, and the platform's answer.

    A shipment has one row per order (retries update it); stock pushes are a history, the latest
    acknowledged row per SKU being what we intend the platform to show."""

    __tablename__ = "channel_push_records"
    __table_args__ = (
        UniqueConstraint("kind", "order_id"),
        Index("ix_channel_push_records_stock", "channel_id", "kind", "sku_id", "id"),
        Index("ix_channel_push_records_status", "kind", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    kind: Mapped[str] = mapped_column(String(16))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    sku_id: Mapped[int | None] = mapped_column(ForeignKey("skus.id"))
    platform_code: Mapped[str] = mapped_column(String(64), default="")
    sent: Mapped[dict] = mapped_column(JSON, default=dict)
    quantity: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(16), default=PushStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    answer: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    pushed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    channel: Mapped[Channel] = relationship()
    order: Mapped[Order | None] = relationship()
    sku: Mapped[Sku | None] = relationship()


class DriftFinding(db.Model):
    """The platform shows a stock level other than the one we last pushed; open until they agree."""

    __tablename__ = "channel_drift_findings"
    __table_args__ = (Index("ix_channel_drift_findings_open", "channel_id", "resolved_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    platform_code: Mapped[str] = mapped_column(String(64))
    intended: Mapped[int]
    reported: Mapped[int]
    found_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    channel: Mapped[Channel] = relationship()
    sku: Mapped[Sku] = relationship()


class ChannelCursor(db.Model):
    """A named position in another table that a periodic scan has reached (the stock ledger's id)."""

    __tablename__ = "channel_cursors"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(default=0)


class ImportStatus(StrEnum):
    DRAFT = "draft"  # uploaded; columns being mapped and previewed
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"  # the job itself failed (the orders done so far stay; running it again skips them)


IMPORT_STATUS_LABELS = {
    ImportStatus.DRAFT: N_("待确认"), ImportStatus.QUEUED: N_("排队中"), ImportStatus.RUNNING: N_("导入中"),
    ImportStatus.FINISHED: N_("已完成"), ImportStatus.FAILED: N_("失败"),
}


class ImportRun(db.Model):
    """One uploaded order file (Excel/CSV) for a shop: the file itself (the worker reads it from here, so
    any worker host can run the job), the column mapping staff chose, and the progress the page polls.
    The latest run's mapping is what the shop's next import starts from."""

    __tablename__ = "channel_import_runs"
    __table_args__ = (Index("ix_channel_import_runs_channel", "channel_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    filename: Mapped[str] = mapped_column(String(200))
    file_kind: Mapped[str] = mapped_column(String(8))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    header: Mapped[list] = mapped_column(JSON, default=list)
    column_map: Mapped[dict] = mapped_column(JSON, default=dict)  # OrderHub field → header name
    status: Mapped[str] = mapped_column(String(16), default=ImportStatus.DRAFT)
    rows: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)  # orders in the file
    done: Mapped[int] = mapped_column(default=0)  # orders handled (imported, or already there)
    failed: Mapped[int] = mapped_column(default=0)  # orders not imported (see errors)
    created: Mapped[int] = mapped_column(default=0)
    duplicates: Mapped[int] = mapped_column(default=0)
    errors: Mapped[list] = mapped_column(JSON, default=list)  # "第 N 行：…" messages, the first 500
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    channel: Mapped[Channel] = relationship()

    @property
    def status_label(self) -> str:
        return IMPORT_STATUS_LABELS.get(self.status, self.status)

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, (self.done + self.failed) * 100 // self.total)
