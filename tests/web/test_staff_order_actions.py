"""Actions on an order through the staff pages: the whole lifecycle, refunds and returns, who may do
what, and what the order's state refuses."""

from itertools import count

import pytest

from app.domain.orders import refund_approvals
from app.extensions import db
from tests.conftest import htmx_headers
from tests.web.conftest import assert_stock_consistent, level, order_state, pay_order
from tests.web.test_staff_orders import manual_order


def act(client, number: str, action: str, data: dict | None = None, htmx: bool = False):
    return client.post(f"/staff/orders/{number}/{action}", data=data or {},
                       headers=htmx_headers() if htmx else {})


USER_NUMBERS = count(1)


def approve_refunds(app) -> None:
    """Finance approves every refund waiting (those after shipping or above the approval amount)."""
    with app.app_context():
        for request in db.session.scalars(refund_approvals.requests()).all():
            refund_approvals.approve(request, "user:caiwu")
        db.session.commit()


def become(client, login_as, role: str) -> None:
    """Sign the test client in as a new user with ``role`` (signing out whoever it was first)."""
    client.post("/logout")
    login_as(role, username=f"{role}-{next(USER_NUMBERS)}")


def refund_data(amount: str, scope: str = "all", lines: dict | None = None, restock: bool = True,
                damaged: bool = False, reason: str = "顾客申请退款", skus: tuple = ("SN-001",)) -> dict:
    data = {"refund-amount": amount, "refund-scope": scope, "refund-reason": reason}
    for index, sku in enumerate(skus):
        data[f"refund-lines-{index}-sku"] = sku
        data[f"refund-lines-{index}-quantity"] = str((lines or {}).get(sku, ""))
    if restock:
        data["refund-restock"] = "y"
    if damaged:
        data["refund-damaged"] = "y"
    return data


def test_an_order_from_the_manual_form_to_delivery_and_a_return(app, client, login_as, shop):
    """Customer service creates it, the channel's payment arrives, the warehouse approves, packs, ships
    and hands it over, it is signed, and customer service refunds it with the goods back on the shelf."""
    login_as("customer_service")
    created = client.post("/staff/orders/new", data=manual_order(
        channel_id=shop.channel_id, **{"lines-1-sku": "", "lines-1-quantity": "", "lines-1-is_gift": None},
        shipping_fee="0", discount="0"))
    number = created.location.rsplit("/", 1)[-1]
    assert level(app, "SN-001") == {"on_hand": 10, "reserved": 2, "locked": 0, "damaged": 0}
    assert_stock_consistent(app)

    pay_order(app, number)
    assert level(app, "SN-001") == {"on_hand": 10, "reserved": 0, "locked": 2, "damaged": 0}

    approved = act(client, number, "approve", htmx=True)
    assert approved.status_code == 200 and order_state(app, number).status == "03"
    assert_stock_consistent(app)

    become(client, login_as, "warehouse")
    packed = act(client, number, "pack")
    assert packed.status_code == 303 and order_state(app, number).status == "04"

    shipped = act(client, number, "ship_out", {"ship_out-carrier_id": shop.carrier_id,
                                               "ship_out-waybill_no": "SF1234567890"}, htmx=True)
    assert shipped.status_code == 200
    order = order_state(app, number)
    assert order.status == "05" and order.waybill_no == "SF1234567890" and order.carrier_id == shop.carrier_id
    assert level(app, "SN-001") == {"on_hand": 8, "reserved": 0, "locked": 0, "damaged": 0}
    assert_stock_consistent(app)

    assert act(client, number, "hand_over").status_code == 303
    assert order_state(app, number).status == "06"

    become(client, login_as, "admin")
    assert act(client, number, "sign", htmx=True).status_code == 200
    assert order_state(app, number).status == "07"

    become(client, login_as, "customer_service")
    refunded = act(client, number, "refund", refund_data("199.80"), htmx=True)
    assert refunded.status_code == 200 and order_state(app, number).status == "07"  # after shipping: finance approves
    approve_refunds(app)
    order = order_state(app, number)
    assert order.status == "R1" and order.refunded_fen == 19980
    assert level(app, "SN-001") == {"on_hand": 10, "reserved": 0, "locked": 0, "damaged": 0}
    assert_stock_consistent(app)

    page = client.get(f"/staff/orders/{number}").text
    for step in ("创建订单", "支付", "审核通过", "开始打包", "出库", "交付快递", "签收", "退款", "退货入库"):
        assert step in page, step


