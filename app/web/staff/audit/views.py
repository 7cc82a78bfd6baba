"""/staff/audit: the audit log, newest first, filtered by person or action (admins only)."""

from flask import render_template, request

from app.auth import role_required
from app.auth.roles import Area
from app.domain.audit import services
from app.domain.audit.models import ACTION_LABELS
from app.web.staff import bp

PAGE_SIZE = 100


@bp.get("/audit")
@role_required(Area.AUDIT)
def list_audit_entries():
    actor = request.args.get("actor", "").strip()
    action = request.args.get("action", "") if request.args.get("action", "") in ACTION_LABELS else ""
    before = request.args.get("before", type=int)
    entries = services.recent(actor=actor, action=action, before_id=before, limit=PAGE_SIZE)
    older = entries[-1].id if len(entries) == PAGE_SIZE else None
    return render_template("staff/audit/list.html", entries=entries, actor=actor, action=action,
                           action_labels=ACTION_LABELS, older=older)
