"""Audit entries: append-only. Nothing updates or deletes one (``_refuse_changes`` enforces it for the
ORM); the staff page only reads them."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.db import UTCDateTime, db, utcnow
from app.text import N_


class AuditAction(StrEnum):
    VIEW_PERSONAL_DATA = "view_personal_data"
    CHANGE_CREDENTIALS = "change_credentials"
    ROTATE_CREDENTIAL_KEYS = "rotate_credential_keys"
    CREATE_USER = "create_user"
    UPDATE_USER = "update_user"
    CHANGE_PASSWORD = "change_password"
    CREATE_API_TOKEN = "create_api_token"
    REVOKE_API_TOKEN = "revoke_api_token"
    REPLACE_RATE_CARD = "replace_rate_card"
    PRINT_DOCUMENTS = "print_documents"  # labels, slips, pick lists: full receivers on paper


ACTION_LABELS = {
    AuditAction.VIEW_PERSONAL_DATA: N_("查看完整个人信息"),
    AuditAction.CHANGE_CREDENTIALS: N_("修改店铺凭证"),
    AuditAction.ROTATE_CREDENTIAL_KEYS: N_("轮换凭证密钥"),
    AuditAction.CREATE_USER: N_("创建员工账号"),
    AuditAction.UPDATE_USER: N_("修改员工账号"),
    AuditAction.CHANGE_PASSWORD: N_("修改密码"),
    AuditAction.CREATE_API_TOKEN: N_("创建接口令牌"),
    AuditAction.REVOKE_API_TOKEN: N_("吊销接口令牌"),
    AuditAction.REPLACE_RATE_CARD: N_("修改运费模板"),
    AuditAction.PRINT_DOCUMENTS: N_("打印单据"),
}


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_at", "at"), Index("ix_audit_entries_actor", "actor", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(80))  # "user:zhangsan", "cli", "api:miniapp"
    action: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(128))  # "order:OH…", "channel:tb-main", "user:lisi"
    detail: Mapped[str] = mapped_column(String(300), default="")  # never the personal data itself
    source: Mapped[str] = mapped_column(String(64), default="")  # the client address, or "cli"

    @property
    def action_label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action)


@event.listens_for(Session, "before_flush")
def _refuse_changes(session: Session, _context, _instances) -> None:
    if any(isinstance(row, AuditEntry) for row in (*session.dirty, *session.deleted)):
        raise RuntimeError("audit entries are append-only")
