"""Real-format orders (platform-apis.md shapes, not the simulators' own) through the simulators and the
pull: the simulators keep them as the platforms send them, and OrderHub imports them as a merchant sees
them on the platform."""

import json
from datetime import UTC, datetime, timedelta

import requests
from sqlalchemy import select

from app.db import utcnow
from app.domain.channels import mapping, pii, sync
from app.domain.channels.adapters.douyin import DEFAULT_MAPPING as DOUYIN_MAPPING
from app.domain.channels.models import ChannelOrder, RunStatus
from app.domain.channels.regions import official_province
from app.domain.orders import deadlines, timeouts
from app.domain.orders.models import Order
from app.domain.orders.states import OrderStatus
from app.extensions import db
from app.simulators import jd as jd_simulator
from tests.channels import pdd_support
from tests.channels.builders import gmt8, taobao_trade
from tests.channels.douyin_support import douyin_order
from tests.channels.pdd_support import pdd_order
from tests.channels.real_formats import jd_real_order, youzan_real_order

pdd_shop, pdd_sim, pdd_adapter = pdd_support.pdd_shop, pdd_support.pdd_sim, pdd_support.pdd_adapter


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
    assert (order.receiver_province, order.receiver_city, order.receiver_district) == ("浙江省", "杭州市", "西湖区")

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


def test_pdd_platform_times_from_gmt8_and_the_ship_by_time_drives_the_packing_deadline(world, pdd_shop, pdd_sim,
                                                                                        pdd_adapter):
    now = utcnow().replace(microsecond=0)
    placed = now - timedelta(hours=3)
    ship_by = now + timedelta(minutes=30)  # before the approval deadline a paid order would get otherwise
    real = pdd_order("261204-000000000000001", now - timedelta(minutes=5), encrypted=True)
    real |= {"created_time": gmt8(placed), "pay_time": gmt8(placed + timedelta(minutes=1)),
             "last_ship_time": gmt8(ship_by)}
    pdd_support.load(pdd_sim, [real])

    order, _link = pulled_order(pdd_shop, pdd_adapter, "261204-000000000000001")

    assert order.created_at == placed and order.paid_at == placed + timedelta(minutes=1)
    assert (order.ship_by_at, order.deadline_at, order.deadline_rule) == (ship_by, ship_by, deadlines.SHIP_BY_OVERDUE)
    assert timeouts.sweep_due(ship_by + timedelta(seconds=1)) == {deadlines.SHIP_BY_OVERDUE: 1}
    assert order.sla_flag == deadlines.SHIP_BY_OVERDUE and order.status == OrderStatus.PAID


def test_douyin_unix_times_are_utc_and_ship_by_follows_the_platform(world):
    order = douyin_order("6900000000000000001", 105, utcnow() - timedelta(minutes=5))
    order |= {"create_time": 1764806400, "exp_ship_time": 1764892800}  # 2025-12-04 08:00 / 12-05 08:00 GMT+8

    view = mapping.apply(DOUYIN_MAPPING, order)

    assert view.created_at == datetime(2025, 12, 4, 0, 0, tzinfo=UTC)
    assert view.ship_by_at == datetime(2025, 12, 5, 0, 0, tzinfo=UTC)


def test_province_names_are_the_official_ones():
    assert [official_province(name) for name in ("浙江", "浙江省", "广西", "内蒙古", "上海", "北", "")] == [
        "浙江省", "浙江省", "广西壮族自治区", "内蒙古自治区", "上海市", "北", ""]
