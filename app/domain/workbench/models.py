"""Batch runs (one action over many orders, with a result per order) and the waybill pool (电子面单号)."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Fen, UTCDateTime, db, utcnow
from app.domain.reference.models import Carrier
from app.text import N_


class BatchStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"  # the job itself broke (not an order refused: that is a per-order result)


BATCH_STATUS_LABELS = {
    BatchStatus.QUEUED: N_("排队中"),
    BatchStatus.RUNNING: N_("处理中"),
    BatchStatus.FINISHED: N_("已完成"),
    BatchStatus.FAILED: N_("中断"),
}


class OrderBatch(db.Model):
    """One batch action (审核, 打包, 发货, 标记异常, 导出) over a list of orders, run as a job.

    ``results`` holds one entry per order handled, in order: {"order_no", "ok", "message"} where the
    message is stored as template + values (see batches.py) so each reader sees it in their language.
    An export keeps its spreadsheet in ``content`` (the worker writes it, any web host serves it).
    """

    __tablename__ = "order_batches"
    __table_args__ = (Index("ix_order_batches_created_by", "created_by", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict] = mapped_column(JSON, default=dict)  # carrier id, waybills, reason …
    order_nos: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default=BatchStatus.QUEUED)
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    refused: Mapped[int] = mapped_column(default=0)
    results: Mapped[list] = mapped_column(JSON, default=list)
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def status_label(self) -> str:
        return BATCH_STATUS_LABELS[BatchStatus(self.status)]

    @property
    def active(self) -> bool:
        return self.status in (BatchStatus.QUEUED, BatchStatus.RUNNING)

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, (self.done + self.refused) * 100 // self.total)


class PoolWaybill(db.Model):
    """One waybill number obtained from a carrier in advance (a 电子面单 range), used by at most one order."""

    __tablename__ = "waybill_pool"
    __table_args__ = (Index("ix_waybill_pool_free", "carrier_id", "order_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    carrier_id: Mapped[int] = mapped_column(ForeignKey("carriers.id"))
    waybill_no: Mapped[str] = mapped_column(String(40), unique=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    carrier: Mapped[Carrier] = relationship()


class AutoReviewSetting(db.Model):
    """The auto-review (自动审单) rules in force (one row): whether auto-review runs at all (a new
    installation approves nothing by itself until operations switch it on), which rules are on, and the
    amount limit."""

    __tablename__ = "auto_review_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=False)
    #: rule name → on/off; a rule missing here is on (a rule added later starts switched on)
    rules: Mapped[dict] = mapped_column(JSON, default=dict)
    max_amount_fen: Mapped[int] = mapped_column(Fen, default=100000)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64), default="system")


class BlacklistedReceiver(db.Model):
    """A receiver whose orders are never approved by the rules (a phone number; a person reviews them)."""

    __tablename__ = "receiver_blacklist"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(64), default="")
    reason: Mapped[str] = mapped_column(String(200), default="")
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AutoReview(db.Model):
    """The rules' verdict on one paid order, once: approved, or the rules that stopped it."""

    __tablename__ = "auto_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    approved: Mapped[bool] = mapped_column(index=True)
    failed_rules: Mapped[list] = mapped_column(JSON, default=list)
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class SavedView(db.Model):
    """A member of staff's saved order-list view (常用筛选): a name and the list's filters as a query string."""

    __tablename__ = "saved_views"
    __table_args__ = (UniqueConstraint("owner", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(64), index=True)  # the actor, user:NAME
    name: Mapped[str] = mapped_column(String(40))
    query: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
