"""The Taobao simulator's demo stream does what real shops see after an order is made — a price cut
before payment, a new address before shipping, one line's refund asked then granted or withdrawn — in
TOP's own format, and each change reaches the master order through the pull."""

from datetime import timedelta

from app.domain.inventory import services as inventory
from app.domain.inventory.ledger import Change
from app.domain.orders.states import OrderStatus
from app.money import yuan_to_fen
from app.simulators.shop_platform import GMT8
from app.simulators.taobao import spread_order_discount
from tests import factories
from tests.channels.pulls import T0, pull_order

SELLER = "小满生活淘宝店"  # the simulator's shop behind world.taobao's session


def new_trade(world, taobao_sim, lines: int) -> dict:
    """A trade the simulator makes itself, with ``lines`` lines, whose SKUs the test world stocks."""
    simulator = taobao_sim.simulator
    trade = simulator.new_order(SELLER, at(0))
    while len(trade["orders"]["order"]) != lines:
        trade = simulator.new_order(SELLER, at(0))
    for line in trade["orders"]["order"]:
        sku = factories.SkuFactory(code=line["outer_sku_id"], price_fen=yuan_to_fen(line["price"]))
        inventory.receive(world.warehouse, [(sku, 20)], Change("test", "期初入库"))
    return trade


def at(minutes: int):
    return (T0 + timedelta(minutes=minutes)).astimezone(GMT8).replace(microsecond=0)


def test_the_order_discount_is_shared_by_the_lines_like_tops_divide_order_fee():
    lines = [{"payment": "100.00"}, {"payment": "50.00"}, {"payment": "0.01"}]
    spread_order_discount(lines, 500)
    assert [line["divide_order_fee"] for line in lines] == ["96.66", "48.34", "0.01"]
    assert sum(yuan_to_fen(line["divide_order_fee"]) for line in lines) == 15001 - 500


def test_a_price_cut_before_payment_reaches_the_order(world, taobao_sim, taobao_adapter):
    trade = new_trade(world, taobao_sim, lines=1)
    tid = trade["tid_str"]
    before = pull_order(world.taobao, taobao_adapter, tid).payable_fen

    taobao_sim.simulator.adjust_price(trade, at(1))
    order = pull_order(world.taobao, taobao_adapter, tid)

    cut = -yuan_to_fen(trade["adjust_fee"])
    assert cut >= 100 and order.payable_fen == before - cut == yuan_to_fen(trade["payment"])
    assert order.status == OrderStatus.PENDING_PAYMENT


def test_a_new_address_before_shipping_and_a_line_refund_asked_then_granted(world, taobao_sim, taobao_adapter):
    simulator = taobao_sim.simulator
    trade = new_trade(world, taobao_sim, lines=2)
    tid = trade["tid_str"]
    simulator._set(trade, "WAIT_SELLER_SEND_GOODS", at(1))
    trade["pay_time"] = trade["modified"]
    old_city = pull_order(world.taobao, taobao_adapter, tid).receiver_city

    simulator.change_address(trade, at(2))
    order = pull_order(world.taobao, taobao_adapter, tid)
    assert order.receiver_city != old_city and trade["receiver_name"].endswith("**")  # masked again on the platform

    simulator.request_line_refund(trade, at(3))
    assert pull_order(world.taobao, taobao_adapter, tid).status == OrderStatus.EXCEPTION

    line = next(line for line in trade["orders"]["order"] if line["refund_status"] == "WAIT_SELLER_AGREE")
    simulator.settle_line_refund(trade, line, granted=True, now=at(4))
    order = pull_order(world.taobao, taobao_adapter, tid)
    assert order.status == OrderStatus.PAID and order.refunded_fen == yuan_to_fen(line["divide_order_fee"])
    assert [each.refunded_quantity for each in order.lines if each.sku.code == line["outer_sku_id"]] == [line["num"]]


def test_a_withdrawn_line_refund_releases_the_order(world, taobao_sim, taobao_adapter):
    simulator = taobao_sim.simulator
    trade = new_trade(world, taobao_sim, lines=2)
    tid = trade["tid_str"]
    simulator._set(trade, "WAIT_SELLER_SEND_GOODS", at(1))
    trade["pay_time"] = trade["modified"]
    simulator.request_line_refund(trade, at(2))
    assert pull_order(world.taobao, taobao_adapter, tid).status == OrderStatus.EXCEPTION

    line = next(line for line in trade["orders"]["order"] if line["refund_status"] == "WAIT_SELLER_AGREE")
    simulator.settle_line_refund(trade, line, granted=False, now=at(3))
    order = pull_order(world.taobao, taobao_adapter, tid)
    assert order.status == OrderStatus.PAID and order.refunded_fen == 0
