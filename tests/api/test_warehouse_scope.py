"""Hardening item 10: a channel token's stock writes reach only the warehouses its channel manages."""

import pytest

from app.auth.api_tokens import Scope
from app.domain.inventory.models import StockLevel
from tests import factories
from tests.api.conftest import Api, count


def receipt(warehouse_code: str) -> dict:
    return {"warehouse": warehouse_code, "lines": [{"sku": "SKU-001", "qty": 1}]}


@pytest.fixture
def other_warehouse(app_context):
    return factories.WarehouseFactory(code="WH-BJ", name="华北仓", province="北京市", city="北京市", priority=2)


def test_a_warehouse_the_channel_does_not_manage_is_403_and_unchanged(client, make_token, sku, other_warehouse):
    api = Api(client, make_token([Scope.STOCK_WRITE]))
    levels_before = count(StockLevel)

    refused = api.post("/stock/receipts", json=receipt("WH-BJ"))
    counted = api.post("/stock/adjustments", json={"warehouse": "WH-BJ", "sku": "SKU-001", "counted": 0})

    assert refused.status_code == 403 and refused.json["error"]["details"] == {"warehouse": "WH-BJ"}
    assert counted.status_code == 403
    assert count(StockLevel) == levels_before
    assert api.post("/stock/receipts", json=receipt("WH-SH")).status_code == 201


def test_another_channels_token_cannot_write_this_warehouse(client, make_token, other_channel, sku):
    api = Api(client, make_token([Scope.STOCK_WRITE], for_channel=other_channel))

    assert api.post("/stock/receipts", json=receipt("WH-SH")).status_code == 403


def test_the_channels_default_warehouse_and_a_wildcard_are_managed(app, client, make_token, other_channel, sku,
                                                                    other_warehouse, warehouse, monkeypatch):
    other_channel.default_warehouse = other_warehouse
    api = Api(client, make_token([Scope.STOCK_WRITE], for_channel=other_channel))
    assert api.post("/stock/receipts", json=receipt("WH-BJ")).status_code == 201
    assert api.post("/stock/receipts", json=receipt("WH-SH")).status_code == 403

    monkeypatch.setitem(app.config, "API_STOCK_WAREHOUSES", {"pos-sh-01": ["*"]})
    assert api.post("/stock/receipts", json=receipt("WH-SH")).status_code == 201


def test_an_unknown_warehouse_is_still_the_views_422(client, make_token, sku):
    api = Api(client, make_token([Scope.STOCK_WRITE]))

    assert api.post("/stock/receipts", json=receipt("WH-NOWHERE")).status_code == 422
    assert api.post("/stock/receipts", json={"lines": []}).status_code == 422
