"""The auto-review (自动审单) page for operations, and the rules at work after payment: the route job
lets the rules judge the paid order; one they stop shows which rule on the list and the order page."""

from sqlalchemy import select

from app.domain.workbench import review
from app.domain.workbench.models import AutoReviewSetting, BlacklistedReceiver
from app.extensions import db
from tests.conftest import run_worker
from tests.web.conftest import order_state

RULES = list(review.RULES)


def switch_on(client, rules=RULES, limit="1000.00"):
    return client.post("/staff/auto-review", data={"rules-enabled": "y", "rules-rules": rules, "rules-max_amount": limit})


def test_operations_switch_rules_and_edit_the_limit(app, client, login_as):
    login_as("operations")
    page = client.get("/staff/auto-review")
    assert page.status_code == 200 and "金额不超过上限" in page.text and "收货人黑名单" in page.text
    response = switch_on(client, rules=["amount", "address"], limit="88.50")
    assert response.status_code == 303
    with app.app_context():
        setting = db.session.scalar(select(AutoReviewSetting))
        assert setting.enabled and setting.max_amount_fen == 8850
        assert review.enabled_rules(setting) == ["amount", "address"]
    refused = switch_on(client, limit="0")
    assert refused.status_code == 422 and "error" in refused.text


def test_the_blacklist_takes_a_phone_refuses_a_bad_one_and_lets_it_go(app, client, login_as):
    login_as("operations")
    added = client.post("/staff/auto-review/blacklist",
                        data={"blacklist-phone": "13800138000", "blacklist-name": "张三", "blacklist-reason": "拒收"})
    assert added.status_code == 303
    page = client.get("/staff/auto-review")
    assert "138****8000" in page.text and "13800138000" not in page.text
    assert client.post("/staff/auto-review/blacklist", data={"blacklist-phone": "12"}).status_code == 422
    again = client.post("/staff/auto-review/blacklist", data={"blacklist-phone": "13800138000"})
    assert again.status_code == 409 and "已在黑名单中" in again.text
    with app.app_context():
        entry_id = db.session.scalar(select(BlacklistedReceiver.id))
    assert client.post(f"/staff/auto-review/blacklist/{entry_id}/remove").status_code == 303
    with app.app_context():
        assert db.session.scalar(select(BlacklistedReceiver.id)) is None


def test_the_warehouse_cannot_open_the_rules(client, login_as):
    login_as("warehouse")
    assert client.get("/staff/auto-review").status_code == 403


def test_after_payment_the_rules_approve_an_ordinary_order_and_name_what_stopped_another(
        app, client, login_as, make_order):
    login_as("operations")
    assert switch_on(client).status_code == 303
    ordinary, remarked = make_order("02"), make_order("02", remark="请周末送货")
    with app.app_context():
        run_worker()  # the route job queued by the payment, then auto-review
    assert order_state(app, ordinary).status == "03"
    assert order_state(app, remarked).status == "02"

    listing = client.get("/staff/orders?status=02")
    assert remarked in listing.text and "自动审单未通过：有备注" in listing.text
    detail = client.get(f"/staff/orders/{remarked}")
    assert "自动审单未通过：有备注" in detail.text
    english = client.get(f"/staff/orders/{remarked}?lang=en")
    assert "Auto-review stopped it: has a remark" in english.text
