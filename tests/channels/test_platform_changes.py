"""Changes after creation reach the master order: amounts before payment, the receiver before shipping
(applied, old → new in an event), after shipping (recorded and raised, not applied); through the
simulator and the pull in the platform's own format."""

from datetime import timedelta

from sqlalchemy import select

from app.domain.channels.models import ChannelOrder
from app.domain.logistics import shipments
from app.domain.orders import amend, services
from app.domain.orders.models import OrderEvent
from app.domain.orders.states import OrderStatus
from app.domain.reference.models import Carrier
from app.extensions import db
from tests.channels.builders import gmt8, taobao_trade
from tests.channels.pulls import T0, load_trade, pull_order


def amended(order) -> list[dict]:
    return [event.details["changes"] for event in db.session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order.id, OrderEvent.action == amend.AMENDED)
        .order_by(OrderEvent.id))]


def moved(trade: dict, minutes: int, **fields) -> dict:
    return trade | fields | {"modified": gmt8(T0 + timedelta(minutes=minutes))}


def test_a_price_adjusted_before_payment_is_followed_then_paid(world, taobao_sim, taobao_adapter):
    trade = taobao_trade("82001", "WAIT_BUYER_PAY", T0, lines=(("SN-001", 2, "99.90"),), post="10.00")
    load_trade(taobao_sim, trade)
    order = pull_order(world.taobao, taobao_adapter, "82001")
    assert order.payable_fen == 20980

    adjusted = moved(trade, 1, payment="180.00", adjust_fee="-29.80")
    load_trade(taobao_sim, adjusted)
    order = pull_order(world.taobao, taobao_adapter, "82001")
    assert (order.goods_fen, order.discount_fen, order.shipping_fen, order.payable_fen) == (19980, 2980, 1000, 18000)
    assert amended(order)[-1]["payable_fen"] == [20980, 18000]

    load_trade(taobao_sim, moved(adjusted, 2, status="WAIT_SELLER_SEND_GOODS", pay_time=gmt8(T0 + timedelta(minutes=2))))
    order = pull_order(world.taobao, taobao_adapter, "82001")
    assert order.status == OrderStatus.PAID and order.paid_fen == 18000


def test_an_address_change_before_shipping_applies_and_after_shipping_is_raised(world, taobao_sim, taobao_adapter):
    trade = taobao_trade("82002", "WAIT_SELLER_SEND_GOODS", T0)
    load_trade(taobao_sim, trade)
    pull_order(world.taobao, taobao_adapter, "82002")

    changed = moved(trade, 1, receiver_state="浙江省", receiver_city="杭州市", receiver_district="西湖区",
                    receiver_address="文三路****", oaid="oaid-82002-new")
    load_trade(taobao_sim, changed)
    order = pull_order(world.taobao, taobao_adapter, "82002")
    assert (order.receiver_province, order.receiver_city, order.receiver_district) == ("浙江省", "杭州市", "西湖区")
    assert amended(order)[-1]["receiver_city"] == ["上海市", "杭州市"]
    assert db.session.scalar(select(ChannelOrder).where(ChannelOrder.order_id == order.id)).pii_tokens["oaid"] \
        == "oaid-82002-new"

    services.approve(order, "user:test")
    services.pack(order, "user:test")
    shipments.ship_order(order, db.session.scalar(select(Carrier).where(Carrier.code == "shunfeng")), "SF300", "user:test")
    db.session.commit()
    load_trade(taobao_sim, moved(changed, 2, receiver_city="宁波市", receiver_district="鄞州区", oaid="oaid-82002-3"))
    order = pull_order(world.taobao, taobao_adapter, "82002")

    assert order.status == OrderStatus.EXCEPTION and order.receiver_city == "杭州市"  # recorded, not applied
    assert amended(order)[-1]["receiver_city"] == ["杭州市", "宁波市"]
