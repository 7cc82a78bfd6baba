"""常用筛选: each member of staff saves the order list's filters under a name, opens them again from the
list, replaces them by saving the same name, and deletes them; nobody sees or deletes another's."""

from sqlalchemy import select

from app.domain.workbench.models import SavedView
from app.extensions import db
from tests import factories


def views(app) -> list[tuple[str, str, str]]:
    with app.app_context():
        return [(view.owner, view.name, view.query)
                for view in db.session.scalars(select(SavedView).order_by(SavedView.id))]


def test_the_list_s_filters_are_saved_under_a_name_and_offered_again(app, client, login_as, make_order):
    login_as("customer_service")
    number = make_order("02")

    response = client.post("/staff/orders/views?status=02&q=8000&page=3", data={"name": "待审核尾号8000"})

    assert response.status_code == 303 and response.location.endswith("/staff/orders?q=8000&status=02")
    assert views(app) == [("user:customer_service-user", "待审核尾号8000", "q=8000&status=02")]
    listing = client.get("/staff/orders")
    assert 'href="/staff/orders?q=8000&amp;status=02">待审核尾号8000</a>' in listing.text
    assert number in client.get("/staff/orders?q=8000&status=02").text

    client.post("/staff/orders/views?status=03", data={"name": "待审核尾号8000"})
    assert views(app) == [("user:customer_service-user", "待审核尾号8000", "status=03")]  # replaced, not doubled


def test_a_view_needs_a_name_and_only_its_owner_deletes_it(app, client, login_as):
    login_as("customer_service")
    refused = client.post("/staff/orders/views?status=02", data={"name": "  "}, follow_redirects=True)
    assert "请填写视图名称" in refused.text and views(app) == []

    client.post("/staff/orders/views?status=02", data={"name": "已支付"})
    with app.app_context():
        view_id = db.session.scalar(select(SavedView.id))
    client.post("/logout")
    login_as("warehouse")
    assert "已支付</a>" not in client.get("/staff/orders").text
    assert "没有这个视图" in client.post(f"/staff/orders/views/{view_id}/delete", follow_redirects=True).text
    assert len(views(app)) == 1

    client.post("/logout")
    client.post("/login", data={"username": "customer_service-user", "password": factories.PASSWORD})
    client.post(f"/staff/orders/views/{view_id}/delete")
    assert views(app) == []
