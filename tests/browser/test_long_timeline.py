"""A long order history in Chromium, in both languages: the order page shows its newest entries, and
再显示 / "Show … more" adds the next older ones on top of them, without leaving the page, until none are
left."""

import pytest
from sqlalchemy import select

from app.domain.orders.models import Order, OrderEvent
from app.extensions import db
from app.web.staff.orders.actions import TIMELINE_SHOWN
from tests.browser.test_order_edits import LANGUAGES, choose_language, place, shop  # noqa: F401
from tests.browser.test_workbench import sign_in

NOTES = 80  # with the order's own entries, more than one page of the timeline and less than two


@pytest.mark.parametrize("language", LANGUAGES)
def test_show_more_adds_the_older_entries_on_top(app, browser, live_server, created, unique, shop,  # noqa: F811
                                                 screenshot, language):
    number = place(app, created, shop, "paid")
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.order_no == number))
        db.session.add_all([OrderEvent(order_id=order.id, actor="user:kefu", action="mark_exception",
                                       reason=f"来电 {index:03d}") for index in range(NOTES)])
        db.session.commit()
    context, page = sign_in(browser, live_server, app, created, unique, "customer_service")
    page.goto(f"{live_server}/staff/orders/{number}")
    choose_language(page, language)

    entries = page.locator("#order-timeline > li")
    assert entries.count() == TIMELINE_SHOWN
    url = page.url
    page.click("#timeline-more a[hx-get]")
    page.wait_for_selector("#timeline-more", state="hidden")

    assert page.url == url  # the same page, grown
    assert entries.count() > TIMELINE_SHOWN
    texts = [text for text in page.locator("#order-timeline .reason").all_inner_texts() if "来电" in text]
    assert texts == [f"「来电 {index:03d}」" for index in range(NOTES)]  # oldest first, each once
    screenshot(page, f"staff-order-long-timeline-{language}")
    context.close()
