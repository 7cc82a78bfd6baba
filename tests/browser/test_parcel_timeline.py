"""On a phone, the portal shows each parcel's tracking timeline as the carrier's pushes arrive."""

import re

import requests
from sqlalchemy import select

from app.domain.logistics import shipments
from app.domain.logistics.models import Shipment
from app.domain.orders.models import Order
from app.domain.reference.models import Carrier
from app.extensions import db
from tests.browser.test_portal_flow import look_up_on_phone, placed  # noqa: F401  (fixture)
from tests.logistics.support import Step, push_form

WAYBILL = "SF5566778899001"
LIFE = [Step(0, 1, "【杭州市】快递员 王师傅 已揽收"), Step(90, 0, "快件已到达【上海转运中心】"),
        Step(200, 5, "【上海市】快递员 李师傅 正在派件，电话 13912345678"), Step(260, 3, "快件已签收，签收人：本人")]


def ship(app, order_id: int) -> str:
    """Ship the packed order with the shop's carrier (the only one its test created); returns that
    carrier's code, which is what 快递100 calls it in the pushes."""
    with app.app_context():
        order = db.session.get(Order, order_id)
        carrier = db.session.scalar(select(Carrier).where(Carrier.code.like("sf-%")).order_by(Carrier.id.desc()))
        shipments.ship_order(order, carrier, WAYBILL, "user:test")
        db.session.commit()
        return carrier.code


def push(app, live_server, company: str, steps) -> None:
    form = push_form(WAYBILL, steps, company=company, salt=app.config["KUAIDI100_SALT"])
    answer = requests.post(f"{live_server}/hooks/logistics/kuaidi100", data=form, timeout=10)
    assert answer.json()["result"] is True


def test_the_customer_sees_the_parcel_timeline_newest_first(app, browser, live_server, placed, screenshot):  # noqa: F811
    order, phone = placed
    company = ship(app, order.id)
    push(app, live_server, company, LIFE[:2])
    context, page = look_up_on_phone(browser, live_server, order.order_no, phone)
    assert page.get_by_test_id("order-status").inner_text() == "运输中"
    assert page.get_by_test_id("parcel-waybill").inner_text() == "SF*********9001"
    push(app, live_server, company, LIFE)
    page.click("button.refresh")
    page.wait_for_selector("[data-testid=order-status]:has-text('已签收')")
    lines = page.get_by_test_id("parcel-timeline").inner_text().splitlines()
    texts = [line for line in lines if re.search(r"[\u4e00-\u9fff]", line)]
    assert [text for text in texts if "快件" in text or "快递员" in text][:1] == ["快件已签收，签收人：本人"]
    assert "139****5678" in page.inner_text("#parcel") and "13912345678" not in page.content()
    assert WAYBILL not in page.inner_text("#parcel")
    screenshot(page, "portal-parcel-timeline")
    context.close()
    with app.app_context():
        assert db.session.scalar(select(Shipment.status).where(Shipment.waybill_no == WAYBILL)) == "signed"
