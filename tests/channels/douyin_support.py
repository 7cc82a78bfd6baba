"""Douyin (抖店) test helpers: the shop order builder in 抖店's own format and the shop, simulator and
adapter fixtures (kept here rather than in the shared conftest, which other platforms edit)."""

from datetime import datetime

import pytest
import requests

from app.domain.channels.connect import build_adapter, settings_of
from app.domain.channels.shop_settings import CredentialsData, save_credentials
from app.simulators import douyin
from app.simulators.shop_platform import serve
from tests import factories
from tests.channels.builders import PLAIN

SHIPPED = (3, 5)


def douyin_order(order_id: str, status: int, modified: datetime, lines=(("SN-001", 2, 9990),), post: int = 0,
                 promotion: int = 0, waybill: str = "", company: str = "shunfeng", encrypted: bool = False,
                 paid: bool | None = None) -> dict:
    """One shop order as order.searchList lists it: fen integers, unix-second times. The receiver is
    plaintext (the simulator encrypts it when loaded) unless ``encrypted``: then 抖店's ciphertexts and masks."""
    goods = sum(price * count for _, count, price in lines)
    stamp = int(modified.timestamp())
    paid = status != 1 if paid is None else paid
    order = {
        "order_id": order_id, "shop_id": 100001, "order_status": status, "order_status_desc": "", "main_status": status,
        "create_time": stamp, "update_time": stamp, "pay_time": stamp if paid else 0, "finish_time": 0,
        "ship_time": stamp if status in SHIPPED else 0, "order_amount": goods + post,
        "pay_amount": goods + post - promotion, "post_amount": post, "promotion_amount": promotion, "pay_type": 1,
        "buyer_words": "周末送货", "seller_words": "",
        "post_addr": {"province": {"name": PLAIN["province"], "id": "31"}, "city": {"name": PLAIN["city"], "id": "3101"},
                      "town": {"name": PLAIN["district"], "id": "310115"}, "street": {"name": "陆家嘴街道", "id": "1"},
                      "detail": PLAIN["address"]},
        "logistics_info": [{"tracking_no": waybill, "company": company, "company_name": "顺丰速运"}] if waybill else [],
        "sku_order_list": [{"order_id": f"{order_id}{index}", "parent_order_id": order_id,
                            "product_id": 600000000000 + index, "product_id_str": str(600000000000 + index),
                            "sku_id": 500000000000 + index, "out_sku_id": code, "code": code,
                            "product_name": f"商品 {code}", "item_num": count, "origin_amount": price,
                            "sum_amount": price * count} for index, (code, count, price) in enumerate(lines)],
    }
    if encrypted:
        order |= {"post_receiver": "", "post_tel": "", "encrypt_post_receiver": "#张#AgAAAx1#",
                  "encrypt_post_tel": "$138$AgAAAx2$", "mask_post_receiver": "张**", "mask_post_tel": "138****8000",
                  "mask_post_addr": {**order["post_addr"], "detail": "世纪大道****"}}
        order["post_addr"] = {**order["post_addr"], "detail": "世纪大道****", "encrypt_detail": "#世纪#AgAAAx3#"}
    else:
        order |= {"post_receiver": PLAIN["name"], "post_tel": PLAIN["phone"]}
    return order


def list_response(orders: list[dict]) -> dict:
    return {"code": 10000, "msg": "success", "data": {"shop_order_list": orders, "page": 0, "size": 100,
                                                      "total": len(orders)}}


def load(sim, orders: list[dict]) -> None:
    response = requests.post(f"{sim.url}/_sim/orders", json=list_response(orders), timeout=5)
    assert response.ok, response.text


def configure(sim, **faults) -> None:
    assert requests.post(f"{sim.url}/_sim/config", json=faults, timeout=5).ok


def sim_state(sim) -> dict:
    return requests.get(f"{sim.url}/_sim/state", timeout=5).json()


def gateways(sim_url: str) -> dict:
    return {"DOUYIN_GATEWAY_URL": sim_url + "/", "ORDERHUB_ENV": "testing"}


@pytest.fixture
def douyin_shop(world):
    channel = factories.ChannelFactory(code="dy-shop", platform="douyin", unpaid_timeout_minutes=3 * 24 * 60)
    save_credentials(channel, CredentialsData(douyin.DEMO_APP_KEY, douyin.DEMO_APP_SECRET, "sim-douyin-token",
                                              douyin.DEMO_APP_SECRET, douyin.DEMO_REFRESH_TOKEN), "test")
    settings_of(channel).calls_per_second = 1000  # our own limiter is tested on its own
    return channel


@pytest.fixture
def douyin_sim():
    running = serve(douyin.DouyinSimulator(seed=7))
    yield running
    running.stop()


@pytest.fixture
def douyin_adapter(douyin_shop, douyin_sim, sleeper):
    return build_adapter(douyin_shop, gateways(douyin_sim.url), sleep=sleeper)
