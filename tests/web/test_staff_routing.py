"""The routing pages: the decision on the order page, the parked queue with manual assign and re-route,
the strategy page with its simulation."""

import pytest
from sqlalchemy import select

from app.domain.orders import services as orders
from app.domain.reference.models import Warehouse
from app.domain.routing import cards, services
from app.domain.routing.models import RoutingSetting
from app.extensions import db
from tests.web.conftest import assert_stock_consistent, level


@pytest.fixture
def cards_for_shop(app, shop):
    """Both test warehouses are in Shanghai; 顺丰 ships from there to Shanghai for ¥8."""
    with app.app_context():
        cards.save_rows([{"carrier": "shunfeng", "origin_province": "上海市", "destination_province": "上海市",
                          "first_weight_g": 1000, "first_fen": 800, "extra_fen_per_kg": 200, "step_g": 1000,
                          "volumetric_divisor": 6000, "surcharge_fen": 0, "transit_days": 1, "served": True}])
        db.session.commit()


def route(app, number: str) -> str:
    with app.app_context():
        decision = services.route_order(orders.get_order(number), "system")
        db.session.commit()
        return decision.outcome


def test_the_order_page_shows_the_decision_and_every_candidate(client, login_as, app, make_order, cards_for_shop):
    number = make_order("02")
    assert route(app, number) == "routed"
    login_as("customer_service")
    page = client.get(f"/staff/orders/{number}")
    assert page.status_code == 200
    assert 'data-testid="routing-decision"' in page.text
    assert "运费最低" in page.text and "WH-A" in page.text and "胜出" in page.text
    assert "WH-B" in page.text and "库存不足" in page.text  # WH-B holds 1 of the 2 units


def test_a_parked_order_is_queued_and_assigned_by_hand(client, login_as, app, make_order, shop, cards_for_shop):
    number = make_order("02", lines=(("SN-001", 1),))
    with app.app_context():
        db.session.get(Warehouse, shop.warehouse_id).unserved_provinces = ["上海市"]
        db.session.get(Warehouse, shop.spare_warehouse_id).unserved_provinces = ["上海市"]
        db.session.commit()
    assert route(app, number) == "parked"
    login_as("customer_service")
    queue = client.get("/staff/routing/parked")
    assert number in queue.text and "不配送该地区" in queue.text

    assert client.post(f"/staff/orders/{number}/assign", data={"warehouse_id": shop.spare_warehouse_id,
                                                               "carrier_id": shop.carrier_id,
                                                               "reason": ""}).status_code == 422
    answer = client.post(f"/staff/orders/{number}/assign", data={"warehouse_id": shop.spare_warehouse_id,
                                                                 "carrier_id": shop.carrier_id,
                                                                 "reason": "客户同意从华南仓发"})
    assert answer.status_code == 303
    assert level(app, "SN-001", "WH-B")["locked"] == 1
    assert number not in client.get("/staff/routing/parked").text
    assert_stock_consistent(app)


def test_reroute_of_a_shipped_order_is_refused_without_change(client, login_as, app, make_order, cards_for_shop):
    number = make_order("05")
    login_as("customer_service")
    answer = client.post(f"/staff/orders/{number}/reroute", follow_redirects=True)
    assert "这张订单现在不能分仓" in answer.text


def test_operations_switch_the_strategy_and_simulate_another(client, login_as, app, make_order, cards_for_shop):
    make_order("02")
    login_as("operations")
    assert client.get("/staff/routing").status_code == 200
    bad = client.post("/staff/routing", data={"strategy": "fastest", "cost": "-1", "distance": "1", "eta": "1"})
    assert bad.status_code == 422
    assert client.post("/staff/routing", data={"strategy": "fastest", "cost": "1", "distance": "2",
                                               "eta": "3"}).status_code == 303
    with app.app_context():
        setting = db.session.scalar(select(RoutingSetting))
        assert (setting.strategy, setting.weights) == ("fastest", {"cost": 1.0, "distance": 2.0, "eta": 3.0})
    simulated = client.get("/staff/routing?simulate=nearest")
    assert 'data-testid="simulation"' in simulated.text and "就近" in simulated.text


def test_customer_service_may_not_change_the_strategy(client, login_as):
    login_as("customer_service")
    assert client.get("/staff/routing").status_code == 403


