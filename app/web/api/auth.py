"""Bearer tokens: who is calling (one channel), what they may do (scopes), and how often.

Every API request is authenticated before its view runs (``authenticate`` is the blueprint's
before_request), so no view can forget it; the few public endpoints are listed in ``PUBLIC_ENDPOINTS``.
"""

from datetime import timedelta
from functools import wraps

from flask import current_app, g, jsonify, request
from flask_limiter.util import get_remote_address
from sqlalchemy import or_, select, update

from app.auth.api_tokens import ApiToken, Scope, find_active_token
from app.db import utcnow
from app.domain.errors import PermissionDenied
from app.domain.reference.models import Channel, Warehouse
from app.extensions import db
from app.web.errors import error_body

PUBLIC_ENDPOINTS = {"api.get_openapi"}
DEFAULT_RATE_LIMIT = "600 per minute"
TOKEN_ENVIRON_KEY = "orderhub.api_token"
#: last_used_at is for people ("is this token still in use?"): a minute's precision saves a write per call.
LAST_USED_PRECISION = timedelta(minutes=1)


def bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def authenticate():
    """Find the request's token; answer 401 (with ``WWW-Authenticate``) if there is none that works."""
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return None
    if bearer_token() is None:
        return _unauthorized("缺少访问令牌：请在 Authorization 头中提供 Bearer 令牌", None)
    token = request_token()
    if token is None:
        return _unauthorized("访问令牌无效、已吊销或所属渠道已停用", "invalid_token")
    _note_use(token)
    g.api_token, g.api_channel = token, token.channel
    return None


def requires(scope: Scope):
    """Let the view run only for a token carrying ``scope``; otherwise 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not g.api_token.allows(scope):
                raise PermissionDenied(f"此令牌没有 {scope} 权限", details={"required_scope": str(scope)})
            return view(*args, **kwargs)

        wrapped.required_scope = scope
        return wrapped

    return decorator


def check_stock_warehouse():
    """A stock write (receipt, count) may only name a warehouse the token's channel manages: its own
    default warehouse, plus those ``API_STOCK_WAREHOUSES`` lists for its code (``["*"]``: every one).
    Runs after ``authenticate``, before the view; a missing, malformed or unknown warehouse is left to
    the view, which answers 422 as for any other bad field."""
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "required_scope", None) != Scope.STOCK_WRITE or "api_channel" not in g:
        return None
    data = request.get_json(silent=True)
    code = data.get("warehouse") if isinstance(data, dict) else None
    known = isinstance(code, str) and db.session.scalar(select(Warehouse.id).where(Warehouse.code == code))
    if known and not manages_warehouse(g.api_channel, code):
        raise PermissionDenied(f"渠道 {g.api_channel.code} 不能修改仓库 {code} 的库存",
                               details={"warehouse": code})
    return None


def manages_warehouse(channel: Channel, warehouse_code: str) -> bool:
    allowed = current_app.config["API_STOCK_WAREHOUSES"].get(channel.code, [])
    if "*" in allowed or warehouse_code in allowed:
        return True
    return channel.default_warehouse is not None and channel.default_warehouse.code == warehouse_code


def current_channel() -> Channel:
    return g.api_channel


def actor() -> str:
    """How API calls appear in order events and stock movements."""
    return f"api:{g.api_channel.code}"


def rate_limit() -> str:
    return current_app.config.get("API_RATE_LIMIT", DEFAULT_RATE_LIMIT)


def request_token() -> ApiToken | None:
    """The active token the request carries, looked up once per request (the limiter asks first).

    Kept in the request's environ, not ``g``: an app context (and its ``g``) may outlive one request.
    """
    if TOKEN_ENVIRON_KEY not in request.environ:
        token_text = bearer_token()
        request.environ[TOKEN_ENVIRON_KEY] = find_active_token(token_text) if token_text else None
    return request.environ[TOKEN_ENVIRON_KEY]


def rate_limit_key() -> str:
    """Per working token; everything else (no token, or a bogus one) shares its address's bucket, so a
    new made-up token per request neither escapes the limit nor adds a Redis key."""
    token = request_token()
    if token is None:
        return "api-ip:" + get_remote_address()
    return f"api-token:{token.id}"


def failure_limit() -> str:
    return current_app.config["API_AUTH_FAILURE_LIMIT_PER_IP"]


def failure_limit_key() -> str:
    return "api-auth-failures:" + get_remote_address()


def refused(response) -> bool:
    """Only refused credentials count towards the per-address failure limit."""
    return response.status_code == 401


def _note_use(token: ApiToken) -> None:
    """Record last_used_at at most once a minute, in its own short transaction before the view's."""
    now = utcnow()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_PRECISION:
        return
    cutoff = now - LAST_USED_PRECISION
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.id == token.id, or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < cutoff))
        # Using a token is not changing it: keep updated_at as it is.
        .values(last_used_at=now, updated_at=ApiToken.updated_at)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _unauthorized(message: str, error: str | None):
    challenge = 'Bearer realm="OrderHub API"' + (f', error="{error}"' if error else "")
    response = jsonify(error_body("unauthorized", message))
    response.status_code = 401
    response.headers["WWW-Authenticate"] = challenge
    return response
