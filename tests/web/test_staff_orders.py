"""The order list, one order's page, and the manual order form (手工建单)."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from app.domain.orders import amend, deadlines, queries, services
from app.domain.orders.models import Order, OrderEvent
from app.extensions import db
from app.web.staff.orders import actions
from tests.conftest import htmx_headers
from tests.web.conftest import assert_stock_consistent, count_orders, level, order_state


def order_numbers(html: str) -> list[str]:
    return re.findall(r"<code>(OH\d+)</code></a>", html)


class TestOrderList:
    @pytest.fixture(autouse=True)
    def customer_service(self, login_as):
        login_as("customer_service")

    def test_full_page_has_filters_tabs_and_rows(self, client, make_order):
        number = make_order("02")

        response = client.get("/staff/orders")

        assert response.status_code == 200
        assert "<html" in response.text and 'id="order-results"' in response.text
        assert order_numbers(response.text) == [number]
        assert "已支付 <b>1</b>" in response.text
        assert "手工建单" in response.text  # customer service may create orders
        assert "不是有效的" not in response.text  # no filter complains when none is set
        assert "HX-Request" in response.headers["Vary"]

    def test_htmx_filtering_returns_only_the_results_section(self, client, make_order):
        paid, unpaid = make_order("02"), make_order("01")

        response = client.get("/staff/orders", query_string={"status": "01"}, headers=htmx_headers())

        assert response.status_code == 200
        assert "<html" not in response.text
        assert response.text.lstrip().startswith('<section id="order-results">')
        assert order_numbers(response.text) == [unpaid]
        assert paid not in response.text
        # the tabs still count every status under the other filters
        assert "待支付 <b>1</b>" in response.text and "已支付 <b>1</b>" in response.text

    def test_filters_without_htmx_give_the_whole_page_filtered(self, client, make_order):
        make_order("02")
        exception = make_order("E1")

        response = client.get("/staff/orders", query_string={"status": "E1"})

        assert "<html" in response.text
        assert order_numbers(response.text) == [exception]

    @pytest.mark.parametrize("field", ["order_no", "phone", "buyer_phone", "name", "external_id"])
    def test_search_finds_an_order_by_number_phone_name_or_channel_id(self, app, client, make_order, shop, field):
        wanted = make_order("02", channel_id=shop.other_channel_id, external_id="TB2026001",
                            buyer_phone="13700137000")
        make_order("02")  # receiver 张三 13800138000
        with app.app_context():
            db.session.execute(update(Order).where(Order.order_no == wanted).values(receiver_name="李四",
                                                                                  receiver_phone="13600136000"))
            db.session.commit()
        query = {"order_no": wanted[:12], "phone": "136 0013 6000", "buyer_phone": "+86 137-0013-7000",
                 "name": "李四", "external_id": "TB2026001"}[field]

        response = client.get("/staff/orders", query_string={"q": query}, headers=htmx_headers())

        assert order_numbers(response.text) == [wanted]

    def test_channel_warehouse_and_sla_filters(self, app, client, make_order, shop):
        late = make_order("03", channel_id=shop.other_channel_id)
        make_order("03")
        with app.app_context():
            db.session.execute(update(Order).where(Order.order_no == late)
                               .values(sla_flag=deadlines.APPROVAL_OVERDUE))
            db.session.commit()

        by_channel = client.get("/staff/orders", query_string={"channel": shop.other_channel_id})
        by_sla = client.get("/staff/orders", query_string={"sla": deadlines.APPROVAL_OVERDUE})
        by_warehouse = client.get("/staff/orders", query_string={"warehouse": shop.spare_warehouse_id})

        assert order_numbers(by_channel.text) == [late]
        assert order_numbers(by_sla.text) == [late]
        assert "审核后 2 小时未处理" in by_sla.text  # the SLA badge
        assert order_numbers(by_warehouse.text) == []

    def test_created_date_range_is_in_shanghai_days(self, app, client, make_order):
        early, late = make_order("02"), make_order("02")
        # 2026-03-01 23:30 in Shanghai is 15:30 UTC on the same day; 2026-03-02 00:30 is 16:30 UTC on 03-01.
        with app.app_context():
            for number, at in ((early, datetime(2026, 3, 1, 15, 30, tzinfo=UTC)),
                               (late, datetime(2026, 3, 1, 16, 30, tzinfo=UTC))):
                db.session.execute(update(Order).where(Order.order_no == number).values(created_at=at))
            db.session.commit()

        first_day = client.get("/staff/orders", query_string={"created_from": "2026-03-01", "created_to": "2026-03-01"})
        second_day = client.get("/staff/orders", query_string={"created_from": "2026-03-02"})

        assert order_numbers(first_day.text) == [early]
        assert order_numbers(second_day.text) == [late]

    def test_a_bad_date_is_shown_and_ignored(self, client, make_order):
        number = make_order("02")

        response = client.get("/staff/orders", query_string={"created_from": "2026-13-40"})

        assert response.status_code == 200
        assert "不是有效的日期值" in response.text
        assert order_numbers(response.text) == [number]

    def test_pages_hold_fifty_orders_and_the_next_page_continues_after_the_last(self, app, client, make_order):
        for _ in range(51):
            make_order("01", lines=(("GIFT-01", 1),))

        first = client.get("/staff/orders", query_string={"status": "01"})
        next_link = re.search(r'href="([^"]*after=\d+[^"]*)">下一页', first.text)[1].replace("&amp;", "&")
        second = client.get(next_link, headers=htmx_headers())

        assert len(order_numbers(first.text)) == 50
        assert "待支付 <b>51</b>" in first.text
        assert "status=01" in next_link  # the filters stay
        assert len(order_numbers(second.text)) == 1
        assert not set(order_numbers(second.text)) & set(order_numbers(first.text))
        assert "下一页" not in second.text and "回到第一页" in second.text

    def test_counts_stop_at_the_cap(self, app, client, make_order, monkeypatch):
        monkeypatch.setattr(queries, "COUNT_CAP", 2)
        for _ in range(3):
            make_order("01", lines=(("GIFT-01", 1),))
        make_order("02", lines=(("GIFT-01", 1),))

        response = client.get("/staff/orders")

        assert "待支付 <b>2+</b>" in response.text and "已支付 <b>1</b>" in response.text
        assert "全部 <b>3+</b>" in response.text


class TestOrderPage:
    def test_a_long_timeline_shows_its_newest_entries_and_links_to_all(self, app, client, login_as, make_order):
        login_as("customer_service")
        number = make_order("02")
        with app.app_context():
            order = db.session.scalar(select(Order).where(Order.order_no == number))
            db.session.add_all([OrderEvent(order_id=order.id, actor="user:kefu", action="mark_exception",
                                           reason=f"来电 {index:03d}") for index in range(120)])
            db.session.commit()

        short = client.get(f"/staff/orders/{number}")
        full = client.get(f"/staff/orders/{number}", query_string={"timeline": "all"})

        timeline = short.text[short.text.index('class="timeline"'):]
        hidden = int(re.search(r"较早的 (\d+) 条记录未显示", short.text)[1])
        assert timeline.count("<li") == actions.TIMELINE_SHOWN and hidden > 120 - actions.TIMELINE_SHOWN
        assert "来电 119" in short.text
        assert "来电 000" not in short.text and "timeline=all" in short.text
        assert "来电 000" in full.text and "未显示" not in full.text

    def test_show_more_adds_the_next_older_entries_until_none_are_left(self, app, client, login_as, make_order):
        login_as("customer_service")
        number = make_order("02")
        with app.app_context():
            order = db.session.scalar(select(Order).where(Order.order_no == number))
            db.session.add_all([OrderEvent(order_id=order.id, actor="user:kefu", action="mark_exception",
                                           reason=f"来电 {index:03d}") for index in range(120)])
            db.session.commit()
        page = client.get(f"/staff/orders/{number}").text
        hidden = int(re.search(r"较早的 (\d+) 条记录未显示", page)[1])
        more_url = f"/staff/orders/{number}/timeline?shown={actions.TIMELINE_SHOWN}"
        assert more_url in page

        shown, fragments = actions.TIMELINE_SHOWN, []
        while True:
            more = client.get(f"/staff/orders/{number}/timeline", query_string={"shown": shown},
                              headers=htmx_headers())
            assert more.status_code == 200 and "<html" not in more.text
            fragments.append(more.text)
            shown += more.text.count("<li")
            if "较早的" not in more.text:
                break
            assert f"shown={shown}" in more.text  # the next click continues where this one ends

        assert shown == actions.TIMELINE_SHOWN + hidden
        assert 'id="timeline-more" hx-swap-oob="true"' in fragments[-1]  # the line goes when nothing is left
        everything = "".join(reversed(fragments)) + page[page.index('id="order-timeline"'):]
        calls = re.findall(r"来电 (\d{3})", everything)
        assert calls == [f"{index:03d}" for index in range(120)]  # oldest first, none twice, none missing

    def test_show_more_without_htmx_opens_the_whole_timeline(self, client, login_as, make_order):
        login_as("customer_service")
        number = make_order("02")

        response = client.get(f"/staff/orders/{number}/timeline?shown=50")

        assert response.status_code == 302 and "timeline=all" in response.headers["Location"]

    def test_shows_header_lines_and_one_merged_timeline(self, client, login_as, make_order):
        login_as("warehouse")
        number = make_order("05", lines=(("KIT-001", 1), ("GIFT-01", 1, None, True)))

        response = client.get(f"/staff/orders/{number}")

        html = response.text
        assert response.status_code == 200 and "<html" in html
        assert "已出库" in html and "顺丰速运" in html and "SF100200300" in html
        assert "张三 13800138000" in html and "世纪大道 100 号" in html
        assert "¥149.00" in html
        assert 'class="component"' in html and "└ 手撕面包 1000g" in html
        assert "赠品</span>" in html
        timeline = html[html.index('class="timeline"'):]
        steps = ["创建订单", "支付", "审核通过", "开始打包", "出库", "出库扣减"]
        assert [timeline.index(step) for step in steps] == sorted(timeline.index(step) for step in steps)
        assert timeline.count("预占</span>") == 3  # SN-001, SN-002 (bundle components) and the gift
        assert "实付 ¥149.00" in timeline and "快递 shunfeng SF100200300" in timeline

    def test_pre_sale_lines_are_marked_as_waiting(self, client, login_as, make_order):
        login_as("customer_service")
        number = make_order("02", lines=(("PRE-001", 1), ("SN-001", 1)))

        html = client.get(f"/staff/orders/{number}").text

        assert "预售待到货" in html
        assert html.count('<span class="badge presale">') == 2  # the order's header and its line

    def test_fragment_with_htmx_is_the_panel_only(self, client, login_as, make_order):
        login_as("customer_service")
        number = make_order("02")

        response = client.get(f"/staff/orders/{number}", headers=htmx_headers())

        assert response.status_code == 200
        assert "<html" not in response.text
        assert response.text.lstrip().startswith('<section id="order-panel"')
        assert "HX-Request" in response.headers["Vary"]

    def test_unknown_order_is_404(self, client, login_as):
        login_as("customer_service")

        assert client.get("/staff/orders/OH000000000000").status_code == 404

    def test_buttons_are_what_both_state_and_role_allow(self, client, login_as, make_order):
        login_as("warehouse")
        paid, packing = make_order("02"), make_order("04")

        paid_page = client.get(f"/staff/orders/{paid}").text
        packing_page = client.get(f"/staff/orders/{packing}").text

        assert f"/staff/orders/{paid}/approve" in paid_page
        assert f"/staff/orders/{paid}/refund" not in paid_page  # the state allows it, the warehouse may not
        assert f"/staff/orders/{packing}/ship_out" in packing_page
        assert "停用快递" not in packing_page  # only active carriers to choose from
        assert f"/staff/orders/{packing}/approve" not in packing_page  # the role may, the state no longer

    def test_customer_service_sees_refund_and_not_pack(self, client, login_as, make_order):
        login_as("customer_service")
        approved = make_order("03")

        page = client.get(f"/staff/orders/{approved}").text

        assert f"/staff/orders/{approved}/refund" in page
        assert f"/staff/orders/{approved}/reject" in page
        assert f"/staff/orders/{approved}/pack" not in page


class TestAccess:
    def test_anonymous_is_sent_to_login(self, client, make_order):
        number = make_order("02")
        for url in ("/staff/orders", f"/staff/orders/{number}", "/staff/orders/new"):
            response = client.get(url)
            assert response.status_code == 302 and response.location.startswith("/login"), url
        assert client.post(f"/staff/orders/{number}/approve").location.startswith("/login")

    @pytest.mark.parametrize("role", ["finance", "finance_supervisor"])
    def test_finance_roles_read_orders_but_act_on_none(self, client, login_as, make_order, role):
        login_as(role)
        number = make_order("02")

        assert client.get("/staff/orders").status_code == 200
        assert client.get(f"/staff/orders/{number}").status_code == 200
        assert client.get("/staff/orders/new").status_code == 403
        assert client.post(f"/staff/orders/{number}/approve").status_code == 403

    def test_warehouse_may_not_open_the_manual_order_form(self, client, login_as, shop):
        login_as("warehouse")

        assert client.get("/staff/orders/new").status_code == 403
        assert client.post("/staff/orders/new", data=manual_order()).status_code == 403
        assert client.get("/staff/orders/new/line", query_string={"index": 3}, headers=htmx_headers()).status_code == 403
        assert "手工建单" not in client.get("/staff/orders").text


def manual_order(**overrides) -> dict:
    data = {
        "receiver_name": "王五", "receiver_phone": "13800138000", "receiver_province": "浙江省",
        "receiver_city": "杭州市", "receiver_district": "西湖区", "receiver_address": "文三路 90 号",
        "buyer_name": "王先生", "buyer_phone": "",
        "lines-0-sku": "SN-001", "lines-0-quantity": "2", "lines-0-unit_price": "",
        "lines-1-sku": "GIFT-01", "lines-1-quantity": "1", "lines-1-is_gift": "y",
        "lines-2-sku": "", "lines-2-quantity": "",
        "shipping_fee": "10.00", "discount": "20.00", "invoice_title_type": "", "remark": "电话下单",
    }
    return {key: value for key, value in (data | overrides).items() if value is not None}


class TestManualOrder:
    @pytest.fixture(autouse=True)
    def customer_service(self, login_as):
        login_as("customer_service")

    def test_form_defaults_to_the_manual_channel_with_three_rows(self, client, shop):
        response = client.get("/staff/orders/new")

        assert response.status_code == 200
        assert f'<option selected value="{shop.channel_id}">' in response.text
        assert 'name="lines-2-sku"' in response.text and 'name="lines-3-sku"' not in response.text

    def test_add_line_returns_one_row_and_moves_the_button_on(self, client, shop):
        response = client.get("/staff/orders/new/line", query_string={"index": 3}, headers=htmx_headers())

        assert response.status_code == 200
        assert "<html" not in response.text
        assert 'name="lines-3-sku"' in response.text
        assert 'hx-swap-oob="true"' in response.text and "index=4" in response.text

    def test_add_line_without_htmx_goes_to_the_form(self, client, shop):
        response = client.get("/staff/orders/new/line", query_string={"index": 3})

        assert response.status_code == 302
        assert response.location.endswith("/staff/orders/new")

    def test_creates_the_order_and_reserves_stock(self, app, client, shop):
        response = client.post("/staff/orders/new", data=manual_order(channel_id=shop.channel_id))

        assert response.status_code == 303
        number = response.location.rsplit("/", 1)[-1]
        order = order_state(app, number)
        assert order.status == "01" and order.receiver_name == "王五" and order.remark == "电话下单"
        assert order.payable_fen == 2 * 9990 + 1000 - 2000
        assert level(app, "SN-001")["reserved"] == 2 and level(app, "GIFT-01")["reserved"] == 1
        page = client.get(response.location).text
        assert "已创建订单" in page and "赠品" in page
        assert_stock_consistent(app)

    def test_company_invoice_and_a_price_of_our_own(self, app, client, shop):
        response = client.post("/staff/orders/new", data=manual_order(
            channel_id=shop.channel_id, **{"lines-0-unit_price": "88.00"}, invoice_title_type="company",
            invoice_title="小满科技有限公司", invoice_tax_id="91350100M000100Y43", invoice_email="fp@example.com"))

        order = order_state(app, response.location.rsplit("/", 1)[-1])
        assert order.goods_fen == 2 * 8800
        assert order.invoice_title_type == "company" and order.invoice_tax_id == "91350100M000100Y43"

    @pytest.mark.parametrize(("overrides", "message"), [
        ({"receiver_phone": ""}, "此项必填"),
        ({"receiver_phone": "12345"}, "请输入有效的中国大陆手机号或固定电话"),
        ({"lines-0-sku": "NOPE-1"}, "商品 NOPE-1 不存在"),
        ({"lines-0-quantity": "0"}, "数量必须是大于 0 的整数"),
        ({"lines-0-quantity": "两个"}, "不是有效的整数"),
        ({"invoice_title_type": "company", "invoice_title": "小满", "invoice_tax_id": "91350100M000100Y44"},
         "请填写有效的统一社会信用代码"),
        ({"lines-0-sku": "", "lines-0-quantity": "", "lines-1-sku": "", "lines-1-quantity": "",
          "lines-1-is_gift": None}, "订单至少要有一个商品"),
        ({"lines-2-quantity": "3"}, "请填写商品编码"),
        ({"discount": "500.00"}, "优惠不能超过商品金额"),
    ])
    def test_bad_input_is_refused_with_a_chinese_message_and_creates_nothing(self, app, client, shop, overrides,
                                                                            message):
        before = count_orders(app)

        response = client.post("/staff/orders/new", data=manual_order(channel_id=shop.channel_id, **overrides))

        assert response.status_code == 422
        assert message in response.text
        assert count_orders(app) == before
        assert level(app, "SN-001")["reserved"] == 0

    def test_the_error_sits_on_the_line_row_it_belongs_to(self, client, shop):
        response = client.post("/staff/orders/new", data=manual_order(
            channel_id=shop.channel_id, **{"lines-0-sku": "", "lines-0-quantity": "", "lines-1-sku": "NOPE-2"}))

        row = re.search(r'<tr class="line-row">(?:(?!</tr>).)*name="lines-1-sku"(?:(?!</tr>).)*</tr>', response.text, re.S)
        assert row and "商品 NOPE-2 不存在" in row.group(0)

    def test_out_of_stock_names_the_short_skus_and_creates_nothing(self, app, client, shop):
        before = count_orders(app)

        response = client.post("/staff/orders/new", data=manual_order(
            channel_id=shop.channel_id, **{"lines-0-sku": "KIT-001", "lines-0-quantity": "4"}))

        assert response.status_code == 409
        assert "库存不足：SN-002 需要 8 件，最多可用 6 件" in response.text
        assert count_orders(app) == before
        assert level(app, "SN-002")["reserved"] == 0
        assert_stock_consistent(app)

    def test_presale_cap_is_a_shortage_too(self, app, client, shop):
        response = client.post("/staff/orders/new", data=manual_order(
            channel_id=shop.channel_id, **{"lines-0-sku": "PRE-001", "lines-0-quantity": "6"}))

        assert response.status_code == 409
        assert "预售名额不足：PRE-001 需要 6 件，最多可用 5 件" in response.text


def test_list_shows_deadline_flags_as_badges(app, client, login_as, make_order):
    login_as("warehouse")
    number = make_order("04")
    with app.app_context():
        db.session.execute(update(Order).where(Order.order_no == number).values(
            sla_flag=deadlines.PACKING_OVERDUE, deadline_at=datetime.now(UTC) - timedelta(minutes=5)))
        db.session.commit()

    response = client.get("/staff/orders")

    assert '<span class="badge sla"' in response.text and "打包超过 1 小时" in response.text


def test_the_order_page_shows_the_promised_ship_by_time_and_platform_amendments(client, login_as, app, make_order):
    number = make_order("01")
    with app.app_context():
        order = services.get_order(number)
        order.ship_by_at = datetime(2026, 12, 5, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
        amend.record(order, amend.change_fields(order, {"receiver_city": "杭州市"}) | {"payable_fen": [20980, 18000]},
                     "平台修改了收货地址", "channel:taobao")
        db.session.commit()
    login_as("customer_service")

    page = client.get(f"/staff/orders/{number}").text

    assert "承诺发货" in page and "2026-12-05 12:00" in page
    assert "平台修改订单" in page and "→ 杭州市" in page and "¥209.80 → ¥180.00" in page


def test_the_order_page_shows_who_funds_the_discount_the_town_postcode_and_invoice_kind(client, login_as, app,
                                                                                        make_order):
    number = make_order("01")
    with app.app_context():
        order = services.get_order(number)
        order.discount_fen, order.discount_platform_fen, order.discount_seller_fen = 3000, 1200, 1800
        order.receiver_town, order.receiver_postcode = "文新街道", "310012"
        order.invoice_title_type, order.invoice_title, order.invoice_kind = "company", "福州某某科技有限公司", "special"
        db.session.commit()
    login_as("customer_service")

    page = client.get(f"/staff/orders/{number}").text
    client.post("/language/en", data={"next": "/staff/"})
    english = client.get(f"/staff/orders/{number}").text

    assert "其中平台承担" in page and "-¥12.00" in page and "其中商家承担" in page and "-¥18.00" in page
    assert "文新街道" in page and "310012" in page and "专票" in page
    assert "funded by the platform" in english and "VAT special invoice" in english