class TestResponses:
    @pytest.fixture(autouse=True)
    def warehouse(self, login_as):
        login_as("warehouse")

    def test_htmx_gets_the_updated_panel_and_an_out_of_band_flash(self, client, make_order):
        number = make_order("02")

        response = act(client, number, "approve", htmx=True)

        assert response.status_code == 200
        assert "<html" not in response.text
        assert response.text.lstrip().startswith('<section id="order-panel"')
        assert '<div id="flash" class="flash-area" hx-swap-oob="true">' in response.text
        assert "已完成「审核通过」，订单现在是「审核通过」" in response.text
        assert f"/staff/orders/{number}/pack" in response.text  # the next step's button

    def test_without_htmx_it_redirects_to_the_order_page_with_the_flash(self, client, make_order):
        number = make_order("02")

        response = act(client, number, "approve")

        assert response.status_code == 303
        assert response.location.endswith(f"/staff/orders/{number}")
        assert "已完成「审核通过」" in client.get(response.location).text

    def test_a_forbidden_transition_is_409_naming_the_current_state(self, app, client, make_order, shop):
        number = make_order("02")
        data = {"ship_out-carrier_id": shop.carrier_id, "ship_out-waybill_no": "SF1"}

        fragment = act(client, number, "ship_out", data, htmx=True)
        page = act(client, number, "ship_out", data)

        for response in (fragment, page):
            assert response.status_code == 409
            assert "订单当前状态为「已支付」，不能出库" in response.text
        assert "<html" not in fragment.text and 'hx-swap-oob="true"' in fragment.text
        assert "<html" in page.text
        assert order_state(app, number).status == "02"
        assert level(app, "SN-001")["locked"] == 2

    def test_repeating_an_action_is_refused_not_repeated(self, client, make_order):
        number = make_order("02")
        act(client, number, "approve")

        again = act(client, number, "approve")

        assert again.status_code == 409
        assert "订单当前状态为「审核通过」，不能审核通过" in again.text

    def test_missing_waybill_rerenders_the_form_with_the_error(self, app, client, make_order, shop):
        number = make_order("04")

        response = act(client, number, "ship_out", {"ship_out-carrier_id": shop.carrier_id,
                                                    "ship_out-waybill_no": ""}, htmx=True)

        assert response.status_code == 422
        assert '<details class="action-form primary" open>' in response.text
        assert "此项必填" in response.text
        assert order_state(app, number).status == "04"

    def test_a_waybill_too_long_for_the_domain(self, app, client, make_order, shop):
        number = make_order("04")

        response = act(client, number, "ship_out", {"ship_out-carrier_id": shop.carrier_id,
                                                    "ship_out-waybill_no": "9" * 41})

        assert response.status_code == 422
        assert order_state(app, number).status == "04"

    def test_a_conflict_from_the_domain_is_409_with_its_message(self, app, client, make_order, shop):
        number = make_order("04", lines=(("PRE-001", 1),))

        response = act(client, number, "ship_out", {"ship_out-carrier_id": shop.carrier_id,
                                                    "ship_out-waybill_no": "SF2"}, htmx=True)

        assert response.status_code == 409
        assert "订单中有预售商品尚未到货，不能出库" in response.text
        assert order_state(app, number).status == "04"

    def test_unknown_action_is_404(self, client, make_order):
        assert act(client, make_order("02"), "teleport").status_code == 404

    def test_mark_exception_needs_a_reason(self, app, client, make_order):
        number = make_order("04")

        refused = act(client, number, "mark_exception", {"mark_exception-reason": ""})
        marked = act(client, number, "mark_exception", {"mark_exception-reason": "包装破损"}, htmx=True)

        assert refused.status_code == 422 and "此项必填" in refused.text
        assert marked.status_code == 200
        assert order_state(app, number).status == "E1"
        assert "异常前状态：打包中" in marked.text


class TestRoles:
    def test_warehouse_cannot_refund(self, app, client, login_as, make_order):
        login_as("warehouse")
        number = make_order("02")

        assert act(client, number, "refund", refund_data("199.80")).status_code == 403
        assert act(client, number, "refund", refund_data("199.80"), htmx=True).status_code == 403
        assert order_state(app, number).status == "02"

    @pytest.mark.parametrize("action", ["ship_out", "pack", "hand_over", "sign"])
    def test_customer_service_cannot_move_goods(self, client, login_as, make_order, action):
        login_as("customer_service")

        assert act(client, make_order("04"), action, {"ship_out-waybill_no": "SF1"}).status_code == 403

    def test_a_role_without_the_orders_area_gets_403(self, client, login_as, make_order):
        login_as("finance")

        assert act(client, make_order("02"), "approve").status_code == 403

    def test_anonymous_is_sent_to_login(self, client, make_order):
        response = act(client, make_order("02"), "approve")

        assert response.status_code == 302 and response.location.startswith("/login")

    def test_operations_may_both_ship_and_refund(self, app, client, login_as, make_order, shop):
        login_as("operations")
        shipped, paid = make_order("04"), make_order("02")

        assert act(client, shipped, "ship_out", {"ship_out-carrier_id": shop.carrier_id,
                                                 "ship_out-waybill_no": "SF3"}).status_code == 303
        assert act(client, paid, "refund", refund_data("199.80")).status_code == 303


