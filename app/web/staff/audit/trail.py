"""Recording an audited action from a staff request: who (the signed-in user) and from where."""

from flask import request
from flask_login import current_user

from app.domain.audit import services
from app.domain.audit.models import AuditAction


def record(action: AuditAction, subject: str, detail: str = "") -> None:
    """Add the entry to the request's transaction; the view commits it with the action it records."""
    services.record(current_user.actor, action, subject, detail, source=request.remote_addr or "")
