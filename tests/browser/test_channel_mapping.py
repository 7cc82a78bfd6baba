"""The field mapping form in Chromium, in both languages: operations pick the platform field that fills
the buyer's remark from a real payload's fields, preview the order it makes, and save it."""

import pytest

from app.domain.channels import mapping, normalise, payloads
from app.domain.channels.adapters.base import RawOrder
from app.domain.channels.connect import settings_of
from app.domain.channels.models import PayloadSource
from app.domain.reference.models import Channel
from app.extensions import db
from tests import factories
from tests.browser.test_order_edits import LANGUAGES, choose_language
from tests.browser.test_workbench import sign_in
from tests.channels.builders import taobao_trade
from tests.channels.test_staff_pages import T0


@pytest.fixture
def taobao_shop(app, created, unique):
    with app.app_context():
        channel = factories.ChannelFactory(code=f"tb-{unique}", platform="taobao")
        db.session.flush()
        trade = taobao_trade(str(61_000_000 + int(unique[:6], 16) % 1_000_000), "WAIT_SELLER_SEND_GOODS", T0)
        trade["seller_memo"] = "加急"
        identity, modified = mapping.identify(normalise.spec_for(channel), trade)
        payloads.store(channel, RawOrder(identity, modified, trade), PayloadSource.PULL)
        db.session.commit()
        created.add("channels", channel.id)
        return channel.id


@pytest.mark.parametrize("language", LANGUAGES)
def test_operations_choose_a_payload_field_preview_and_save(app, browser, live_server, created, unique, taobao_shop,
                                                            screenshot, language):
    context, page = sign_in(browser, live_server, app, created, unique, "operations")
    try:
        page.goto(f"{live_server}/staff/channels/{taobao_shop}/sync-settings")
        choose_language(page, language)
        page.select_option("select[name=map__remark]", "seller_memo")
        page.click("#sync-settings button[type=button]")  # 预览
        page.wait_for_selector("[data-testid=preview-remark] >> text=加急")
        screenshot(page, f"staff-channel-mapping-{language}")
        page.click("#sync-settings button[type=submit].primary")
        page.wait_for_selector("p.flash.success")
        assert page.input_value("select[name=map__remark]") == "seller_memo"
    finally:
        context.close()
    with app.app_context():
        assert settings_of(db.session.get(Channel, taobao_shop)).mapping_override == {"remark": "seller_memo"}
