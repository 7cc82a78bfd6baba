"""Raw payload → master order: states walked with their stock moves, replays and stale payloads harmless."""

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.db import utcnow
from app.domain.channels import mapping, normalise, payloads
from app.domain.channels.adapters.base import RawOrder
from app.domain.channels.models import ChannelError, ChannelOrder, PayloadSource, PayloadStatus, RawPayload
from app.domain.inventory.models import StockLevel
from app.domain.orders.consistency import stock_differences
from app.domain.orders.models import Order
from app.domain.orders.states import OrderStatus
from app.extensions import db
from tests.channels.builders import jd_order, taobao_trade

T0 = utcnow() - timedelta(hours=2)


def receive(channel, trade: dict, external_id: str | None = None):
    spec = normalise.spec_for(channel)
    identity, modified = mapping.identify(spec, trade)
    payload, _ = payloads.store(channel, RawOrder(external_id or identity, modified, trade), PayloadSource.PULL)
    return payload, normalise.process(payload)


def level(world, code: str) -> StockLevel:
    return db.session.scalar(select(StockLevel).where(StockLevel.sku_id == world.skus[code].id))


def order_of(channel, external_id: str) -> Order | None:
    return db.session.scalar(select(Order).where(Order.channel_id == channel.id, Order.external_id == external_id))


def test_a_new_unpaid_trade_creates_an_order_that_reserves_stock(world):
    payload, outcome = receive(world.taobao, taobao_trade("1001", "WAIT_BUYER_PAY", T0, post="8.00"))

    order = outcome.order
    assert outcome.created and payload.status == PayloadStatus.APPLIED and payload.order_id == order.id
    assert order.status == OrderStatus.PENDING_PAYMENT and order.payable_fen == 2 * 9990 + 800
    assert (order.receiver_name, order.receiver_phone) == ("张**", "138****8000")  # masked, kept as given
    assert level(world, "SN-001").reserved == 2
    link = db.session.scalar(select(ChannelOrder).where(ChannelOrder.order_id == order.id))
    assert link.pii_tokens == {"oaid": "oaid-1001"} and link.platform_status == "WAIT_BUYER_PAY"
    assert order.events[0].actor == f"channel:{world.taobao.code}"


def test_a_trade_first_seen_already_shipped_is_walked_through_every_state_with_its_stock(world):
    trade = taobao_trade("1002", "WAIT_BUYER_CONFIRM_GOODS", T0, waybill="SF7001", company="顺丰速运")

    _, outcome = receive(world.taobao, trade)

    order = outcome.order
    assert order.status == OrderStatus.SHIPPED_OUT and order.waybill_no == "SF7001"
    assert order.carrier.code == "shunfeng"
    assert [event.action for event in order.events] == ["create", "pay", "approve", "pack", "ship_out"]
    sn = level(world, "SN-001")
    assert (sn.on_hand, sn.reserved, sn.locked) == (48, 0, 0)


def test_refund_after_payment_releases_the_locked_stock(world):
    receive(world.taobao, taobao_trade("1003", "WAIT_SELLER_SEND_GOODS", T0))
    assert level(world, "SN-001").locked == 2

    _, outcome = receive(world.taobao, taobao_trade("1003", "TRADE_CLOSED", T0 + timedelta(minutes=5)))

    assert outcome.order.status == OrderStatus.REFUNDED and outcome.order.refunded_fen == outcome.order.paid_fen
    assert (level(world, "SN-001").locked, level(world, "SN-001").on_hand) == (0, 50)


def test_an_older_payload_never_moves_the_order_back(world):
    receive(world.taobao, taobao_trade("1004", "WAIT_SELLER_SEND_GOODS", T0 + timedelta(minutes=5)))

    payload, outcome = receive(world.taobao, taobao_trade("1004", "WAIT_BUYER_PAY", T0))

    assert payload.status == PayloadStatus.SUPERSEDED and outcome.order.status == OrderStatus.PAID


def test_processing_a_payload_again_gives_the_same_result(world):
    payload, first = receive(world.taobao, taobao_trade("1005", "WAIT_BUYER_CONFIRM_GOODS", T0, waybill="SF1"))
    events = len(first.order.events)

    again = normalise.process(payload)

    assert again.status == PayloadStatus.APPLIED and not again.created and not again.moved
    assert len(again.order.events) == events and level(world, "SN-001").on_hand == 48
    assert db.session.scalar(select(func.count()).select_from(Order).where(Order.external_id == "1005")) == 1


def test_an_unknown_merchant_code_waits_with_its_reason_and_leaves_no_half_order(world):
    payload, outcome = receive(world.taobao, taobao_trade("1006", "WAIT_SELLER_SEND_GOODS", T0,
                                                          lines=(("SN-001", 1, "99.90"), ("X-404", 1, "10.00"))))

    assert payload.status == PayloadStatus.WAITING_SKU_MAPPING and outcome.order is None
    assert payload.reason == "商家编码 X-404 未对应到商品"
    assert order_of(world.taobao, "1006") is None and level(world, "SN-001").reserved == 0
    error = db.session.scalar(select(ChannelError).where(ChannelError.raw_payload_id == payload.id))
    assert error.resolved_at is None


def test_an_unknown_status_is_an_error_that_a_mapping_override_fixes(world):
    from app.domain.channels.connect import settings_of

    payload, outcome = receive(world.taobao, taobao_trade("1007", "SOMETHING_NEW", T0))
    assert outcome.status == PayloadStatus.ERROR and "SOMETHING_NEW" in payload.reason

    settings_of(world.taobao).mapping_override = {"statuses": {"SOMETHING_NEW": "paid"}}
    assert normalise.process(payload).status == PayloadStatus.APPLIED
    assert order_of(world.taobao, "1007").status == OrderStatus.PAID
    assert db.session.scalar(select(ChannelError).where(ChannelError.raw_payload_id == payload.id)).resolved_at


