"""API tokens: one channel each, with scopes. Only a SHA-256 of the token is stored; the token itself is
shown once, when it is created."""

import hashlib
import secrets
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from app.db import TimestampMixin, UTCDateTime, db, utcnow
from app.domain.audit import services as audit
from app.domain.audit.models import AuditAction
from app.domain.errors import ValidationError
from app.domain.reference.models import Channel
from app.text import N_, Text

TOKEN_PREFIX = "oh_"


class Scope(StrEnum):
    ORDERS = "orders"
    STOCK_READ = "stock:read"
    STOCK_WRITE = "stock:write"
    CATALOG_WRITE = "catalog:write"
    ROUTING_WRITE = "routing:write"
    FULFILMENT = "fulfilment"


class ApiToken(TimestampMixin, db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"), index=True)
    name: Mapped[str] = mapped_column(String(64), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The first characters, so staff can tell tokens apart without seeing them.
    hint: Mapped[str] = mapped_column(String(16))
    scopes: Mapped[str] = mapped_column(String(200))  # comma-separated Scope values
    created_by: Mapped[str] = mapped_column(String(64), default="")
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    channel: Mapped[Channel] = relationship()

    @property
    def scope_set(self) -> set[str]:
        return set(filter(None, self.scopes.split(",")))

    def allows(self, scope: Scope) -> bool:
        return scope in self.scope_set


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(channel: Channel, scopes: list[str], name: str, actor: str) -> tuple[ApiToken, str]:
    """A new token for ``channel``; returns the row and the token text (which is not stored)."""
    unknown = sorted(set(scopes) - set(Scope))
    if not scopes or unknown:
        raise ValidationError({"scopes": Text(N_("未知或缺少权限范围: %(unknown)s；可选: %(choices)s"),
                                               unknown=", ".join(unknown) if unknown else Text(N_("(空)")),
                                               choices=", ".join(Scope))})
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(channel=channel, name=name, token_hash=_digest(token), hint=token[:10],
                   scopes=",".join(sorted(set(scopes))), created_by=actor)
    db.session.add(row)
    audit.record(actor, AuditAction.CREATE_API_TOKEN, f"channel:{channel.code}",
                 f"{row.hint}… {row.scopes}")
    db.session.flush()
    return row, token


def find_active_token(token: str) -> ApiToken | None:
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if row is None or row.revoked_at is not None or not row.channel.active:
        return None
    return row


def list_tokens() -> list[ApiToken]:
    """Every token with its channel: the live ones first, newest first."""
    return list(db.session.scalars(select(ApiToken).options(selectinload(ApiToken.channel))
                                   .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())))


def revoke(row: ApiToken) -> None:
    row.revoked_at = row.revoked_at or utcnow()
    db.session.flush()
