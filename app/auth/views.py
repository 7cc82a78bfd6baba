"""Login, logout and the language switch."""

from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.exceptions import TooManyRequests

from app.auth import throttle
from app.auth.forms import LoginForm
from app.auth.services import authenticate, end_all_sessions
from app.extensions import db, limiter
from app.i18n import LANGUAGE_SESSION_KEY, supported_language

bp = Blueprint("auth", __name__)


def _login_username() -> str:
    return "login-user:" + request.form.get("username", "").strip().lower()


def _failed_login(response) -> bool:
    # Only a refused sign-in counts: a 503 (Redis or the database down) must not try Redis again.
    return response.status_code == 401


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: _limit("LOGIN_RATE_LIMIT"), methods=["POST"], deduct_when=_failed_login)
@limiter.limit(lambda: _limit("LOGIN_USER_RATE_LIMIT"), methods=["POST"], key_func=_login_username,
               deduct_when=_failed_login)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("staff.home"))
    form = LoginForm()
    if form.validate_on_submit():
        wait = throttle.seconds_to_wait(form.username.data)
        if wait:
            raise TooManyRequests(retry_after=wait)  # not even checked: a guess now tells nothing
        user = authenticate(form.username.data, form.password.data)
        if user is not None:
            db.session.commit()
            throttle.clear(form.username.data)
            _start_fresh_session()
            login_user(user)
            return redirect(safe_next(request.args.get("next")))
        throttle.record_failure(form.username.data)
        form.password.errors.append(_("用户名或密码错误"))
    return render_template("auth/login.html", form=form), 200 if request.method == "GET" else 401


@bp.post("/logout")
def logout():
    """Sign out everywhere: a session cookie copied before now (another browser, a stolen one) stops
    working too, because the user's session version moves on."""
    if current_user.is_authenticated:
        end_all_sessions(current_user)
        db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.post("/language/<code>")
def set_language(code: str):
    if supported_language(code):
        session[LANGUAGE_SESSION_KEY] = code
    return redirect(safe_next(request.form.get("next") or request.referrer))


def _limit(name: str) -> str:
    return current_app.config[name]


def _start_fresh_session() -> None:
    """Drop everything from before the login (fixation defence); keep only the chosen language."""
    language = session.get(LANGUAGE_SESSION_KEY)
    session.clear()
    if language:
        session[LANGUAGE_SESSION_KEY] = language


def safe_next(target: str | None) -> str:
    """Only follow a same-site path, never an absolute URL an attacker could plant."""
    if target:
        parts = urlsplit(target)
        # Browsers read a backslash as a slash, so "/\\evil.example" would be another site.
        if not parts.scheme and not parts.netloc and target.startswith("/") and "\\" not in target:
            return target
    return url_for("staff.home")


@bp.get("/")
def index():
    return redirect(url_for("staff.home"))
