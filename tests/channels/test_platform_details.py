"""Money, invoices and addresses as each platform says them, in its real format, through the simulators
and the pull: per-line paid amounts instead of a pro-rata spread, the discount split by who funds it
(summing exactly to goods + shipping − paid), the buyer's invoice request on the order's invoice
fields, the town / street and postcode kept and the region under its official names."""

from datetime import timedelta

from app.db import utcnow
from app.domain.orders.models import Order
from app.domain.orders.states import OrderStatus
from tests.channels import douyin_support, pdd_support
from tests.channels.builders import taobao_trade
from tests.channels.pulls import T0, load_trade, pull_order
from tests.channels.real_formats import jd_real_order, youzan_real_order
from tests.channels.test_real_formats import jd_list, load, pulled_order, youzan_list

douyin_shop, douyin_sim, douyin_adapter = douyin_support.douyin_shop, douyin_support.douyin_sim, douyin_support.douyin_adapter
pdd_shop, pdd_sim, pdd_adapter = pdd_support.pdd_shop, pdd_support.pdd_sim, pdd_support.pdd_adapter
TAX_ID = "91350100M000100Y43"


def assert_money_adds_up(order: Order, paid_fen: int) -> None:
    sold = [line for line in order.lines if not line.is_component]
    assert order.goods_fen + order.shipping_fen - order.discount_fen == order.payable_fen == paid_fen
    assert sum(line.discount_fen for line in sold) == order.discount_fen
    assert order.discount_platform_fen + order.discount_seller_fen + order.discount_coupon_fen == order.discount_fen


def line_discounts(order: Order) -> dict[str, int]:
    return {line.sku.code: line.discount_fen for line in order.lines if not line.is_component}


def test_taobao_line_paid_amounts_discount_funders_invoice_town_and_postcode(world, taobao_sim, taobao_adapter):
    trade = taobao_trade("84001", "WAIT_SELLER_SEND_GOODS", T0, lines=(("SN-001", 1, "99.90"), ("HH-010", 2, "49.90")),
                         post="8.00", discount="30.00")
    # TOP spreads the order discount by its own rule (not pro rata): the lines' divide_order_fee says how.
    trade["orders"]["order"][0]["divide_order_fee"] = "89.90"
    trade["orders"]["order"][1]["divide_order_fee"] = "79.80"
    trade |= {"platform_subsidy_fee": "12.00", "receiver_state": "浙江", "receiver_city": "杭州",
              "receiver_district": "西湖区", "receiver_town": "文新街道", "receiver_zip": "310012",
              "invoice_name": "福州某某科技有限公司", "invoice_kind": "1"}
    load_trade(taobao_sim, trade)

    order = pull_order(world.taobao, taobao_adapter, "84001")

    assert order.status == OrderStatus.PAID and order.paid_fen == 17770
    assert_money_adds_up(order, 17770)
    assert line_discounts(order) == {"SN-001": 1000, "HH-010": 2000}
    assert (order.discount_platform_fen, order.discount_seller_fen, order.discount_coupon_fen) == (1200, 1800, 0)
    assert (order.receiver_province, order.receiver_city, order.receiver_district, order.receiver_town,
            order.receiver_postcode) == ("浙江省", "杭州市", "西湖区", "文新街道", "310012")
    assert (order.invoice_title_type, order.invoice_title, order.invoice_kind) == ("company", "福州某某科技有限公司",
                                                                                   "normal")


def test_jd_invoice_info_and_code_become_the_orders_invoice_and_the_seller_funds_its_discount(world, jd_sim,
                                                                                              jd_adapter):
    real = jd_real_order("3200001", utcnow() - timedelta(minutes=5)) | {
        "invoiceInfo": "发票类型:电子普通发票;发票抬头:福州某某科技有限公司;发票内容:明细", "invoiceCode": TAX_ID}
    assert load(jd_sim, jd_list(real)).ok

    order, _link = pulled_order(world.jd, jd_adapter, "3200001")

    assert (order.invoice_title_type, order.invoice_title, order.invoice_tax_id, order.invoice_kind) == (
        "company", "福州某某科技有限公司", TAX_ID, "normal")
    assert_money_adds_up(order, 10580)
    assert (order.discount_seller_fen, order.discount_platform_fen) == (1000, 0)
    assert (order.receiver_province, order.receiver_town) == ("浙江省", "文新街道")
    assert any(event.action == "amended" and event.details["changes"]["invoice_tax_id"] == ["", TAX_ID]
               for event in order.events)


