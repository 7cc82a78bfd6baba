"""Rate-limit keys and values for the portal (Flask-Limiter on Redis; values in app/config.py).

Per-phone keys use a keyed pseudonym of the normalised phone, so the limiter's Redis keys hold no phone
numbers; every malformed phone shares one bucket, which only ever slows down malformed requests.

Most per-phone buckets are per phone *and network* (the asker's /24 or /48): someone elsewhere who
knows a customer's phone number cannot use up that customer's lookups or texts.
"""

import ipaddress

from flask import current_app, request
from flask_limiter.util import get_remote_address

from app.domain.orders.inputs import normalise_phone
from app.privacy import pseudonym


def phone_key() -> str:
    phone = normalise_phone(request.form.get("phone", ""))
    return "portal-phone:" + (pseudonym(phone, current_app.secret_key) if phone else "invalid")


def phone_network_key() -> str:
    return f"{phone_key()}:{network_of(get_remote_address())}"


def network_of(address: str) -> str:
    """The /24 (IPv4) or /48 (IPv6) an address belongs to: one household, office or mobile gateway."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def failed(response) -> bool:
    """A lookup counts towards its phone's bucket only when it fails: a right answer never locks out."""
    return response.status_code >= 400


def setting(name: str):
    """A limit read at request time, so tests and the benchmark can change it without a new app."""
    return lambda: current_app.config[name]
