"""The staff logistics page (parcels by state, re-poll) and the parcels on the staff order page."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.db import utcnow
from app.domain.logistics import shipments
from app.domain.logistics.models import Shipment, Subscription
from app.domain.orders import services
from app.domain.reference.models import Carrier
from app.extensions import db
from app.jobs import get_queue
from tests.conftest import htmx_headers


@pytest.fixture
def shipped(app, make_order, shop):
    """An order shipped as one parcel (waybill YT100), committed; returns (order number, parcel id)."""
    number = make_order("04")
    with app.app_context():
        order = services.get_order(number)
        shipments.ship_order(order, db.session.get(Carrier, shop.carrier_id), "YT100", "test")
        db.session.commit()
        return number, db.session.scalar(select(Shipment.id).where(Shipment.order_id == order.id))


def age(app, shipment_id: int, hours: int, **values) -> None:
    with app.app_context():
        then = utcnow() - timedelta(hours=hours)
        db.session.execute(update(Shipment).where(Shipment.id == shipment_id)
                           .values(shipped_at=then, subscription=Subscription.SUBSCRIBED, **values))
        db.session.commit()


def test_the_page_lists_silent_parcels_with_counts_and_a_repoll_button(client, login_as, app, shipped):
    number, shipment_id = shipped
    login_as("customer_service")
    assert number not in client.get("/staff/logistics").text  # shipped just now: not silent
    age(app, shipment_id, hours=13)
    page = client.get("/staff/logistics")
    assert page.status_code == 200 and number in page.text and "YT100" in page.text
    assert "超过 12 小时无更新<b>1</b>" in page.text
    assert number not in client.get("/staff/logistics?hours=24").text
    fragment = client.get("/staff/logistics?view=silent", headers=htmx_headers())
    assert "<html" not in fragment.text and 'id="logistics-panel"' in fragment.text


def test_repoll_queues_a_refresh_of_that_parcel(client, login_as, app, shipped):
    _number, shipment_id = shipped
    login_as("warehouse")
    with app.app_context():
        get_queue("logistics").empty()
    response = client.post(f"/staff/logistics/{shipment_id}/repoll", data={"next": "/staff/logistics?view=exceptions"})
    assert (response.status_code, response.location.endswith("/staff/logistics?view=exceptions")) == (303, True)
    with app.app_context():
        jobs = get_queue("logistics").jobs
    assert [(job.func_name, job.args) for job in jobs] == [("workers.logistics.refresh_shipment", [shipment_id])]
    assert client.post("/staff/logistics/999999/repoll").status_code == 404


def test_exceptions_and_signed_today_tabs(client, login_as, app, shipped):
    number, shipment_id = shipped
    login_as("operations")
    age(app, shipment_id, hours=1, status="problem")
    assert number in client.get("/staff/logistics?view=exceptions").text
    age(app, shipment_id, hours=1, status="signed", signed_at=utcnow())
    assert number in client.get("/staff/logistics?view=signed_today").text
    assert number not in client.get("/staff/logistics?view=exceptions").text


def test_finance_reads_it_like_the_orders(client, login_as):
    login_as("finance")
    assert client.get("/staff/logistics").status_code == 200


def test_the_order_page_shows_its_parcels(client, login_as, shipped):
    number, _shipment_id = shipped
    login_as("customer_service")
    page = client.get(f"/staff/orders/{number}").text
    assert 'data-testid="staff-parcel"' in page and "YT100" in page and "快递公司还没有轨迹。" in page
