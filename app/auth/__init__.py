"""Staff authentication: Flask-Login wiring and the role-required decorator."""

from functools import wraps

from flask import Flask, abort
from flask_login import current_user, login_required

from app.auth.roles import Area
from app.extensions import db, login_manager


def init_login(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str):
        from app.auth.models import User

        return db.session.get(User, int(user_id))


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
