"""API fixtures: a warehouse with stock, a channel, tokens with chosen scopes, and a client that sends them.

Every test here also ends with the stock consistency check: whatever the API did, the levels must
still equal the ledger and the reservations.
"""

import pytest

from app.auth.api_tokens import Scope, create_token
from app.domain.catalog.models import Sku
from app.domain.inventory import services as inventory
from app.domain.inventory.ledger import Change
from app.domain.orders.consistency import stock_differences
from app.domain.reference.models import Channel, Warehouse
from app.extensions import db
from tests import factories

ALL_SCOPES = [str(scope) for scope in Scope]
RECEIVER = {"name": "张三", "phone": "13800138000", "province": "上海市", "city": "上海市",
            "district": "浦东新区", "address": "世纪大道100号"}
VALID_TAX_ID = "91350100M000100Y43"


class Api:
    """The Flask test client with a Bearer token and an optional Idempotency-Key."""

    def __init__(self, client, token: str | None):
        self.client = client
        self.token = token

    def request(self, method: str, path: str, *, token: str | None = "default", key: str | None = None,
                headers: dict | None = None, **kwargs):
        headers = dict(headers or {})
        token = self.token if token == "default" else token
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if key is not None:
            headers["Idempotency-Key"] = key
        return self.client.open("/api/v1" + path, method=method, headers=headers, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def put(self, path, **kwargs):
        return self.request("PUT", path, **kwargs)


@pytest.fixture(autouse=True)
def _stock_stays_consistent(_transaction, app):
    yield
    with app.app_context():
        db.session.expire_all()
        assert stock_differences() == []


@pytest.fixture(autouse=True)
def _channel_manages_the_test_warehouse(app, monkeypatch):
    """The tests' channel may write WH-SH's stock (channel tokens write only their warehouses' stock)."""
    monkeypatch.setitem(app.config, "API_STOCK_WAREHOUSES", {"miniapp": ["WH-SH"]})


@pytest.fixture
def warehouse(app_context) -> Warehouse:
    return factories.WarehouseFactory(code="WH-SH", name="华东仓", province="上海市", city="上海市", priority=1)


@pytest.fixture
def channel(app_context) -> Channel:
    return factories.ChannelFactory(code="miniapp", platform="miniapp", shop_name="小程序商城")


@pytest.fixture
def other_channel(app_context) -> Channel:
    return factories.ChannelFactory(code="pos-sh-01", platform="pos", shop_name="上海一号店")


def receive(warehouse: Warehouse, sku: Sku, quantity: int) -> None:
    inventory.receive(warehouse, [(sku, quantity)], Change("test", "测试入库"))


@pytest.fixture
def sku(warehouse) -> Sku:
    """SKU-001 at 59.00 with 10 units in WH-SH."""
    sku = factories.SkuFactory(code="SKU-001", name="保温杯", price_fen=5900)
    receive(warehouse, sku, 10)
    return sku


@pytest.fixture
def make_token(app_context, channel):
    def make(scopes=None, for_channel: Channel | None = None) -> str:
        _row, token = create_token(for_channel or channel, list(scopes or ALL_SCOPES), "测试令牌", "test")
        return token

    return make


@pytest.fixture
def token(make_token) -> str:
    return make_token()


@pytest.fixture
def api(client, token) -> Api:
    return Api(client, token)


def order_body(**overrides) -> dict:
    body = {
        "external_id": "MP20261125000123",
        "buyer": {"name": "张三", "phone": "13800138000"},
        "receiver": dict(RECEIVER),
        "lines": [{"sku": "SKU-001", "qty": 2, "unit_price": "59.00"}],
        "shipping_fee": "0.00",
        "discount": "10.00",
    }
    body.update(overrides)
    return body


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(db.select(db.func.count()).select_from(model).where(*where))
