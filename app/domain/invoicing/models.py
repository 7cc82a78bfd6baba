"""Invoice profiles (抬头), invoices with their lines and orders, approvals, the timeline, and settings."""

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Fen, TimestampMixin, UTCDateTime, db, utcnow
from app.domain.invoicing.states import STATUS_LABELS, InvoiceStatus
from app.domain.orders.models import Order, OrderLine
from app.domain.reference.models import Channel
from app.text import Text as Message


class InvoiceProfile(TimestampMixin, db.Model):
    """A saved invoice title of one customer (by phone): several per phone, at most one default."""

    __tablename__ = "invoice_profiles"
    __table_args__ = (UniqueConstraint("phone", "title", "tax_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    title_type: Mapped[str] = mapped_column(String(16))  # personal | company
    title: Mapped[str] = mapped_column(String(100))
    tax_id: Mapped[str] = mapped_column(String(20), default="")
    email: Mapped[str] = mapped_column(String(100), default="")
    is_default: Mapped[bool] = mapped_column(default=False)
    # The buyer details a 专票 needs (empty for titles only ever used on 普票).
    address: Mapped[str] = mapped_column(String(100), default="")
    tel: Mapped[str] = mapped_column(String(20), default="")
    bank: Mapped[str] = mapped_column(String(100), default="")
    account: Mapped[str] = mapped_column(String(40), default="")


class Invoice(TimestampMixin, db.Model):
    """One invoice, blue (positive) or red (``reverses`` names the blue one it cancels out)."""

    __tablename__ = "invoices"
    __table_args__ = (
        Index("ix_invoices_status_created", "status", "created_at"),
        CheckConstraint("kind IN ('normal', 'special')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Our request number, the platform's ``orderNo``: unique, the key that makes issuing idempotent.
    request_no: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=InvoiceStatus.WAITING, index=True)
    kind: Mapped[str] = mapped_column(String(8), default="normal")  # normal 普票 | special 专票
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"), index=True)
    buyer_phone: Mapped[str] = mapped_column(String(20), default="", index=True)
    title_type: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(100))
    tax_id: Mapped[str] = mapped_column(String(20), default="")
    email: Mapped[str] = mapped_column(String(100), default="")
    remark: Mapped[str] = mapped_column(String(200), default="")
    # 专票 only: the buyer's address and telephone, bank and account, as printed (购买方信息).
    buyer_address: Mapped[str] = mapped_column(String(100), default="")
    buyer_tel: Mapped[str] = mapped_column(String(20), default="")
    buyer_bank: Mapped[str] = mapped_column(String(100), default="")
    buyer_account: Mapped[str] = mapped_column(String(40), default="")

    excluding_fen: Mapped[int] = mapped_column(Fen, default=0)
    tax_fen: Mapped[int] = mapped_column(Fen, default=0)
    total_fen: Mapped[int] = mapped_column(Fen, default=0)

    requested_by: Mapped[str] = mapped_column(String(64))  # actor: user:NAME / customer:PHONE / system
    source: Mapped[str] = mapped_column(String(16))  # order | portal | staff | api
    approvals_needed: Mapped[int] = mapped_column(default=0)
    rejection_reason: Mapped[str] = mapped_column(String(200), default="")

    # The platform's side: set as it answers. ``submitted_at`` is committed before each call, so a
    # worker killed during the call leaves a trace that the next attempt looks up first.
    serial_no: Mapped[str | None] = mapped_column(String(32))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submit_attempts: Mapped[int] = mapped_column(default=0)
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)  # 发票号码 (20 digits, 数电)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failure_code: Mapped[str] = mapped_column(String(32), default="")
    failure_message: Mapped[str] = mapped_column(String(300), default="")
    verify_content: Mapped[str] = mapped_column(String(500), default="")  # what the QR code carries

    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    red_reason: Mapped[str] = mapped_column(String(8), default="")  # Nuonuo redReason code
    red_form_no: Mapped[str] = mapped_column(String(40), default="")  # 红字确认单 a red invoice rests on
    pdf_path: Mapped[str] = mapped_column(String(200), default="")
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lines: Mapped[list["InvoiceLine"]] = relationship(back_populates="invoice", order_by="InvoiceLine.position",
                                                      cascade="all, delete-orphan")
    orders: Mapped[list[Order]] = relationship(secondary="invoice_orders", order_by=Order.id)
    events: Mapped[list["InvoiceEvent"]] = relationship(back_populates="invoice", order_by="InvoiceEvent.id")
    approvals: Mapped[list["InvoiceApproval"]] = relationship(back_populates="invoice",
                                                             order_by="InvoiceApproval.id")
    reverses: Mapped["Invoice | None"] = relationship(remote_side=[id], foreign_keys=[reverses_id])

    @property
    def status_name(self) -> str:
        return STATUS_LABELS[InvoiceStatus(self.status)]

    @property
    def is_red(self) -> bool:
        return self.reverses_id is not None

    def __repr__(self) -> str:
        return f"<Invoice {self.request_no} {self.status}>"


invoice_orders = db.Table(
    "invoice_orders",
    db.Column("invoice_id", db.ForeignKey("invoices.id"), primary_key=True),
    db.Column("order_id", db.ForeignKey("orders.id"), primary_key=True, index=True),
)


class InvoiceLine(db.Model):
    """One line as invoiced: ``*简称*名称``, quantity, amounts in fen including and excluding tax."""

    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    position: Mapped[int]  # 1-based: the line number red-letter forms refer to
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))  # the order it came from (merged invoices)
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("order_lines.id"))  # None: shipping
    name: Mapped[str] = mapped_column(String(240))
    tax_code: Mapped[str] = mapped_column(String(19))
    rate_bp: Mapped[int]
    quantity: Mapped[int]
    unit: Mapped[str] = mapped_column(String(16), default="")
    spec: Mapped[str] = mapped_column(String(64), default="")
    amount_fen: Mapped[int] = mapped_column(Fen)  # including tax
    excluding_fen: Mapped[int] = mapped_column(Fen)
    tax_fen: Mapped[int] = mapped_column(Fen)

    invoice: Mapped[Invoice] = relationship(back_populates="lines")
    order_line: Mapped[OrderLine | None] = relationship()


