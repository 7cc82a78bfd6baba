"""合并订单 and the new batch actions in Chromium, in both languages: customer service sees two paid
orders of one receiver marked 可合并 on the list, previews their merged parcel and merges them, then
undoes the merge; the warehouse hands a batch over to the carrier."""

import re

import pytest

from tests.browser.test_order_edits import LANGUAGES, choose_language, place, shop, stored  # noqa: F401
from tests.browser.test_workbench import sign_in
from tests.conftest import run_worker


@pytest.mark.parametrize("language", LANGUAGES)
def test_customer_service_merges_two_orders_of_one_receiver_and_undoes_it(app, browser, live_server, created,
                                                                          unique, shop, screenshot,  # noqa: F811
                                                                          language):
    lead, other = place(app, created, shop, "paid"), place(app, created, shop, "paid")
    context, page = sign_in(browser, live_server, app, created, unique, "customer_service")
    page.goto(f"{live_server}/staff/orders?q={lead}")
    choose_language(page, language)
    page.wait_for_selector("a.badge.merge")

    page.goto(f"{live_server}/staff/orders/{lead}/merge")
    page.check(f"input[name=order_no][value='{other}']")
    page.click("text=" + ("Preview the merge" if language == "en" else "预览合并"))
    page.wait_for_selector("#merge-preview")
    screenshot(page, f"staff-order-merge-{language}")
    page.click("#merge-preview button.primary")
    page.wait_for_selector(f"#order-merge >> text={other}")
    assert stored(app, other).merged_into_id == stored(app, lead).id

    page.click("#order-merge button.danger")
    page.wait_for_selector("p.flash.success >> text=" + ("Merge undone" if language == "en" else "已拆回合并"))
    context.close()

    assert stored(app, other).merged_into_id is None


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_warehouse_hands_a_batch_over_to_the_carrier(app, browser, live_server, created, unique,
                                                         shop, language):  # noqa: F811
    numbers = [place(app, created, shop, "shipped_out") for _ in range(2)]
    context, page = sign_in(browser, live_server, app, created, unique, "warehouse")
    page.goto(f"{live_server}/staff/orders?q={numbers[0]}")
    choose_language(page, language)
    page.check(f"input[name=order_no][value='{numbers[0]}']")
    page.select_option("select[name=action]", value="hand_over")
    page.click("#batch-form button[type=submit].primary")
    page.wait_for_url(re.compile(r".*/staff/orders/batches/\d+$"))
    created.add("order_batches", int(page.url.rsplit("/", 1)[-1]))
    with app.app_context():
        run_worker()
    page.wait_for_selector("#batch-progress >> text=100%", timeout=15000)
    assert page.locator("#batch-progress tr.ok").count() == 1
    context.close()

    assert stored(app, numbers[0]).status == "06" and stored(app, numbers[1]).status == "05"
