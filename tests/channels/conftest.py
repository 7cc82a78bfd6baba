"""Channel sync fixtures: a stocked shop world, simulators served over real HTTP on a free localhost
port, adapters pointed at them with a recording (not sleeping) back-off, and the stock books checked
after every test."""

from dataclasses import dataclass

import pytest

from app.domain.catalog.models import Sku
from app.domain.channels.connect import build_adapter, settings_of
from app.domain.channels.shop_settings import CredentialsData, save_credentials
from app.domain.inventory import services as inventory
from app.domain.inventory.ledger import Change
from app.domain.orders.consistency import stock_differences
from app.domain.reference.models import Channel, Warehouse
from app.extensions import db
from app.simulators import jd, taobao, youzan
from app.simulators.shop_platform import serve
from tests import factories

STOCK = 50


@dataclass
class World:
    warehouse: Warehouse
    skus: dict[str, Sku]
    taobao: Channel
    tmall: Channel
    jd: Channel


@pytest.fixture(autouse=True)
def _stock_books_balance(_transaction, app_context):
    """Every channel scenario must leave the stock books balanced (levels = ledger = reservations)."""
    yield
    if not db.session.is_active:
        db.session.rollback()
    assert stock_differences() == []


@pytest.fixture
def world(_transaction, app_context) -> World:
    warehouse = factories.WarehouseFactory(code="WH-T", priority=1)
    skus = {code: factories.SkuFactory(code=code, price_fen=price)
            for code, price in (("SN-001", 9990), ("HH-010", 4990), ("BT-002", 5900))}
    kit = factories.SkuFactory(code="KIT-T1", price_fen=13900)
    factories.BundleComponentFactory(bundle=kit, component=skus["SN-001"], quantity=1)
    factories.BundleComponentFactory(bundle=kit, component=skus["HH-010"], quantity=2)
    skus["KIT-T1"] = kit
    inventory.receive(warehouse, [(sku, STOCK) for code, sku in skus.items() if code != "KIT-T1"],
                      Change("test", "期初入库"))
    for code, name in (("shunfeng", "顺丰速运"), ("zhongtong", "中通快递"), ("jd", "京东物流")):
        factories.CarrierFactory(code=code, name=name)
    channels = {}
    for code, platform, key, secret, session in (
            ("tb-shop", "taobao", taobao.DEMO_APP_KEY, taobao.DEMO_APP_SECRET, "sim-taobao-session"),
            ("tm-shop", "tmall", taobao.DEMO_APP_KEY, taobao.DEMO_APP_SECRET, "sim-tmall-session"),
            ("jd-shop", "jd", jd.DEMO_APP_KEY, jd.DEMO_APP_SECRET, "sim-jd-token")):
        channel = factories.ChannelFactory(code=code, platform=platform, unpaid_timeout_minutes=3 * 24 * 60)
        save_credentials(channel, CredentialsData(key, secret, session, "push-secret"), "test")
        settings_of(channel).calls_per_second = 1000  # our own limiter is tested on its own
        channels[platform] = channel
    db.session.flush()
    return World(warehouse, skus, channels["taobao"], channels["tmall"], channels["jd"])


@pytest.fixture
def taobao_sim():
    running = serve(taobao.TaobaoSimulator(seed=7))
    yield running
    running.stop()


@pytest.fixture
def jd_sim():
    running = serve(jd.JdSimulator(seed=7))
    yield running
    running.stop()


class Sleeper:
    """Records the back-off an adapter asks for instead of waiting it out."""

    def __init__(self):
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleeper() -> Sleeper:
    return Sleeper()


def gateways(taobao_url: str = "", jd_url: str = "") -> dict:
    return {"TAOBAO_GATEWAY_URL": taobao_url + "/router/rest" if taobao_url else "",
            "JD_GATEWAY_URL": jd_url + "/routerjson" if jd_url else "", "ORDERHUB_ENV": "testing"}


@pytest.fixture
def taobao_adapter(world, taobao_sim, sleeper):
    return build_adapter(world.taobao, gateways(taobao_sim.url), sleep=sleeper)


@pytest.fixture
def jd_adapter(world, jd_sim, sleeper):
    return build_adapter(world.jd, gateways(jd_url=jd_sim.url), sleep=sleeper)


@pytest.fixture
def youzan_sim():
    running = serve(youzan.YouzanSimulator(seed=7))
    yield running
    running.stop()


@pytest.fixture
def yz_shop(world):
    channel = factories.ChannelFactory(code="yz-shop", platform="youzan", unpaid_timeout_minutes=3 * 24 * 60)
    save_credentials(channel, CredentialsData(youzan.DEMO_APP_KEY, youzan.DEMO_APP_SECRET, "sim-youzan-token",
                                              youzan.DEMO_APP_SECRET, "sim-youzan-refresh"), "test")
    settings_of(channel).calls_per_second = 1000
    db.session.flush()
    return channel


@pytest.fixture
def yz_adapter(yz_shop, youzan_sim, sleeper):
    return build_adapter(yz_shop, {"YOUZAN_GATEWAY_URL": youzan_sim.url + "/api", "ORDERHUB_ENV": "testing"},
                         sleep=sleeper)
