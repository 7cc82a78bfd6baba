"""PUT /warehouses/{code}, GET and PUT /carriers, PUT /carriers/{code}/rate-card, POST /routing/plan."""

import pytest
from sqlalchemy import select

from app.db import utcnow
from app.domain.reference.models import Warehouse
from app.domain.routing.facts import cutoff_passed
from app.domain.routing.models import RateCard
from app.extensions import db
from tests import factories
from tests.api.conftest import Api, count

CARD = {"volumetric_divisor": 8000, "weight_step_kg": "1",
        "rates": [{"from": "上海", "to": "浙江", "first_kg": "1", "first_price": "6.00",
                   "additional_price_per_kg": "2.00", "days": 1},
                  {"from": "上海市", "to": "新疆", "first_kg": "1", "first_price": "12.00",
                   "additional_price_per_kg": "8.00", "days": 4}],
        "remote_surcharge": {"新疆维吾尔自治区": "10.00"}, "unserved": ["西藏"]}


@pytest.fixture
def carrier(app_context):
    return factories.CarrierFactory(code="ZTO", name="中通快递", tracking_code="zhongtong")


def test_put_warehouse_creates_with_coordinates_from_the_city_then_updates(api, carrier):
    created = api.put("/warehouses/WH-HZ", json={"name": "杭州仓", "province": "浙江", "city": "杭州市",
                                                 "district": "余杭区", "cutoff": "17:30", "carriers": ["ZTO"],
                                                 "excluded_provinces": ["西藏", "新疆"], "daily_capacity": 500})
    updated = api.put("/warehouses/WH-HZ", json={"priority": 3, "active": False})

    assert created.status_code == 201, created.json
    body = created.json
    assert (body["province"], body["district"], body["cutoff"], body["carriers"]) == ("浙江省", "余杭区", "17:30", ["ZTO"])
    assert body["excluded_provinces"] == ["新疆维吾尔自治区", "西藏自治区"]
    assert 30.0 < body["latitude"] < 30.6 and 119.8 < body["longitude"] < 120.4
    assert updated.status_code == 200
    assert (updated.json["priority"], updated.json["active"], updated.json["name"]) == (3, False, "杭州仓")
    assert updated.json["latitude"] == body["latitude"]


@pytest.mark.parametrize(("body", "field"), [
    ({"name": "X", "province": "火星", "city": "A"}, "province"),
    ({"name": "X", "province": "浙江", "city": "杭州", "cutoff": "25:00"}, "cutoff"),
    ({"name": "X", "province": "浙江", "city": "杭州", "carriers": ["NOPE"]}, "carriers"),
    ({"name": "X", "province": "浙江", "city": "杭州", "excluded_provinces": ["火星"]}, "excluded_provinces"),
    ({"province": "浙江", "city": "杭州"}, "name"),
    ({"name": "X", "province": "浙江", "city": "杭州", "daily_capacity": -1}, "daily_capacity"),
])
def test_put_warehouse_errors_name_the_field_and_write_nothing(api, body, field):
    response = api.put("/warehouses/WH-NEW", json=body)

    assert response.status_code == 422, response.json
    assert field in response.json["error"]["details"]["fields"]
    assert count(Warehouse, Warehouse.code == "WH-NEW") == 0


def test_routing_writes_need_their_scope(client, make_token):
    response = Api(client, make_token(["orders"])).put("/carriers/SF", json={"name": "顺丰速运"})

    assert response.status_code == 403


def test_carriers_are_listed_created_and_updated(api, carrier):
    created = api.put("/carriers/SF", json={"name": "顺丰速运", "tracking_code": "shunfeng"})
    updated = api.put("/carriers/SF", json={"active": False})
    listed = api.get("/carriers").json["carriers"]

    assert created.status_code == 201 and updated.status_code == 200
    assert listed == [{"code": "SF", "name": "顺丰速运", "tracking_code": "shunfeng", "active": False},
                      {"code": "ZTO", "name": "中通快递", "tracking_code": "zhongtong", "active": True}]
    assert api.put("/carriers/EMS", json={"name": "EMS", "tracking_code": "E M S"}).status_code == 422


