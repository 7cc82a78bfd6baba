"""Refund approval: above the approval amount (¥200 by default) or after shipping a refund waits for
finance, who approve it (the refund is made) or reject it with a reason, never their own; below it, it
goes through at once. Finance roles read orders."""

from sqlalchemy import select

from app.domain.orders import refund_approvals, services
from app.domain.orders.refund_approvals import RefundRequest
from app.extensions import db
from tests.web.conftest import assert_stock_consistent, level, order_state
from tests.web.test_staff_order_actions import act, become, refund_data


def pending(app) -> list[RefundRequest]:
    with app.app_context():
        requests = list(db.session.scalars(refund_approvals.requests()))
        for request in requests:
            db.session.expunge(request)
        return requests


def test_a_small_refund_before_shipping_goes_through(app, client, login_as, make_order):
    login_as("customer_service")
    number = make_order("02", lines=(("SN-001", 1),))  # ¥99.90

    response = act(client, number, "refund", refund_data("99.90"))

    assert response.status_code == 303
    assert order_state(app, number).status == "R1"
    assert pending(app) == []


def test_a_large_refund_waits_for_finance_who_approves_it(app, client, login_as, make_order):
    login_as("customer_service", username="kefu1")
    number = make_order("02", lines=(("SN-001", 3),))  # ¥299.70

    asked = act(client, number, "refund", refund_data("299.70"))

    assert asked.status_code == 303
    assert order_state(app, number).status == "02" and level(app, "SN-001")["locked"] == 3
    [request] = pending(app)
    assert request.amount_fen == 29970 and request.requested_by == "user:kefu1"
    assert "等待财务审批" in client.get(f"/staff/orders/{number}").text

    become(client, login_as, "finance")
    queue = client.get("/finance/refunds")
    assert queue.status_code == 200 and number in queue.text
    approved = client.post(f"/finance/refunds/{request.id}/approve")

    assert approved.status_code == 303
    assert order_state(app, number).status == "R1" and level(app, "SN-001")["locked"] == 0
    assert pending(app) == []
    assert_stock_consistent(app)


def test_every_refund_after_shipping_waits_and_a_rejection_needs_a_reason(app, client, login_as, make_order):
    login_as("customer_service")
    number = make_order("07", lines=(("SN-001", 1),))
    act(client, number, "refund", refund_data("10.00", scope="money", restock=False))
    [request] = pending(app)
    assert request.after_shipping
    become(client, login_as, "finance_supervisor")

    without_reason = client.post(f"/finance/refunds/{request.id}/reject", data={"reason": ""})
    assert without_reason.status_code == 303 and len(pending(app)) == 1

    client.post(f"/finance/refunds/{request.id}/reject", data={"reason": "顾客已撤回"})

    assert pending(app) == [] and order_state(app, number).refunded_fen == 0
    with app.app_context():
        assert db.session.get(RefundRequest, request.id).decision_reason == "顾客已撤回"


def test_nobody_approves_their_own_request(app, client, login_as, make_order):
    with app.app_context():  # someone in finance who also files a request (e.g. through the API)
        order = services.get_order(make_order("02", lines=(("SN-001", 3),)))
        refund_approvals.request_refund(order, 29970, None, True, "退款", "user:caiwu", 20000)
        db.session.commit()
    login_as("finance", username="caiwu")
    [request] = pending(app)

    response = client.post(f"/finance/refunds/{request.id}/approve", follow_redirects=True)

    assert "不能审批自己提交的退款申请" in response.text
    assert len(pending(app)) == 1


def test_a_second_request_for_the_same_order_is_refused(app, client, login_as, make_order):
    login_as("customer_service")
    number = make_order("02", lines=(("SN-001", 3),))
    act(client, number, "refund", refund_data("250.00", scope="money"))

    again = act(client, number, "refund", refund_data("250.00", scope="money"))

    assert again.status_code == 409 and len(pending(app)) == 1


def test_the_count_for_the_dashboard(app, client, login_as, make_order):
    login_as("customer_service")
    act(client, make_order("02", lines=(("SN-001", 3),)), "refund", refund_data("299.70"))
    with app.app_context():
        assert refund_approvals.pending_count() == 1


def test_finance_reads_orders_but_acts_on_none(client, login_as, make_order):
    login_as("finance")
    number = make_order("02")

    assert client.get("/staff/orders").status_code == 200
    page = client.get(f"/staff/orders/{number}")
    assert page.status_code == 200 and "staff/orders/" + number + "/refund" not in page.text
    assert act(client, number, "refund", refund_data("10.00")).status_code == 403
    with client.application.app_context():
        assert db.session.scalars(select(RefundRequest)).all() == []