def test_operations_edit_the_channel_and_region_rules(client, login_as, app, cards_for_shop):
    login_as("operations")
    assert 'data-testid="rules-form"' in client.get("/staff/routing").text
    refused = client.post("/staff/routing/rules", data={"channel_carriers": "jd: nope", "reserved_warehouses": "",
                                                        "restricted_regions": ""})
    assert refused.status_code == 422 and "未知的快递公司：nope" in refused.text
    saved = client.post("/staff/routing/rules", data={"channel_carriers": "jd: shunfeng",
                                                      "reserved_warehouses": "WH-B：taobao",
                                                      "restricted_regions": "SN-002: 新疆，西藏"})
    assert saved.status_code == 303
    with app.app_context():
        setting = db.session.scalar(select(RoutingSetting))
        assert setting.channel_carriers == {"jd": ["shunfeng"]}
        assert setting.reserved_warehouses == {"WH-B": "taobao"}
        assert setting.restricted_regions == {"SN-002": ["新疆维吾尔自治区", "西藏自治区"]}
    page = client.get("/staff/routing")
    assert "WH-B: taobao" in page.text and "新疆维吾尔自治区" in page.text


def test_the_simulation_lists_each_open_order_with_cost_and_eta(client, login_as, app, make_order, cards_for_shop):
    number = make_order("02")
    login_as("operations")
    page = client.get("/staff/routing?simulate=fastest")
    assert 'data-testid="simulated-orders"' in page.text
    assert number in page.text and "WH-A/shunfeng" in page.text and "¥8.00" in page.text


def test_an_order_back_from_an_exception_is_routed_again(app, make_order, shop, cards_for_shop):
    from app.domain.routing.models import RoutingDecision
    from tests.conftest import run_worker

    number = make_order("02", lines=(("SN-001", 1),))
    with app.app_context():
        for warehouse_id in (shop.warehouse_id, shop.spare_warehouse_id):
            db.session.get(Warehouse, warehouse_id).unserved_provinces = ["上海市"]
        db.session.commit()
    assert route(app, number) == "parked"
    with app.app_context():
        db.session.get(Warehouse, shop.spare_warehouse_id).unserved_provinces = []
        orders.resolve_exception(orders.get_order(number), "华南仓恢复配送上海", "user:cs")
        db.session.commit()
        run_worker()
        order = orders.get_order(number)
        latest = db.session.scalar(select(RoutingDecision).where(RoutingDecision.order_id == order.id)
                                   .order_by(RoutingDecision.round.desc()))
        assert (latest.round, latest.outcome, order.warehouse_id) == (2, "routed", shop.spare_warehouse_id)
        assert db.session.scalars(services.parked_decisions()).all() == []


def test_taking_a_warehouse_offline_routes_its_open_orders_again(client, login_as, app, make_order, shop,
                                                                  cards_for_shop):
    from tests.conftest import run_worker

    nuts, bread = make_order("02", lines=(("SN-001", 1),)), make_order("02", lines=(("SN-002", 1),))
    login_as("operations")
    assert 'data-testid="offline-form"' in client.get("/staff/routing").text
    answer = client.post("/staff/routing/offline", data={"warehouse_id": shop.warehouse_id})
    assert answer.status_code == 303 and "/staff/orders/batches/" in answer.headers["Location"]
    with app.app_context():
        assert db.session.get(Warehouse, shop.warehouse_id).active is False
        run_worker()
        # WH-B holds the one SN-001 left elsewhere: that order moves; nobody else has SN-002: parked.
        assert orders.get_order(nuts).warehouse_id == shop.spare_warehouse_id
        assert orders.get_order(bread).status == "E1"
    page = client.get(answer.headers["Location"])
    assert "批量重新分仓" in page.text and "已分仓" in page.text and "无法自动分仓：库存不足" in page.text
    assert client.post("/staff/routing/offline", data={"warehouse_id": 999999}).status_code == 404


def test_a_channel_set_to_route_once_approved_is_routed_by_the_approval_s_job(client, login_as, app, make_order,
                                                                               shop, cards_for_shop):
    from app.domain.reference.models import PLATFORM_LABELS
    from app.domain.routing.models import RoutingDecision
    from tests.conftest import run_worker

    login_as("operations")
    moments = {f"moment-{platform.value}": "paid" for platform in PLATFORM_LABELS} | {"moment-manual": "approved"}
    assert client.post("/staff/routing/moments", data=moments).status_code == 303
    assert client.post("/staff/routing/moments", data=moments | {"moment-jd": "someday"}).status_code == 422
    with app.app_context():
        assert services.current_setting().route_moments == {"manual": "approved"}
    number = make_order("02", lines=(("SN-001", 1),))  # the shop's channel is a manual-platform one

    def decided() -> list[str]:
        with app.app_context():
            run_worker()
            order = orders.get_order(number)
            return list(db.session.scalars(select(RoutingDecision.outcome).where(RoutingDecision.order_id == order.id)))

    assert decided() == []  # paid, not yet approved: the payment's job leaves it
    assert client.post(f"/staff/orders/{number}/approve").status_code in (200, 303)
    assert decided() == ["routed"]
