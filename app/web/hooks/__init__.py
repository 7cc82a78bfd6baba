"""Inbound callbacks (/hooks): signature-checked on the raw body instead of CSRF-protected."""

from flask import Blueprint

from app.extensions import csrf

bp = Blueprint("hooks", __name__, url_prefix="/hooks")
csrf.exempt(bp)

from app.web.hooks import (  # noqa: E402, F401  (views register on bp)
    einvoice,
    logistics,
    platforms,
)
