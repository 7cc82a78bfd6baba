"""Staff authentication: Flask-Login wiring and the role-required decorator."""

from functools import wraps

from flask import Flask, abort, redirect, request, url_for
from flask_login import current_user, login_required

from app.auth.roles import Area
from app.extensions import db, login_manager


def init_login(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(session_user_id: str):
        """The user whose id *and* session version the session names: a session (or remember cookie)
        issued before a logout or a password change names an older version and is refused."""
        from app.auth.models import User

        user_id, _, version = session_user_id.partition(":")
        if not (user_id.isdigit() and version.isdigit()):
            return None
        user = db.session.get(User, int(user_id))
        return user if user is not None and user.session_version == int(version) else None


def role_required(area: Area):
    """Let in signed-in staff whose role may open ``area``; others get the login page or a 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.may(area):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_area = area
        return wrapped

    return decorator


CHANGE_PASSWORD_ENDPOINT = "staff.change_password"


def send_to_change_password():
    """Before every staff and finance view: a user whose password an admin reset chooses a new one first."""
    if current_user.is_authenticated and current_user.must_change_password \
            and request.endpoint != CHANGE_PASSWORD_ENDPOINT:
        return redirect(url_for(CHANGE_PASSWORD_ENDPOINT,
                                next=request.full_path.rstrip("?") if request.method == "GET" else None))
    return None
