"""The outbox row (one message to one recipient on one channel) and the reminder opt-out list."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import TimestampMixin, UTCDateTime, db, utcnow
from app.text import N_


class MessageChannel(StrEnum):
    SMS = "sms"
    WECHAT = "wechat"
    EMAIL = "email"


CHANNEL_LABELS = {MessageChannel.SMS: N_("短信"), MessageChannel.WECHAT: N_("微信"), MessageChannel.EMAIL: N_("邮件")}


class MessageStatus(StrEnum):
    QUEUED = "queued"  #: 待发送: written; a send job was enqueued at ``queued_at``
    SENDING = "sending"  #: 发送中: a worker claimed it at ``claimed_at`` and is calling the provider
    RETRYING = "retrying"  #: 待重试: the provider failed transiently; due again at ``next_attempt_at``
    SENT = "sent"  #: 已发送: the provider accepted it (``provider_id``)
    FAILED = "failed"  #: 发送失败: a permanent error, or out of attempts; staff may resend
    SKIPPED = "skipped"  #: 已跳过: not sent on purpose (opted out of reminders, channel switched off)


STATUS_LABELS = {
    MessageStatus.QUEUED: N_("待发送"),
    MessageStatus.SENDING: N_("发送中"),
    MessageStatus.RETRYING: N_("待重试"),
    MessageStatus.SENT: N_("已发送"),
    MessageStatus.FAILED: N_("发送失败"),
    MessageStatus.SKIPPED: N_("已跳过"),
}

#: Nothing more will happen to a message in these states (unless staff resend it, as a new row).
FINAL_STATUSES = {MessageStatus.SENT, MessageStatus.FAILED, MessageStatus.SKIPPED}


class Message(TimestampMixin, db.Model):
    """One message in the outbox. The row, not the RQ job, is the record of whether it went out.

    ``(order_id, event_key, channel)`` is unique, so an order event yields at most one message per
    channel however often it is replayed; rows without an event key (login codes, staff resends) are
    never deduplicated (NULLs are distinct in a unique constraint on every backend we use).
    """

    __tablename__ = "notification_messages"
    __table_args__ = (
        UniqueConstraint("order_id", "event_key", "channel"),
        Index("ix_notification_messages_status_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))  # indexed by the unique key
    #: What caused it, per order ("pay", "ship_out", "remind_payment", …); None: no deduplication.
    event_key: Mapped[str | None] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(8))
    #: A mobile number (sms), an openid (wechat) or an address (email).
    recipient: Mapped[str] = mapped_column(String(128))
    #: The customer's phone this message concerns, for the reminder opt-out (= recipient for SMS).
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    template: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict] = mapped_column(JSON, default=dict)

    status: Mapped[str] = mapped_column(String(10), default=MessageStatus.QUEUED)  # indexed with next_attempt_at
    attempts: Mapped[int] = mapped_column(default=0)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provider_id: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    #: A worker died after calling the provider once already: a later send may be a duplicate.
    outcome_unknown: Mapped[bool] = mapped_column(default=False)

    #: The message a member of staff resent (this row is the new copy), and who did.
    resend_of_id: Mapped[int | None] = mapped_column(ForeignKey("notification_messages.id"), index=True)
    created_by: Mapped[str] = mapped_column(String(64), default="system")

    resend_of: Mapped["Message | None"] = relationship(remote_side=[id])

    @property
    def channel_label(self) -> str:
        return CHANNEL_LABELS.get(self.channel, self.channel)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def template_name(self) -> str:
        """支付成功, 催付, … (what staff call the message)."""
        from app.domain.notifications import templates  # templates import this module's enums

        template = templates.TEMPLATES.get(self.template)
        return template.name if template else self.template

    @property
    def text(self) -> str:
        """The text the customer reads (or would have read), with secrets (login codes) masked: staff
        who could read a customer's code could open the customer's orders."""
        from app.domain.notifications import templates

        try:
            return templates.render_text(self.template, templates.masked(self.template, self.params))
        except (KeyError, ValueError):  # a row from an older version of the template: show what we have
            return f"{self.template} {self.params}"

    def __repr__(self) -> str:
        return f"<Message {self.id} {self.channel} {self.template} {self.status}>"


class ReminderOptOut(db.Model):
    """A phone that asked not to get payment reminders (催付). Other messages still go out."""

    __tablename__ = "reminder_opt_outs"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
