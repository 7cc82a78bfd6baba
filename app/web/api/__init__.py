"""The open API v1 (/api/v1), as contracted in the API document (shared API.md, published as OpenAPI at
/api/v1/openapi.json).

Its own trust boundary: Bearer tokens instead of sessions, so no CSRF; each token is one channel with
scopes; every call is rate-limited per token; writes accept ``Idempotency-Key``.
"""

from flask import Blueprint

from app.extensions import csrf, limiter
from app.web.api import auth

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
bp.before_request(auth.authenticate)
bp.before_request(auth.check_stock_warehouse)
# One budget per token across all endpoints (a shared limit; a plain one would count per endpoint).
limiter.shared_limit(auth.rate_limit, scope="api-v1", key_func=auth.rate_limit_key,
                     error_message="请求过于频繁，请稍后再试")(bp)
# Guessing tokens: an address whose calls keep being refused is stopped, whatever tokens it tries.
limiter.shared_limit(auth.failure_limit, scope="api-v1-auth", key_func=auth.failure_limit_key,
                     deduct_when=auth.refused, error_message="请求过于频繁，请稍后再试")(bp)

from app.web.api import catalog, fulfilment, invoices, openapi, orders, routing, stock, warehouses  # noqa: E402, F401  (views register on bp)
