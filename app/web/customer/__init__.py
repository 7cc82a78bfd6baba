"""The public customer portal (/portal): order lookup, the order page, SMS-code login.

Everything here is reachable without a login, so every form is rate-limited, every answer to a failed
lookup is the same, and an order is shown only through a signed, expiring link.
"""

from flask import Blueprint

bp = Blueprint("customer", __name__, url_prefix="/portal")

from app.web.customer import errors, invoices, views  # noqa: E402, F401  (handlers and views register on bp)
