"""Customer messages for customer service and operations: the queue of messages that did not go out
(with the provider's error and a resend button), and the simulators' inbox for development and demos."""

import json
from datetime import datetime
from urllib.error import URLError
from urllib.request import urlopen

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth import role_required
from app.auth.roles import Area
from app.domain.errors import Conflict
from app.domain.notifications import queries, services
from app.domain.notifications.models import CHANNEL_LABELS, MessageStatus
from app.extensions import db
from app.outside_calls import call_outside
from app.web.errors import error_message
from app.web.htmx import render_page_or_partial
from app.web.staff import bp
from app.web.staff.pages import paginate

S = MessageStatus
#: The queue's tabs: what each shows. "failed" first: that is what needs a person.
FILTERS = {
    "failed": (S.FAILED,),
    "retrying": (S.RETRYING,),
    "pending": (S.QUEUED, S.SENDING),
    "skipped": (S.SKIPPED,),
    "sent": (S.SENT,),
}
INBOX_TIMEOUT = 2  # seconds: a page must not hang on a simulator that is not running


@bp.get("/notifications")
@role_required(Area.NOTIFICATIONS)
def list_notifications():
    tab = request.args.get("status", "failed")
    if tab not in FILTERS:
        tab = "failed"
    pagination = paginate(queries.message_list(FILTERS[tab]))
    counts = queries.status_counts()
    tab_counts = {name: sum(counts.get(status, 0) for status in statuses) for name, statuses in FILTERS.items()}
    return render_page_or_partial("staff/notifications/list.html", "staff/notifications/_panel.html",
                                  pagination=pagination, tab=tab, tab_counts=tab_counts)


@bp.post("/notifications/<int:message_id>/resend")
@role_required(Area.NOTIFICATIONS)
def resend_message(message_id: int):
    try:
        copy = services.resend(message_id, current_user.actor)
    except Conflict as error:
        flash(error_message(error), "warning")
    else:
        db.session.commit()
        if copy.status == MessageStatus.SKIPPED:
            flash(_("未重发：%(reason)s", reason=copy.last_error), "warning")
        else:
            flash(_("已安排重发（新消息 #%(id)s）", id=copy.id), "success")
    return redirect(_back_to(), 303)


@bp.get("/notifications/simulator")
@role_required(Area.NOTIFICATIONS)
def show_message_simulator():
    channel = request.args.get("channel") or ""
    if channel not in CHANNEL_LABELS:
        channel = ""
    # The login check read the user: end that transaction (on SQLite it holds the write lock) before
    # waiting on another process.
    messages = call_outside(db.session.commit, read_inbox, current_app.config["MESSAGING_SIMULATOR_URL"], channel)
    return render_page_or_partial("staff/notifications/simulator.html", "staff/notifications/_inbox.html",
                                  messages=messages, channel=channel, channel_labels=CHANNEL_LABELS,
                                  simulator_url=current_app.config["MESSAGING_SIMULATOR_URL"])


def read_inbox(base_url: str, channel: str = "", limit: int = 100) -> list[dict] | None:
    """What the messaging simulators received, newest first; None when they are not running.

    A local development tool, read over its own HTTP API (it is a separate process, as the real
    providers are); never a provider call."""
    query = f"?limit={limit}" + (f"&channel={channel}" if channel else "")
    try:
        with urlopen(f"{base_url}/_simulator/messages{query}", timeout=INBOX_TIMEOUT) as response:
            messages = json.load(response)["messages"]
    except (URLError, OSError, ValueError, KeyError):
        return None
    for message in messages:  # the simulator speaks UTC, like the providers; pages show Shanghai time
        message["received_at"] = datetime.fromisoformat(message["received_at"])
    return messages


def _back_to() -> str:
    """Where the resend came from (an order page, the queue), if it is one of ours."""
    target = request.form.get("next", "")
    if target.startswith("/staff/") and not target.startswith("//"):
        return target
    return url_for("staff.list_notifications")
