"""Real-format orders (platform-apis.md shapes, not the simulators' own) through the simulators and the
pull: the simulators keep them as the platforms send them, and OrderHub imports them as a merchant sees
them on the platform."""

import json
from datetime import timedelta

import requests
from sqlalchemy import select

from app.db import utcnow
from app.domain.channels import pii, sync
from app.domain.channels.models import ChannelOrder, RunStatus
from app.domain.orders.models import Order
from app.domain.orders.states import OrderStatus
from app.extensions import db
from app.simulators import jd as jd_simulator
from tests.channels.builders import taobao_trade
from tests.channels.real_formats import jd_real_order, youzan_real_order


def load(sim, body, **params) -> requests.Response:
    return requests.post(f"{sim.url}/_sim/orders", params=params, json=body, timeout=5)


def jd_list(*orders) -> dict:
    return {"jingdong_pop_order_enSearch_responce": {"searchorderinfo_result": {"orderInfoList": list(orders)}}}


def youzan_list(*infos) -> dict:
    return {"data": {"full_order_info_list": [{"full_order_info": info} for info in infos]}}


def pulled_order(channel, adapter, external_id: str) -> tuple[Order, ChannelOrder]:
    report = sync.pull(channel, adapter, checkpoint=db.session.commit, now=utcnow())
    assert report.status == RunStatus.SUCCEEDED, report.errors
    link = db.session.scalar(select(ChannelOrder).where(ChannelOrder.channel_id == channel.id,
                                                        ChannelOrder.external_id == external_id))
    assert link is not None, report.errors
    return link.order, link


def test_jd_ciphertexts_stay_ciphertexts_and_the_order_imports_with_them_kept(world, jd_sim, jd_adapter):
    real = jd_real_order("3100001", utcnow() - timedelta(minutes=5))
    assert load(jd_sim, jd_list(real)).ok

    served = jd_sim.simulator.state.orders["3100001"]["consigneeInfo"]
    assert served["fullname"] == real["consigneeInfo"]["fullname"] and "fullnameMask" not in served

    order, link = pulled_order(world.jd, jd_adapter, "3100001")
    assert order.status == OrderStatus.PAID
    assert link.pii_tokens["mobile"] == "ENC:MTU5MDAwMDExMTE=~b2" and link.pii_tokens["oaid"]
    assert "ENC:" not in order.receiver_name + order.receiver_phone + order.receiver_address

    receiver = pii.reveal_receiver(order, jd_adapter, "1002", "user:test", checkpoint=db.session.commit)
    expected = jd_simulator.stand_in("phone", "ENC:MTU5MDAwMDExMTE=~b2")
    assert receiver.phone == expected and receiver.city == "杭州市"
    assert jd_sim.simulator.state.counters["decrypted"] == 1


def test_youzan_real_ciphertexts_are_masked_by_the_platform_never_echoed(world, yz_shop, youzan_sim, yz_adapter):
    assert load(youzan_sim, youzan_list(youzan_real_order("E20261204000001", utcnow() - timedelta(minutes=5)))).ok

    order, link = pulled_order(yz_shop, yz_adapter, "E20261204000001")

    assert "$" not in order.receiver_name + order.receiver_phone + order.receiver_address
    assert "*" in order.receiver_phone and link.pii_tokens
    masked = requests.post(f"{youzan_sim.url}/api/youzan.cloud.secret.decryptmask.batch/1.0.0",
                           params={"access_token": "sim-youzan-token"},
                           json={"sources": ["$bm90LW91cnM=$1$"]}, timeout=5).json()
    assert masked["success"] is False and "$bm90LW91cnM=$1$" not in json.dumps(masked)  # refused, not echoed


def test_a_load_names_the_shop_by_session_over_the_files_own_seller(world, taobao_sim):
    trade = taobao_trade("81501", "WAIT_SELLER_SEND_GOODS", utcnow(), masked=False) | {"seller_nick": "别人的店"}
    body = {"trades_sold_increment_get_response": {"trades": {"trade": [trade]}}}

    assert load(taobao_sim, body, session="sim-tmall-session").ok
    assert load(taobao_sim, body, session="no-such-session").status_code == 400

    state = taobao_sim.simulator.state
    assert state.sellers["81501"] == state.sessions["sim-tmall-session"] != "别人的店"


def test_the_trickle_moves_only_the_orders_it_made(jd_sim):
    simulator = jd_sim.simulator
    loaded = jd_real_order("3100002", utcnow() - timedelta(hours=1))
    assert load(jd_sim, jd_list(loaded)).ok
    before = json.dumps(simulator.state.orders["3100002"], sort_keys=True)

    for _ in range(60):
        simulator.trickle_step()

    assert json.dumps(simulator.state.orders["3100002"], sort_keys=True) == before
    assert simulator.state.trickled and "3100002" not in simulator.state.trickled