class TestCustomerServiceActions:
    @pytest.fixture(autouse=True)
    def customer_service(self, login_as):
        login_as("customer_service")

    def test_cancel_an_unpaid_order_releases_its_stock(self, app, client, make_order):
        number = make_order("01")

        response = act(client, number, "cancel", {"cancel-reason": "顾客不要了"}, htmx=True)

        assert response.status_code == 200
        assert order_state(app, number).status == "00"
        assert level(app, "SN-001")["reserved"] == 0
        assert_stock_consistent(app)

    def test_reject_parks_the_order_and_resolving_brings_it_back(self, app, client, make_order):
        number = make_order("03")

        act(client, number, "reject", {"reject-reason": "地址不全"})
        assert order_state(app, number).status == "E1"
        act(client, number, "resolve_exception", {"resolve_exception-reason": "已补全地址"})
        assert order_state(app, number).status == "03"
        assert level(app, "SN-001")["locked"] == 2
        assert_stock_consistent(app)

    def test_after_sales_opens_and_closes(self, app, client, make_order):
        number = make_order("07")

        opened = act(client, number, "request_after_sales", {"request_after_sales-reason": "包装破损"})
        closed = act(client, number, "close_after_sales", {"close_after_sales-reason": ""})

        assert opened.status_code == 303 and closed.status_code == 303
        assert order_state(app, number).status == "08"

    def test_full_refund_before_shipping_releases_the_lock(self, app, client, make_order):
        number = make_order("03")

        response = act(client, number, "refund", refund_data("199.80"))

        assert response.status_code == 303
        assert order_state(app, number).status == "R1"
        assert level(app, "SN-001") == {"on_hand": 10, "reserved": 0, "locked": 0, "damaged": 0}
        assert_stock_consistent(app)

    def test_partial_refund_of_some_units_keeps_the_order_going(self, app, client, make_order):
        number = make_order("02", lines=(("SN-001", 2), ("SN-002", 1)))

        response = act(client, number, "refund", refund_data(
            "99.90", scope="lines", lines={"SN-001": 1}, skus=("SN-001", "SN-002")), htmx=True)

        assert response.status_code == 200
        order = order_state(app, number)
        assert order.status == "02" and order.refunded_fen == 9990
        assert level(app, "SN-001")["locked"] == 1 and level(app, "SN-002")["locked"] == 1
        assert "部分退款" in response.text
        assert_stock_consistent(app)

    def test_refund_of_a_bundle_returns_its_components(self, app, client, make_order):
        number = make_order("02", lines=(("KIT-001", 1),))

        act(client, number, "refund", refund_data("149.00", skus=("KIT-001",)))

        assert level(app, "SN-001")["locked"] == 0 and level(app, "SN-002")["locked"] == 0
        assert_stock_consistent(app)

    def test_money_only_refund_after_delivery_moves_no_stock(self, app, client, make_order):
        number = make_order("07")

        act(client, number, "refund", refund_data("20.00", scope="money"))
        approve_refunds(app)

        order = order_state(app, number)
        assert order.status == "07" and order.refunded_fen == 2000
        assert level(app, "SN-001") == {"on_hand": 8, "reserved": 0, "locked": 0, "damaged": 0}
        assert_stock_consistent(app)

    def test_damaged_return_goes_to_the_damaged_bucket(self, app, client, make_order):
        number = make_order("08")

        act(client, number, "refund", refund_data("199.80", damaged=True))
        approve_refunds(app)

        assert level(app, "SN-001") == {"on_hand": 8, "reserved": 0, "locked": 0, "damaged": 2}
        assert_stock_consistent(app)

    def test_refund_more_than_paid_is_refused_on_the_field(self, app, client, make_order):
        number = make_order("02")

        response = act(client, number, "refund", refund_data("500.00"), htmx=True)

        assert response.status_code == 422
        assert "退款金额应大于 0 且不超过可退金额 199.80" in response.text
        assert order_state(app, number).refunded_fen == 0

    def test_refund_more_units_than_sold_is_refused_on_the_line(self, app, client, make_order):
        number = make_order("02")

        response = act(client, number, "refund", refund_data("10.00", scope="lines", lines={"SN-001": 3}))

        assert response.status_code == 422
        assert "SN-001 最多还能退 2 件" in response.text
        assert level(app, "SN-001")["locked"] == 2

    def test_refund_while_in_transit_is_refused_by_the_state(self, app, client, make_order):
        number = make_order("06")

        response = act(client, number, "refund", refund_data("199.80"))

        assert response.status_code == 409
        assert "订单当前状态为「运输中」，不能退款" in response.text


def test_admin_completes_a_signed_order(app, client, login_as, make_order):
    login_as("admin")
    number = make_order("07")

    assert act(client, number, "complete", htmx=True).status_code == 200
    assert order_state(app, number).status == "08"
