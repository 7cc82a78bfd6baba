"""Rate-limit keys and values for the portal (Flask-Limiter on Redis; values in app/config.py).

Per-phone keys use a keyed pseudonym of the normalised phone, so the limiter's Redis keys hold no phone
numbers; every malformed phone shares one bucket, which only ever slows down malformed requests.
"""

from flask import current_app, request

from app.domain.orders.inputs import normalise_phone
from app.privacy import pseudonym


def phone_key() -> str:
    phone = normalise_phone(request.form.get("phone", ""))
    return "portal-phone:" + (pseudonym(phone, current_app.secret_key) if phone else "invalid")


def setting(name: str):
    """A limit read at request time, so tests and the benchmark can change it without a new app."""
    return lambda: current_app.config[name]
