"""Manual orders done properly: 标记已付款 for bank transfers and cash, SKU codes in any case, and the
product picker with each warehouse's available stock."""

from sqlalchemy import select

from app.domain.orders.models import OrderEvent
from app.extensions import db
from tests.conftest import htmx_headers
from tests.web.conftest import assert_stock_consistent, level, order_state
from tests.web.test_staff_orders import manual_order


def mark_paid(client, number: str, amount: str, method: str = "bank_transfer", reference: str = "BANK-889",
              htmx: bool = False):
    return client.post(f"/staff/orders/{number}/pay", headers=htmx_headers() if htmx else {},
                       data={"pay-paid_amount": amount, "pay-method": method, "pay-payment_ref": reference})


def test_a_manual_order_typed_in_lower_case_is_marked_paid_by_bank_transfer(app, client, login_as, shop):
    login_as("customer_service")
    created = client.post("/staff/orders/new", data=manual_order(
        channel_id=shop.channel_id, **{"lines-0-sku": "sn-001", "lines-1-sku": "gift-01"}))
    assert created.status_code == 303, created.text
    number = created.location.rsplit("/", 1)[-1]
    page = client.get(f"/staff/orders/{number}")
    assert "标记已付款" in page.text and 'value="189.80"' in page.text  # the amount the order asks

    wrong = mark_paid(client, number, "100.00", htmx=True)
    assert wrong.status_code == 422 and "实付金额应为应付金额 189.80" in wrong.text
    no_reference = mark_paid(client, number, "189.80", reference="")
    assert no_reference.status_code == 422 and "银行转账请填写银行流水号" in no_reference.text
    assert order_state(app, number).status == "01"

    assert mark_paid(client, number, "189.80").status_code == 303
    order = order_state(app, number)
    assert (order.status, order.paid_fen, order.payment_ref) == ("02", 18980, "BANK-889")
    assert level(app, "SN-001") == {"on_hand": 10, "reserved": 0, "locked": 2, "damaged": 0}
    with app.app_context():
        event = db.session.scalar(select(OrderEvent).where(OrderEvent.action == "pay"))
        assert event.details["payment_method"] == "bank_transfer" and event.actor.startswith("user:")
    assert_stock_consistent(app)


def test_cash_needs_no_reference_and_platform_orders_cannot_be_marked_paid(app, client, login_as, make_order, shop):
    login_as("customer_service")
    manual = make_order("01")
    assert mark_paid(client, manual, "199.80", method="cash", reference="").status_code == 303
    assert order_state(app, manual).status == "02"

    platform = make_order("01", channel_id=shop.other_channel_id)
    assert f"/staff/orders/{platform}/pay" not in client.get(f"/staff/orders/{platform}").text
    unpaid_manual = make_order("01")
    assert f"/staff/orders/{unpaid_manual}/pay" in client.get(f"/staff/orders/{unpaid_manual}").text
    refused = mark_paid(client, platform, "199.80", htmx=True)
    assert refused.status_code == 409 and "平台订单的付款由平台确认" in refused.text
    assert order_state(app, platform).status == "01"


def test_the_product_picker_shows_stock_per_warehouse(client, login_as, shop):
    login_as("customer_service")
    form = client.get("/staff/orders/new")
    assert 'id="product-results"' in form.text and "KIT-001" in form.text

    found = client.get("/staff/orders/new/products?q=坚果", headers=htmx_headers())
    assert "<html" not in found.text and "SN-001" in found.text and "SN-002" not in found.text
    assert "华东仓 10" in found.text and "华南仓 1" in found.text
    assert client.get("/staff/orders/new/products?q=x").status_code == 302  # not a page of its own