def test_rate_card_is_replaced_whole_with_surcharges_and_unserved_destinations(api, carrier):
    api.put("/carriers/ZTO/rate-card", json=CARD)
    response = api.put("/carriers/ZTO/rate-card", json=CARD)

    assert response.status_code == 200, response.json
    assert response.json == {"carrier": "ZTO", "rows": 3}
    rows = {row.destination_province: row for row in db.session.scalars(select(RateCard))}
    assert set(rows) == {"浙江省", "新疆维吾尔自治区", "西藏自治区"}
    assert (rows["浙江省"].first_fen, rows["浙江省"].extra_fen_per_kg, rows["浙江省"].surcharge_fen) == (600, 200, 0)
    assert (rows["新疆维吾尔自治区"].surcharge_fen, rows["新疆维吾尔自治区"].transit_days) == (1000, 4)
    assert rows["西藏自治区"].served is False and rows["浙江省"].served is True
    assert {row.volumetric_divisor for row in rows.values()} == {8000}


def test_a_rate_card_with_bad_rows_names_each_and_keeps_the_old_card(api, carrier):
    api.put("/carriers/ZTO/rate-card", json=CARD)
    bad = CARD | {"rates": [CARD["rates"][0] | {"to": "火星"}, CARD["rates"][1] | {"days": 0},
                            CARD["rates"][0] | {"first_kg": "0"}]}

    response = api.put("/carriers/ZTO/rate-card", json=bad)

    assert response.status_code == 422
    fields = response.json["error"]["details"]["fields"]
    assert {"rates[0].to", "rates[1].days", "rates[2].first_kg"} <= set(fields)
    assert count(RateCard) == 3


@pytest.fixture
def routable(app_context, carrier, warehouse, sku):
    factories.WarehouseFactory(code="WH-BJ", name="华北仓", province="北京市", city="北京市", latitude=39.9,
                               longitude=116.4, priority=2)
    db.session.commit()


def test_plan_is_a_dry_run_with_parcels_and_every_candidate(api, routable):
    api.put("/carriers/ZTO/rate-card", json=CARD)

    response = api.post("/routing/plan", json={"receiver": {"province": "浙江", "city": "杭州市"},
                                               "lines": [{"sku": "SKU-001", "qty": 2}], "strategy": "cheapest"})

    assert response.status_code == 200, response.json
    body = response.json
    # the card's 2 days, a day more once WH-SH's 16:00 cut-off (Shanghai time) has passed today
    late = cutoff_passed(db.session.scalar(select(Warehouse).where(Warehouse.code == "WH-SH")).cutoff_time, utcnow())
    assert (body["strategy"], body["split"], body["eta_days"]) == ("cheapest", False, 3 if late else 2)
    parcel = body["parcels"][0]
    assert (parcel["warehouse"], parcel["carrier"], parcel["lines"]) == ("WH-SH", "ZTO", [{"sku": "SKU-001", "qty": 2}])
    assert body["total_cost"] == parcel["cost"]
    verdicts = {c["warehouse"]: c["verdict"] for c in body["considered"]}
    assert verdicts == {"WH-SH": "won", "WH-BJ": "no_carrier"}  # the card has no price from 北京


@pytest.mark.parametrize(("body", "field"), [
    ({"receiver": {"province": "火星"}, "lines": [{"sku": "SKU-001", "qty": 1}]}, "receiver.province"),
    ({"receiver": {"province": "浙江"}, "lines": [{"sku": "NOPE", "qty": 1}]}, "lines[0].sku"),
    ({"receiver": {"province": "浙江"}, "lines": [{"sku": "SKU-001", "qty": 1}], "strategy": "random"}, "strategy"),
])
def test_plan_refuses_an_unknown_sku_or_province_naming_the_field(api, routable, body, field):
    response = api.post("/routing/plan", json=body)

    assert response.status_code == 422
    assert field in response.json["error"]["details"]["fields"]


def test_plan_nobody_can_ship_is_409_unroutable_with_reasons(api, routable):
    api.put("/carriers/ZTO/rate-card", json=CARD)

    response = api.post("/routing/plan", json={"receiver": {"province": "西藏"},
                                               "lines": [{"sku": "SKU-001", "qty": 1}]})

    assert response.status_code == 409
    assert response.json["error"]["code"] == "unroutable"
    assert response.json["error"]["details"]["reasons"]
