"""The goods total each platform states, in its real format, through the simulators and the pull: kept
on the order next to ours (the sum of the lines), a difference said once in the order's history, and the
money summing exactly — per-line amounts after discounts plus shipping make what was paid, and the
discount's funders make the discount."""

from datetime import timedelta

from sqlalchemy import select

from app.db import utcnow
from app.domain.channels import normalise
from app.domain.channels.amounts import GOODS_MISMATCH
from app.domain.channels.models import RawPayload
from app.domain.orders.models import Order, OrderEvent
from app.extensions import db
from tests.channels import douyin_support, pdd_support
from tests.channels.builders import taobao_trade
from tests.channels.pulls import T0, load_trade, pull_order
from tests.channels.real_formats import jd_real_order, youzan_real_order
from tests.channels.test_platform_after_sales import pulled
from tests.channels.test_real_formats import jd_list, load, pulled_order, youzan_list

douyin_shop, douyin_sim, douyin_adapter = douyin_support.douyin_shop, douyin_support.douyin_sim, douyin_support.douyin_adapter
pdd_shop, pdd_sim, pdd_adapter = pdd_support.pdd_shop, pdd_support.pdd_sim, pdd_support.pdd_adapter


def assert_sums_to_paid(order: Order, goods_total: int, paid: int) -> None:
    sold = [line for line in order.lines if not line.is_component]
    assert order.platform_goods_fen == goods_total == order.goods_fen
    assert sum(line.quantity * line.unit_price_fen - line.discount_fen for line in sold) + order.shipping_fen == paid
    assert order.paid_fen == paid
    assert order.discount_platform_fen + order.discount_seller_fen + order.discount_coupon_fen == order.discount_fen
    assert not mismatches(order)


def mismatches(order: Order) -> list[OrderEvent]:
    return list(db.session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id,
                                                            OrderEvent.action == GOODS_MISMATCH)))


def test_taobao_total_fee(world, taobao_sim, taobao_adapter):
    trade = taobao_trade("85001", "WAIT_SELLER_SEND_GOODS", T0, lines=(("SN-001", 1, "99.90"), ("HH-010", 2, "49.90")),
                         post="8.00", discount="30.00")
    trade["orders"]["order"][0]["divide_order_fee"] = "89.90"
    trade["orders"]["order"][1]["divide_order_fee"] = "79.80"
    trade["platform_subsidy_fee"] = "12.00"
    load_trade(taobao_sim, trade)
    order = pull_order(world.taobao, taobao_adapter, "85001")
    assert_sums_to_paid(order, 19970, 17770)
    assert (order.discount_platform_fen, order.discount_seller_fen) == (1200, 1800)


def test_jd_order_total_price(world, jd_sim, jd_adapter):
    assert load(jd_sim, jd_list(jd_real_order("3300001", utcnow() - timedelta(minutes=5)))).ok
    order, _link = pulled_order(world.jd, jd_adapter, "3300001")
    assert_sums_to_paid(order, 10980, 10580)
    assert (order.discount_seller_fen, order.discount_platform_fen, order.shipping_fen) == (1000, 0, 600)


def test_youzan_pay_info_total_fee(world, yz_shop, youzan_sim, yz_adapter):
    assert load(youzan_sim, youzan_list(youzan_real_order("E20261205330000000000001", utcnow() - timedelta(minutes=5)))).ok
    order, _link = pulled_order(yz_shop, yz_adapter, "E20261205330000000000001")
    assert_sums_to_paid(order, 9990, 9990)


def test_pdd_goods_amount(world, pdd_shop, pdd_sim, pdd_adapter):
    order = pdd_support.pdd_order("261205-330000000000001", douyin_support_t0(), items=(("SN-001", 2, 99.9),),
                                  postage=6, discount=15.5, encrypted=True) | {"platform_discount": 5.5}
    pdd_support.load(pdd_sim, [order])
    ours = pulled(pdd_shop, pdd_adapter, "261205-330000000000001")
    assert_sums_to_paid(ours, 19980, 19980 + 600 - 1550)
    assert (ours.discount_platform_fen, ours.discount_seller_fen) == (550, 1000)


def test_douyin_sku_orders_sum_amount(world, douyin_shop, douyin_sim, douyin_adapter):
    order = douyin_support.douyin_order("6900000000000033001", 2, douyin_support_t0(),
                                        lines=(("SN-001", 1, 9990), ("HH-010", 2, 4990)), post=800, promotion=1000)
    order |= {"promotion_platform_amount": 400, "promotion_shop_amount": 600, "promotion_talent_amount": 0}
    douyin_support.load(douyin_sim, [order])
    ours = pulled(douyin_shop, douyin_adapter, "6900000000000033001")
    assert_sums_to_paid(ours, 19970, 19970 + 800 - 1000)
    assert (ours.discount_platform_fen, ours.discount_seller_fen) == (400, 600)


def test_a_goods_total_unlike_the_lines_is_shown_and_said_once(world, taobao_sim, taobao_adapter, client, login_as):
    trade = taobao_trade("85002", "WAIT_SELLER_SEND_GOODS", T0) | {"total_fee": "209.80"}
    load_trade(taobao_sim, trade)
    order = pull_order(world.taobao, taobao_adapter, "85002")

    assert (order.platform_goods_fen, order.goods_fen, order.payable_fen) == (20980, 19980, 19980)
    [event] = mismatches(order)
    assert event.details == {"platform_goods_fen": 20980, "lines_fen": 19980}
    assert "209.80" in event.reason and "199.80" in event.reason

    payload = db.session.scalar(select(RawPayload).where(RawPayload.external_id == "85002"))
    normalise.process(payload)  # the same payload again says nothing new
    assert len(mismatches(order)) == 1
    order_no = order.order_no
    db.session.commit()

    login_as("customer_service")
    page = client.get(f"/staff/orders/{order_no}").text
    assert "平台商品金额" in page and "¥209.80" in page and "与商品行合计不一致" in page and "平台商品金额不一致" in page


def douyin_support_t0():
    return utcnow().replace(microsecond=0) - timedelta(minutes=20)
