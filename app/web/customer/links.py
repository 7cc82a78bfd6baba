"""Signed, expiring order links: the only way to open an order page.

A link is issued only after a successful lookup (number + phone, or a verified SMS code) and carries
the order id and which of the order's phones the customer proved. The signature (the app's secret key
with a salt of its own, so no other signed value can be replayed as a link) makes it unguessable and
unalterable; the timestamp makes it expire. The payload is signed, not encrypted, so it holds no
personal data: an order id and a one-letter role, never the phone itself.
"""

from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer

from app.domain.orders.portal_queries import BUYER, RECEIVER

SALT = "orderhub.portal.order-link.v1"


class LinkInvalid(Exception):
    """Tampered with, truncated, or signed for something else."""


class LinkExpired(LinkInvalid):
    """Genuine but older than PORTAL_LINK_MAX_AGE."""


@dataclass(frozen=True)
class OrderLink:
    order_id: int
    via: str


def issue(order_id: int, via: str) -> str:
    return _serializer().dumps({"o": order_id, "v": via})


def read(token: str) -> OrderLink:
    """The link's content; raises LinkExpired or LinkInvalid."""
    try:
        payload = _serializer().loads(token, max_age=current_app.config["PORTAL_LINK_MAX_AGE"])
    except SignatureExpired as exc:
        raise LinkExpired from exc
    except BadData as exc:
        raise LinkInvalid from exc
    if not (isinstance(payload, dict) and isinstance(payload.get("o"), int) and payload.get("v") in (RECEIVER, BUYER)):
        raise LinkInvalid
    return OrderLink(order_id=payload["o"], via=payload["v"])


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=SALT)