def test_jd_without_an_invoice_wanted_leaves_the_order_without_one(world, jd_sim, jd_adapter):
    assert load(jd_sim, jd_list(jd_real_order("3200002", utcnow() - timedelta(minutes=5)))).ok

    order, _link = pulled_order(world.jd, jd_adapter, "3200002")

    assert order.invoice_title_type is None and order.invoice_kind is None


def test_pdd_discount_split_and_invoice_request(world, pdd_shop, pdd_sim, pdd_adapter):
    order = pdd_support.pdd_order("261204-400000000000001", utcnow() - timedelta(minutes=10), encrypted=True,
                                  items=(("SN-001", 2, 99.9),), postage=6, discount=25.5)
    order |= {"platform_discount": 15.5, "seller_discount": 10, "capital_free_discount": 0, "invoice_status": 1}
    pdd_support.load(pdd_sim, [order])

    ours, _link = pulled_order(pdd_shop, pdd_adapter, "261204-400000000000001")

    assert_money_adds_up(ours, 18030)
    assert (ours.discount_platform_fen, ours.discount_seller_fen) == (1550, 1000)
    assert (ours.invoice_title_type, ours.invoice_title) == ("personal", "个人")
    assert (ours.receiver_province, ours.receiver_city, ours.receiver_district) == ("上海市", "上海市", "浦东新区")


def test_douyin_line_pay_amounts_promotions_by_funder_and_the_street(world, douyin_shop, douyin_sim, douyin_adapter):
    order = douyin_support.douyin_order("6900000000000010001", 2, utcnow() - timedelta(minutes=10), encrypted=True,
                                        lines=(("SN-001", 1, 9990), ("HH-010", 2, 4990)), post=600, promotion=2000)
    order["sku_order_list"][0]["pay_amount"] = 9990 - 500
    order["sku_order_list"][1]["pay_amount"] = 9980 - 1500
    order |= {"promotion_shop_amount": 1200, "promotion_platform_amount": 500, "promotion_talent_amount": 0,
              "promotion_pay_amount": 300}
    douyin_support.load(douyin_sim, [order])

    ours, _link = pulled_order(douyin_shop, douyin_adapter, "6900000000000010001")

    assert_money_adds_up(ours, 18570)
    assert line_discounts(ours) == {"SN-001": 500, "HH-010": 1500}
    assert (ours.discount_seller_fen, ours.discount_platform_fen, ours.discount_coupon_fen) == (1200, 500, 300)
    assert ours.receiver_town == "陆家嘴街道"


def test_youzan_line_payments_postcode_and_invoice(world, yz_shop, youzan_sim, yz_adapter):
    info = youzan_real_order("E20261204000101", utcnow() - timedelta(minutes=5))
    info["orders"] = [info["orders"][0] | {"num": 2, "price": "99.90", "total_fee": "199.80", "payment": "189.80"}]
    info["pay_info"] = {"total_fee": "199.80", "post_fee": "5.00", "payment": "194.80"}
    info["invoice_info"] = {"invoice_title": "个人", "email": "buyer@example.cn"}
    assert load(youzan_sim, youzan_list(info)).ok

    order, _link = pulled_order(yz_shop, yz_adapter, "E20261204000101")

    assert_money_adds_up(order, 19480)
    assert order.discount_seller_fen == 1000 and order.receiver_postcode == "310012"
    assert (order.invoice_title_type, order.invoice_title, order.invoice_email) == ("personal", "个人",
                                                                                    "buyer@example.cn")


def test_funders_that_do_not_fit_the_discount_are_not_trusted(world, taobao_sim, taobao_adapter):
    trade = taobao_trade("84002", "WAIT_SELLER_SEND_GOODS", T0, discount="5.00") | {"platform_subsidy_fee": "50.00"}
    load_trade(taobao_sim, trade)

    order = pull_order(world.taobao, taobao_adapter, "84002")

    assert (order.discount_seller_fen, order.discount_platform_fen) == (500, 0)
    assert_money_adds_up(order, 19480)
