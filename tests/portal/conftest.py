"""Portal fixtures: a stocked shop, orders walked to any state, and helpers for the portal forms."""

import re

import pytest

from app.extensions import db
from tests.portal import orders


@pytest.fixture
def shop(app):
    with app.app_context():
        shop = orders.open_shop()
        db.session.commit()
        return shop


@pytest.fixture
def make_order(app, shop):
    """``make_order("in_transit", invoice=...)`` → PlacedOrder (committed in the test's transaction)."""

    def make(state: str = "paid", **kwargs) -> orders.PlacedOrder:
        with app.app_context():
            placed = orders.place_order(shop, state, **kwargs)
            db.session.commit()
            return placed

    return make


@pytest.fixture
def order(make_order):
    return make_order("paid")


def look_up(client, order_no: str, phone: str, **kwargs):
    return client.post("/portal/lookup", data={"order_no": order_no, "phone": phone}, **kwargs)


def order_link(client, order_no: str, phone: str = orders.RECEIVER_PHONE) -> str:
    """The signed order-page path a successful lookup redirects to."""
    response = look_up(client, order_no, phone)
    assert response.status_code == 303, response.text
    return response.location.split("orderhub.test", 1)[-1]


def without_csrf(html: str) -> str:
    """The page with its per-session CSRF tokens blanked, so two answers can be compared byte for byte."""
    html = re.sub(r'name="csrf_token"([^>]*)value="[^"]*"', r'name="csrf_token"\1value=""', html)
    return re.sub(r'"X-CSRFToken": "[^"]*"', '"X-CSRFToken": ""', html)
