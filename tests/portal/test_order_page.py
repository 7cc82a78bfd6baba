"""The order page behind a signed link: status, progress, timeline, parcel, lines, invoice, masking."""

import re

import pytest

from app.domain.orders import services
from app.domain.orders.inputs import InvoiceRequest
from app.domain.orders.models import Order
from app.extensions import db
from tests.conftest import htmx_headers
from tests.portal import orders
from tests.portal.conftest import order_link

STEP_LABELS = ["待支付", "已支付", "审核通过", "打包中", "已出库", "运输中", "已签收", "已完成"]


def open_page(client, placed, phone=orders.RECEIVER_PHONE, **kwargs):
    response = client.get(order_link(client, placed.order_no, phone), **kwargs)
    assert response.status_code == 200, response.text
    return response


def done_steps(html: str) -> list[str]:
    return re.findall(r'<li class="done"[^>]*>\s*<span class="dot">✓</span>\s*<span class="label">([^<]+)<', html)


def current_step(html: str) -> str:
    return re.search(r'<li class="current"[^>]*>\s*<span class="dot">\d</span>\s*<span class="label">([^<]+)<',
                     html)[1]


def test_page_shows_status_progress_lines_and_amounts(client, make_order):
    placed = make_order("packing")

    html = open_page(client, placed).text

    assert placed.order_no in html
    assert 'data-testid="order-status">打包中<' in html
    assert all(label in html for label in STEP_LABELS)
    assert done_steps(html) == ["待支付", "已支付", "审核通过"]
    assert current_step(html) == "打包中"
    assert "不锈钢保温杯 500ml" in html and "× 2" in html
    assert "赠品" in html
    assert "¥258.00" in html  # goods: 2 × 129.00
    assert "¥256.00" in html  # payable: 258.00 - 10.00 + 8.00
    assert "小满旗舰店" in html


def test_personal_data_is_masked(client, make_order):
    html = open_page(client, make_order("paid")).text

    assert 'data-testid="receiver-name">张*<' in html
    assert 'data-testid="receiver-phone">138****8000<' in html
    assert 'data-testid="receiver-address">上海市 上海市 浦东新区 ****<' in html
    for secret in ("张晓雯", "13800138000", "13911112222", "世纪大道", "1203"):
        assert secret not in html


def test_timeline_uses_customer_wording_and_hides_internal_events(app, client, make_order):
    placed = make_order("exception")
    with app.app_context():
        order = db.session.get(Order, placed.id)
        services.add_event(order, "approval_overdue", "system", order.status, order.status, "审核后 2 小时未处理")
        db.session.commit()

    html = open_page(client, placed).text

    for wording in ("订单已提交", "付款成功", "商家已确认订单", "仓库正在打包", "订单处理遇到问题，客服正在处理"):
        assert wording in html
    for internal in ("收货地址不完整", "仓库主管内部备注", "审核后 2 小时未处理", "user:test", "标记异常"):
        assert internal not in html


@pytest.mark.parametrize(("state", "banner", "reached"), [
    ("cancelled", "订单已关闭", "待支付"),
    ("refunded", "订单已退款", "已支付"),
    ("exception", "订单处理遇到问题", "打包中"),
    ("after_sales", "售后申请处理中", "已签收"),
])
def test_orders_off_the_normal_path_say_so_and_show_how_far_they_got(client, make_order, state, banner, reached):
    html = open_page(client, make_order(state)).text

    assert 'class="progress off-path"' in html
    assert banner in html
    assert current_step(html) == reached


def test_no_parcel_before_shipping(client, make_order):
    html = open_page(client, make_order("approved")).text

    assert "包裹出库后，这里会显示快递公司和运单号。" in html
    assert orders.WAYBILL not in html


def test_once_shipped_the_carrier_waybill_and_tracking_events_show(client, make_order):
    html = open_page(client, make_order("signed")).text

    assert 'data-testid="waybill">SF1234567890123<' in html
    assert "顺丰速运" in html
    tracking = html.split('class="timeline tracking"', 1)[1].split("</ol>", 1)[0]
    assert [text for text in ("包裹已签收", "快递已揽收，运输中", "包裹已出库，运单号 SF1234567890123")
            if text in tracking] == ["包裹已签收", "快递已揽收，运输中", "包裹已出库，运单号 SF1234567890123"]
    assert "付款成功" not in tracking


def test_a_carrier_note_is_shown_with_phone_numbers_masked(app, client, make_order):
    placed = make_order("in_transit")
    with app.app_context():
        order = db.session.get(Order, placed.id)
        services.add_event(order, "tracking", "carrier:shunfeng", None, None,
                           details={"description": "快递员 李师傅 15012345678 正在派件"})
        db.session.commit()

    html = open_page(client, placed).text

    assert "快递员 李师傅 150****5678 正在派件" in html
    assert "15012345678" not in html


def test_company_invoice_information_is_shown(client, make_order):
    invoice = InvoiceRequest("company", "上海小满电子商务有限公司", "91310115MA1K3YJW2C", "finance@xiaoman.example.cn")

    html = open_page(client, make_order("paid", invoice=invoice)).text

    assert "企业" in html
    assert "上海小满电子商务有限公司" in html
    assert "91310115MA1K3YJW2C" in html
    assert "f***@xiaoman.example.cn" in html and "finance@" not in html


def test_a_personal_invoice_title_is_masked_like_a_name(client, make_order):
    html = open_page(client, make_order("paid", invoice=InvoiceRequest("personal", "王小明"))).text

    assert "王*" in html and "王小明" not in html


def test_without_invoice_the_page_says_none_was_asked_for(client, order):
    assert "下单时未填写发票信息。" in open_page(client, order).text


def test_htmx_refresh_returns_only_the_live_part(client, make_order):
    placed = make_order("in_transit")
    link = order_link(client, placed.order_no)

    response = client.get(link, headers=htmx_headers())

    assert response.status_code == 200
    assert '<div id="order-live"' in response.text
    assert "<html" not in response.text
    assert "运输中" in response.text
    assert "HX-Request" in response.headers["Vary"]


def test_page_is_private_no_cache_no_referrer(client, order):
    response = open_page(client, order)

    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response.headers["X-Robots-Tag"]


def test_english_is_selectable(client, order):
    link = order_link(client, order.order_no)
    client.post("/language/en", data={"next": link})

    html = client.get(link).text

    assert 'lang="en"' in html
    assert "Order details" in html
    assert "Paid" in html


POLLING = re.compile(r'<div id="order-live" hx-get="(/portal/o/[^"]+)"\s+hx-trigger="every (\d+)s" hx-swap="outerHTML"')


@pytest.mark.parametrize("state", ["paid", "packing", "in_transit"])
def test_a_moving_order_polls_its_live_part(client, make_order, state):
    placed = make_order(state)
    link = order_link(client, placed.order_no)

    page = client.get(link).text
    fragment = client.get(link, headers=htmx_headers()).text

    polling = POLLING.search(page)
    assert polling and polling[1] == link.split("?")[0] and int(polling[2]) > 0
    assert fragment.lstrip().startswith("<div id=\"order-live\" hx-get=") and "<html" not in fragment


@pytest.mark.parametrize("state", ["cancelled", "refunded", "completed"])
def test_a_settled_order_stops_polling(client, make_order, state):
    placed = make_order(state)
    link = order_link(client, placed.order_no)

    page, fragment = client.get(link).text, client.get(link, headers=htmx_headers()).text

    assert '<div id="order-live">' in page and 'id="order-live" hx-get' not in fragment
    assert "every 20s" not in fragment
