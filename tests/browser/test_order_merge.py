"""合并订单 in Chromium, in both languages: customer service sees two paid orders of one receiver marked
可合并 on the list, previews their merged parcel and merges them, then undoes the merge."""

import pytest

from tests.browser.test_order_edits import LANGUAGES, choose_language, place, shop, stored  # noqa: F401
from tests.browser.test_workbench import sign_in


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
