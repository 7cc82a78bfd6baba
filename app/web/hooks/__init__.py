"""Inbound callbacks (/hooks): signature-checked on the raw body instead of CSRF-protected."""

from flask import Blueprint, current_app, request
from flask_limiter.util import get_remote_address

from app.extensions import csrf, limiter

bp = Blueprint("hooks", __name__, url_prefix="/hooks")
csrf.exempt(bp)


def channel_key() -> str:
    """One bucket per shop a push names (checked before the shop is looked up: a flood of pushes for
    one shop costs no database work once its bucket is empty)."""
    args = request.view_args or {}
    # Callbacks without a shop in the path (the tracking aggregator, the e-invoice platform) share
    # one bucket per endpoint.
    source = args.get("platform") or request.path
    return f"hook:{source[:64]}:{args.get('channel_code', '')[:64]}"


limiter.limit(lambda: current_app.config["HOOK_RATE_LIMIT_PER_CHANNEL"], key_func=channel_key)(bp)
# Made-up shop codes each get a bucket of their own: the per-address limit bounds those too.
limiter.limit(lambda: current_app.config["HOOK_RATE_LIMIT_PER_IP"], key_func=get_remote_address)(bp)

from app.web.hooks import (  # noqa: E402, F401  (views register on bp)
    einvoice,
    logistics,
    platforms,
)