class InvoiceApproval(db.Model):
    """One decision on an invoice above a threshold: level 1 (财务) or 2 (财务主管), approve or reject."""

    __tablename__ = "invoice_approvals"
    __table_args__ = (UniqueConstraint("invoice_id", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    level: Mapped[int]
    actor: Mapped[str] = mapped_column(String(64))
    approved: Mapped[bool]
    reason: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    invoice: Mapped[Invoice] = relationship(back_populates="approvals")


class InvoiceEvent(db.Model):
    """One entry of an invoice's timeline (request, approvals, platform calls and answers, issue,
    e-mail, reversal). Append-only."""

    __tablename__ = "invoice_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    #: A message template (``N_``-marked Chinese) with its values in ``note_params``, rendered in the
    #: reader's language by ``note_text``; or a person's own words (a reason), shown as written.
    note: Mapped[str] = mapped_column(Text, default="")
    note_params: Mapped[dict] = mapped_column(JSON, default=dict)
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    invoice: Mapped[Invoice] = relationship(back_populates="events")

    @property
    def note_text(self) -> Message:
        return message_from_data({"template": self.note, "params": self.note_params or {}})


def message_data(message: str) -> dict:
    """A note as JSON: a ``Text``'s template and values (nested ``Text`` values too), or plain words."""
    if not isinstance(message, Message):
        return {"template": message, "params": {}}
    params = {name: message_data(value) if isinstance(value, Message) else value
              for name, value in message.params.items()}
    return {"template": message.template, "params": params}


def message_from_data(data: dict) -> Message:
    params = {name: message_from_data(value) if isinstance(value, dict) else value
              for name, value in data["params"].items()}
    return Message(data["template"], **params)


class InvoiceSettings(db.Model):
    """The approval thresholds, editable by finance supervisors (one row; defaults when absent)."""

    __tablename__ = "invoice_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    level1_above_fen: Mapped[int] = mapped_column(Fen)
    level2_above_fen: Mapped[int] = mapped_column(Fen)
    updated_by: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ReconciliationDay(db.Model):
    """One channel's figures for one day (orders paid that Shanghai day), written by the daily job:
    payable, paid, refunded, invoiced blue and red, and the orders behind each difference."""

    __tablename__ = "invoice_reconciliation"
    __table_args__ = (UniqueConstraint("day", "channel_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)  # (first in the unique key, which serves the date filter)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    orders: Mapped[int] = mapped_column(default=0)
    payable_fen: Mapped[int] = mapped_column(Fen, default=0)
    paid_fen: Mapped[int] = mapped_column(Fen, default=0)
    refunded_fen: Mapped[int] = mapped_column(Fen, default=0)
    blue_fen: Mapped[int] = mapped_column(Fen, default=0)
    red_fen: Mapped[int] = mapped_column(Fen, default=0)
    not_requested_fen: Mapped[int] = mapped_column(Fen, default=0)  # paid, and no invoice was ever asked for
    #: The differences, each with its order numbers: not_issued (asked for, still not issued after the
    #: allowed days), above_paid (invoiced more than paid net of refunds), not_reversed (refunded after
    #: issue, the red-letter invoice not issued yet).
    differences: Mapped[dict] = mapped_column(JSON, default=dict)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    channel: Mapped[Channel] = relationship()

    @property
    def net_invoiced_fen(self) -> int:
        return self.blue_fen + self.red_fen

    @property
    def unexplained(self) -> int:
        return sum(len(orders) for orders in self.differences.values())