def test_out_of_stock_is_an_error_to_retry_not_a_half_order(world):
    payload, outcome = receive(world.taobao, taobao_trade("1008", "WAIT_SELLER_SEND_GOODS", T0,
                                                          lines=(("SN-001", 51, "99.90"),)))
    assert outcome.status == PayloadStatus.ERROR and "库存不足" in payload.reason
    assert order_of(world.taobao, "1008") is None


def test_jd_orders_are_paid_on_arrival_and_a_lock_parks_them_until_released(world):
    order = jd_order("2001", "WAIT_SELLER_STOCK_OUT", T0)
    order["consigneeInfo"] |= {"fullnameMask": "张*", "mobileMask": "138****8000", "fullAddressMask": "上海****",
                               "fullname": "JDE:x", "mobile": "JDE:y", "fullAddress": "JDE:z"}
    _, outcome = receive(world.jd, order)
    assert outcome.order.status == OrderStatus.PAID

    receive(world.jd, order | {"orderState": "LOCKED", "modified": _later(order, 1)})
    assert outcome.order.status == OrderStatus.EXCEPTION

    receive(world.jd, order | {"orderState": "WAIT_SELLER_STOCK_OUT", "modified": _later(order, 2)})
    assert outcome.order.status == OrderStatus.PAID

    receive(world.jd, order | {"orderState": "TRADE_CANCELED", "modified": _later(order, 3)})
    assert outcome.order.status == OrderStatus.REFUNDED and level(world, "SN-001").locked == 0


def _later(order: dict, minutes: int) -> str:
    from tests.channels.builders import gmt8

    return gmt8(T0 + timedelta(minutes=minutes))


# ---- arrival order does not matter ---------------------------------------------------------------------

FLOWS = {
    "delivered": [("WAIT_BUYER_PAY", OrderStatus.PENDING_PAYMENT), ("WAIT_SELLER_SEND_GOODS", OrderStatus.PAID),
                  ("WAIT_BUYER_CONFIRM_GOODS", OrderStatus.SHIPPED_OUT), ("TRADE_FINISHED", OrderStatus.COMPLETED)],
    "refunded": [("WAIT_BUYER_PAY", OrderStatus.PENDING_PAYMENT), ("WAIT_SELLER_SEND_GOODS", OrderStatus.PAID),
                 ("TRADE_CLOSED", OrderStatus.REFUNDED)],
}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flow=st.sampled_from(sorted(FLOWS)), data=st.data())
def test_the_newest_payload_wins_whatever_the_arrival_order_and_duplicates(world, flow, data):
    steps = FLOWS[flow]
    arrivals = data.draw(st.lists(st.integers(0, len(steps) - 1), min_size=1, max_size=8), label="arrivals")
    savepoint = db.session.begin_nested()
    try:
        for index in arrivals:
            status, _ = steps[index]
            trade = taobao_trade("3001", status, T0 + timedelta(minutes=index), waybill="SF3001" if index >= 2 else "")
            receive(world.taobao, trade)
        order = order_of(world.taobao, "3001")
        assert order.status == steps[max(arrivals)][1]
        assert db.session.scalar(select(func.count()).select_from(RawPayload)
                                 .where(RawPayload.external_id == "3001")) == len(set(arrivals))
        assert stock_differences() == []
    finally:
        savepoint.rollback()


def test_a_pulls_shop_context_resolves_each_merchant_code_once_and_asks_again_for_an_unknown_one(world):
    from app.domain.channels import skus

    shop = normalise.ShopContext.of(world.taobao)
    first, first_outcome = receive_with(shop, world.taobao, taobao_trade("1009", "WAIT_BUYER_PAY", T0))
    assert first_outcome.created and shop.sku_codes == {"SN-001": "SN-001"}

    asked = []
    real_resolve = skus.resolve

    def counting(channel, codes):
        asked.append(set(codes))
        return real_resolve(channel, codes)

    skus.resolve = counting
    try:
        _, again = receive_with(shop, world.taobao, taobao_trade("1010", "WAIT_BUYER_PAY", T0))
        waiting, unknown = receive_with(shop, world.taobao, taobao_trade(
            "1011", "WAIT_BUYER_PAY", T0, lines=(("SN-001", 1, "99.90"), ("X-405", 1, "10.00"))))
        skus.save_mapping(world.taobao, "X-405", "SN-001", "user:ops")  # staff map the unknown code meanwhile
        _, mapped = receive_with(shop, world.taobao, taobao_trade(
            "1012", "WAIT_BUYER_PAY", T0, lines=(("X-405", 1, "10.00"),)))
    finally:
        skus.resolve = real_resolve

    assert again.created and mapped.created
    assert unknown.status == PayloadStatus.WAITING_SKU_MAPPING and waiting.reason == "商家编码 X-405 未对应到商品"
    assert asked == [{"X-405"}, {"X-405"}]  # SN-001 never again; the unknown code asked until it resolves
    assert order_of(world.taobao, "1012").lines[0].sku.code == "SN-001"


def receive_with(shop: normalise.ShopContext, channel, trade: dict):
    identity, modified = mapping.identify(shop.spec, trade)
    payload, _ = payloads.store(channel, RawOrder(identity, modified, trade), PayloadSource.PULL)
    return payload, normalise.process(payload, shop)
