"""Writing and reading the audit log. Callers commit (an entry belongs to the action it records)."""

from sqlalchemy import select

from app.db import db
from app.domain.audit.models import AuditAction, AuditEntry


def record(actor: str, action: AuditAction, subject: str, detail: str = "", source: str = "") -> AuditEntry:
    entry = AuditEntry(actor=actor[:80], action=action, subject=subject[:128], detail=detail[:300],
                       source=source[:64])
    db.session.add(entry)
    db.session.flush()
    return entry


def recent(*, actor: str = "", action: str = "", before_id: int | None = None, limit: int = 100) -> list[AuditEntry]:
    """Newest first, optionally for one actor or action; ``before_id`` pages back."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if action:
        query = query.where(AuditEntry.action == action)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return list(db.session.scalars(query))
