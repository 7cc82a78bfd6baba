"""A split order in Chromium, in both languages: the warehouse sees its planned parcels on the order
page and ships them one by one, each with its own waybill; the order is 已出库 after the last. And
operations set when a channel's orders are routed on the strategy page."""

import pytest
from sqlalchemy import select

from app.domain.catalog.models import Sku
from app.domain.inventory import services as inventory
from app.domain.inventory.ledger import Change
from app.domain.logistics.models import Shipment
from app.domain.orders import services
from app.domain.orders.models import Order
from app.domain.orders.states import OrderStatus
from app.domain.routing import services as routing
from app.domain.routing.models import RoutingSetting
from app.extensions import db
from tests import factories
from tests.browser.test_order_edits import LANGUAGES, choose_language
from tests.browser.test_workbench import sign_in
from tests.portal import orders

ACTOR = "user:tester"


@pytest.fixture
def split_order(app, created, unique):
    """Two cups from the shop's warehouse, the brush from a second one, being packed."""
    with app.app_context():
        shop = orders.open_shop(unique)
        second = factories.WarehouseFactory(code=f"WH2-{unique}", name="华南仓", priority=9)
        brush = db.session.get(Sku, shop.sku_ids[1])
        inventory.receive(second, [(brush, 5)], Change(ACTOR, "测试入库"))
        placed = orders.place_order(shop, "paid")
        order = db.session.get(Order, placed.id)
        services.move_to_warehouse(order, second, "拆单", ACTOR, {brush.id})
        services.approve(order, ACTOR)
        services.pack(order, ACTOR)
        db.session.commit()
        second_code = second.code
    created.add("warehouses", shop.warehouse_id, second.id)
    created.add("channels", shop.channel_id)
    created.add("carriers", shop.carrier_id)
    created.add("skus", *shop.sku_ids)
    created.add("orders", placed.id)
    return placed.order_no, second_code


def ship_next_parcel(page, waybill: str) -> None:
    page.click("#edit-ship_parcel summary")
    page.select_option("select[name='ship_parcel-carrier_id']", index=1)
    page.fill("input[name='ship_parcel-waybill_no']", waybill)
    page.click("#edit-ship_parcel button[type=submit]")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_warehouse_ships_a_split_order_parcel_by_parcel(app, browser, live_server, created, unique, split_order,
                                                            screenshot, language):
    number, second_code = split_order
    context, page = sign_in(browser, live_server, app, created, unique, "warehouse")
    try:
        page.goto(f"{live_server}/staff/orders/{number}")
        choose_language(page, language)
        english = language == "en"
        page.wait_for_selector("[data-testid=planned-parcels]")
        assert page.locator("[data-testid=planned-parcel]").count() == 2
        progress = page.inner_text("[data-testid=parcels-progress]")
        assert ("2 parcels; 0 shipped" if english else "拆成 2 个包裹，已出库 0 个") in progress
        assert page.locator("form[action$='/ship_out']").count() == 0  # no whole-order ship-out for a split order
        screenshot(page, f"staff-order-planned-parcels-{language}")

        ship_next_parcel(page, f"SF{unique}1")
        page.wait_for_selector("[data-testid=parcels-progress]:has-text('" + ("1 shipped" if english else "已出库 1 个") + "')")
        rows = page.inner_text("[data-testid=planned-parcels]")
        assert f"SF{unique}1" in rows and ("Waiting to ship" if english else "待出库") in rows
        assert second_code in rows
        page.wait_for_selector(".timeline >> text=" + ("parcel 1 of 2 out" if english else "包裹 1/2 出库"))

        ship_next_parcel(page, f"SF{unique}2")
        page.wait_for_selector("[data-testid=staff-parcel] >> nth=1")
        assert page.locator("[data-testid=planned-parcels]").count() == 0
        screenshot(page, f"staff-order-parcels-shipped-{language}")
    finally:
        context.close()
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.order_no == number))
        waybills = set(db.session.scalars(select(Shipment.waybill_no).where(Shipment.order_id == order.id)))
        assert order.status == OrderStatus.SHIPPED_OUT and waybills == {f"SF{unique}1", f"SF{unique}2"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_operations_set_when_a_channel_s_orders_are_routed(app, browser, live_server, created, unique, screenshot,
                                                           language):
    with app.app_context():
        assert db.session.scalar(select(RoutingSetting)) is None, "another test left routing settings behind"
    context, page = sign_in(browser, live_server, app, created, unique, "operations")
    try:
        page.goto(f"{live_server}/staff/routing")
        choose_language(page, language)
        page.wait_for_selector("[data-testid=moments-form]")
        assert ("When to route" if language == "en" else "分仓时机") in page.inner_text("[data-testid=moments-form]")
        page.select_option("select[name='moment-jd']", value="manual")
        page.select_option("select[name='moment-pdd']", value="approved")
        page.click("[data-testid=moments-form] button[type=submit]")
        page.wait_for_selector("text=" + ("Routing moments saved" if language == "en" else "分仓时机已保存"))
        with app.app_context():
            setting = db.session.scalar(select(RoutingSetting))
            created.add("routing_settings", setting.id)
            assert setting.route_moments == {"jd": "manual", "pdd": "approved"}
        assert page.input_value("select[name='moment-jd']") == "manual"
        screenshot(page, f"staff-routing-moments-{language}")
    finally:
        context.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_hand_routed_channel_s_paid_orders_wait_in_their_queue(app, browser, live_server, created, unique,
                                                                 screenshot, language):
    with app.app_context():
        assert db.session.scalar(select(RoutingSetting)) is None, "another test left routing settings behind"
        shop = orders.open_shop(unique)
        routing.save_moments({"miniapp": routing.MANUAL}, ACTOR)  # the test shop's platform
        placed = orders.place_order(shop, "paid")
        db.session.commit()
        created.add("routing_settings", db.session.scalar(select(RoutingSetting.id)))
    created.add("warehouses", shop.warehouse_id)
    created.add("channels", shop.channel_id)
    created.add("carriers", shop.carrier_id)
    created.add("skus", *shop.sku_ids)
    created.add("orders", placed.id)
    context, page = sign_in(browser, live_server, app, created, unique, "operations")
    try:
        page.goto(f"{live_server}/staff/routing/parked")
        choose_language(page, language)
        page.wait_for_selector("[data-testid=manual-orders]")
        assert placed.order_no in page.inner_text("[data-testid=manual-orders]")
        heading = "Waiting to be routed by hand" if language == "en" else "待手动分仓"
        assert heading in page.inner_text("body")
        assert page.locator("[data-testid=manual-orders] button").count() == 1
        screenshot(page, f"staff-routing-manual-queue-{language}")
    finally:
        context.close()
