"""常用筛选 in Chromium, in both languages: customer service filters the order list, saves the filters
under a name, and opens them again from the list."""

import pytest

from tests.browser.test_order_edits import LANGUAGES, choose_language, place, shop  # noqa: F401
from tests.browser.test_workbench import sign_in


@pytest.mark.parametrize("language", LANGUAGES)
def test_customer_service_saves_the_filters_and_opens_them_again(app, browser, live_server, created, unique,
                                                                 shop, language):  # noqa: F811
    number = place(app, created, shop, "paid")
    context, page = sign_in(browser, live_server, app, created, unique, "customer_service")
    try:
        page.goto(f"{live_server}/staff/orders?q={number}&status=02")
        choose_language(page, language)
        page.fill("#saved-views input[name=name]", f"v-{unique}")
        page.click("#saved-views button:not(.link)")
        page.wait_for_selector("p.flash.success")
        page.goto(f"{live_server}/staff/orders")
        page.click(f"#saved-views a:has-text('v-{unique}')")
        page.wait_for_url(f"**/staff/orders?q={number}&status=02")
        page.wait_for_selector(f"#order-results >> text={number}")
        page.click(f"#saved-views button[aria-label$='v-{unique}']")
        page.wait_for_selector(f"#saved-views a:has-text('v-{unique}')", state="detached")
    finally:
        context.close()
