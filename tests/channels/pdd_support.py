"""Pinduoduo test helpers: the order builder in PDD's own format and the shop, simulator and adapter
fixtures (kept here rather than in the shared conftest, which other platforms edit)."""

from datetime import datetime

import pytest
import requests

from app.domain.channels.connect import build_adapter, settings_of
from app.domain.channels.shop_settings import CredentialsData, save_credentials
from app.simulators import pdd
from app.simulators.shop_platform import serve
from tests import factories
from tests.channels.builders import PLAIN, gmt8


def pdd_order(order_sn: str, modified: datetime, order_status: int = 1, refund_status: int = 1, risk: int = 0,
              items=(("SN-001", 2, 99.9),), postage: float = 0, discount: float = 0, waybill: str = "",
              logistics_id: int = 0, encrypted: bool = False) -> dict:
    """One order as increment.get lists it: yuan as JSON numbers, GMT+8 text times. The receiver is
    plaintext (the simulator encrypts it when loaded) unless ``encrypted``: then PDD's ciphertexts and masks."""
    goods = sum(round(price * count * 100) for _, count, price in items)
    pay = (goods - round(discount * 100) + round(postage * 100)) / 100
    order = {
        "order_sn": order_sn, "order_status": order_status, "refund_status": refund_status,
        "risk_control_status": risk, "confirm_status": 1, "group_status": 1, "goods_amount": goods / 100,
        "discount_amount": discount, "postage": postage, "pay_amount": pay, "created_time": gmt8(modified),
        "pay_time": gmt8(modified), "updated_at": gmt8(modified), "buyer_memo": "周末送货",
        "province": PLAIN["province"], "city": PLAIN["city"], "town": PLAIN["district"],
        "tracking_number": waybill, "logistics_id": logistics_id if waybill else 0,
        "item_list": [{"goods_id": 600000000000 + index, "sku_id": 500000000000 + index, "outer_id": code,
                       "outer_goods_id": f"G-{code}", "goods_name": f"商品 {code}", "goods_price": price,
                       "goods_count": count} for index, (code, count, price) in enumerate(items)],
    }
    if encrypted:
        order |= {"receiver_name": "~AgAAAAEBBQ==~3fa1~0~~", "receiver_phone": "$7a2c$AgAAAAEBBg==$0$$",
                  "receiver_address": "~AgAAAAEBCA==~9c0d~0~~", "address": "~AgAAAAEBBw==~9c0d~0~~",
                  "receiver_name_mask": "张*雯", "receiver_phone_mask": "1*********0",
                  "receiver_address_mask": "世纪大道****", "address_mask": "上海市上海市浦东新区世纪大道****"}
    else:
        order |= {"receiver_name": PLAIN["name"], "receiver_phone": PLAIN["phone"], "receiver_address": PLAIN["address"]}
    return order


def load(sim, orders: list[dict]) -> None:
    body = {"order_sn_increment_get_response": {"total_count": len(orders), "has_next": False, "order_sn_list": orders}}
    response = requests.post(f"{sim.url}/_sim/orders", json=body, timeout=5)
    assert response.ok, response.text


def configure(sim, **faults) -> None:
    assert requests.post(f"{sim.url}/_sim/config", json=faults, timeout=5).ok


def sim_state(sim) -> dict:
    return requests.get(f"{sim.url}/_sim/state", timeout=5).json()


@pytest.fixture
def pdd_shop(world):
    channel = factories.ChannelFactory(code="pdd-shop", platform="pdd", unpaid_timeout_minutes=3 * 24 * 60)
    save_credentials(channel, CredentialsData(pdd.DEMO_APP_KEY, pdd.DEMO_APP_SECRET, "sim-pdd-token", ""), "test")
    settings_of(channel).calls_per_second = 1000
    factories.CarrierFactory(code="yuantong", name="圆通速递")
    return channel


@pytest.fixture
def pdd_sim():
    running = serve(pdd.PddSimulator(seed=7))
    yield running
    running.stop()


@pytest.fixture
def pdd_adapter(pdd_shop, pdd_sim, sleeper):
    config = {"PDD_GATEWAY_URL": pdd_sim.url + "/api/router", "ORDERHUB_ENV": "testing"}
    return build_adapter(pdd_shop, config, sleep=sleeper)
