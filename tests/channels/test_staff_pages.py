"""The staff pages of channel sync: health (polling while a pull runs), credentials (secrets never shown
again), mapping with preview, SKU mappings that re-process the waiting queue, retry."""

from datetime import timedelta

from sqlalchemy import select

from app.db import utcnow
from app.domain.channels import mapping, normalise, payloads
from app.domain.channels.adapters.base import RawOrder
from app.domain.channels.connect import credentials_of, settings_of
from app.domain.channels.models import PayloadSource, PayloadStatus, RunStatus, SkuMapping, SyncRun
from app.extensions import db
from app.jobs import get_queue
from tests.channels.builders import taobao_trade
from tests.conftest import htmx_headers

T0 = utcnow() - timedelta(hours=1)


def stored(channel, trade):
    identity, modified = mapping.identify(normalise.spec_for(channel), trade)
    payload, _ = payloads.store(channel, RawOrder(identity, modified, trade), PayloadSource.PULL)
    normalise.process(payload)
    db.session.commit()
    return payload


def queued() -> list[tuple[str, list]]:
    return [(job.func_name, list(job.args)) for job in get_queue("channels").get_jobs()]


def test_the_health_page_lists_api_shops_and_polls_fast_only_while_a_pull_runs(client, login_as, world):
    login_as("customer_service")
    page = client.get("/staff/sync")
    assert page.status_code == 200 and "tb-shop" in page.text and "jd-shop" in page.text
    assert 'hx-trigger="every 30s"' in page.text

    db.session.add(SyncRun(channel_id=world.taobao.id, status=RunStatus.RUNNING, windows_total=3, windows_done=1,
                           pages=4, payloads_stored=120))
    db.session.commit()
    fragment = client.get("/staff/sync", headers=htmx_headers())

    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert 'hx-trigger="every 2s"' in fragment.text and "120" in fragment.text
    assert fragment.headers["Vary"] == "HX-Request" or "HX-Request" in fragment.headers["Vary"]


def test_the_warehouse_cannot_open_the_sync_pages(client, login_as, world):
    login_as("warehouse")
    assert client.get("/staff/sync").status_code == 403
    assert client.get(f"/staff/channels/{world.taobao.id}/credentials").status_code == 403


def test_errors_show_their_payload_and_retry_reprocesses_it(client, login_as, world):
    payload = stored(world.taobao, taobao_trade("61001", "WAIT_SELLER_SEND_GOODS", T0, lines=(("NOPE-1", 1, "1.00"),)))
    login_as("operations")
    page = client.get("/staff/sync")
    assert "商家编码 NOPE-1 未对应到商品" in page.text and f"#{payload.id}" in page.text
    assert "61001" in client.get(f"/staff/sync/payload?id={payload.id}").text

    db.session.add(SkuMapping(channel_id=world.taobao.id, platform_code="NOPE-1", sku_id=world.skus["BT-002"].id))
    db.session.commit()
    response = client.post("/staff/sync/retry", data={"payload_id": payload.id})

    assert response.status_code == 303
    db.session.refresh(payload)
    assert payload.status == PayloadStatus.APPLIED and payload.order_id


def test_credentials_are_saved_and_the_secret_is_never_shown_again(client, login_as, world):
    login_as("operations")
    response = client.post(f"/staff/channels/{world.taobao.id}/credentials",
                           data={"app_key": "new-key", "app_secret": "topsecretvalue1234", "access_token": ""})
    assert response.status_code == 303

    page = client.get(f"/staff/channels/{world.taobao.id}/credentials")

    assert "••••1234" in page.text and "topsecretvalue1234" not in page.text
    assert page.headers["Cache-Control"] == "no-store"
    db.session.expire_all()
    stored_credentials = credentials_of(world.taobao)
    assert (stored_credentials.app_key, stored_credentials.app_secret) == ("new-key", "topsecretvalue1234")
    assert stored_credentials.access_token == "sim-taobao-session"  # blank kept the stored one


def test_the_mapping_preview_shows_the_order_a_payload_would_make_before_saving(client, login_as, world):
    payload = stored(world.taobao, taobao_trade("61002", "NEW_STATUS", T0))
    login_as("operations")
    assert client.get(f"/staff/channels/{world.taobao.id}/sync-settings").status_code == 200
    url = f"/staff/channels/{world.taobao.id}/sync-settings/preview"

    failing = client.post(url, data={"payload_id": payload.id, "mapping_override": ""}, headers=htmx_headers())
    assert "未知的平台状态「NEW_STATUS」" in failing.text

    override = '{"statuses": {"NEW_STATUS": "paid"}}'
    preview = client.post(url, data={"payload_id": payload.id, "mapping_override": override}, headers=htmx_headers())
    assert preview.status_code == 200 and "<html" not in preview.text
    assert "61002" in preview.text and "已付款待发货" in preview.text and "¥199.80" in preview.text
    assert "支付" in preview.text and settings_of(world.taobao).mapping_override == {}  # nothing saved

    bad = client.post(url, data={"payload_id": payload.id, "mapping_override": "{oops"}, headers=htmx_headers())
    assert "不是有效的 JSON" in bad.text

    saved = client.post(f"/staff/channels/{world.taobao.id}/sync-settings",
                        data={"mapping_override": override, "stock_push_enabled": "y", "stock_share_pct": "80",
                              "calls_per_second": "5"})
    assert saved.status_code == 303
    db.session.expire_all()
    settings = settings_of(world.taobao)
    assert settings.mapping_override == {"statuses": {"NEW_STATUS": "paid"}} and settings.stock_share_pct == 80


def test_an_invalid_override_is_refused_with_the_form(client, login_as, world):
    login_as("operations")
    response = client.post(f"/staff/channels/{world.taobao.id}/sync-settings",
                           data={"mapping_override": '{"statuses": {"X": "teleported"}}', "stock_share_pct": "100",
                                 "calls_per_second": "5"})
    assert response.status_code == 422 and "阶段可选值" in response.text


def test_saving_a_sku_mapping_queues_the_reprocessing_of_the_waiting_payloads(client, login_as, world):
    stored(world.taobao, taobao_trade("61003", "WAIT_SELLER_SEND_GOODS", T0, lines=(("TB-X", 1, "59.00"),)))
    login_as("operations")
    assert "TB-X" in client.get("/staff/sku-mappings").text

    response = client.post("/staff/sku-mappings", data={"channel_id": world.taobao.id, "platform_code": "TB-X",
                                                        "sku_code": "BT-002"})

    assert response.status_code == 303
    assert queued() == [("workers.channel_sync.reprocess_waiting", [world.taobao.id])]
    refused = client.post("/staff/sku-mappings", data={"channel_id": world.taobao.id, "platform_code": "TB-Y",
                                                       "sku_code": "NO-SUCH"})
    assert refused.status_code == 422 and "商品 NO-SUCH 不存在" in refused.text
    mapping_id = db.session.scalar(select(SkuMapping.id).where(SkuMapping.platform_code == "TB-X"))
    assert client.post("/staff/sku-mappings/delete", data={"mapping_id": mapping_id}).status_code == 303


def test_sync_now_queues_one_pull_per_shop_however_often_it_is_pressed(client, login_as, world):
    login_as("operations")
    for _ in range(2):
        assert client.post(f"/staff/channels/{world.taobao.id}/sync-now").status_code == 303
    assert queued() == [("workers.channel_sync.pull_channel", [world.taobao.id, "manual"])]


def test_sync_now_says_which_job_blocks_it_and_since_when(client, login_as, world):
    login_as("operations")
    client.post(f"/staff/channels/{world.taobao.id}/sync-now")
    queued_page = client.post(f"/staff/channels/{world.taobao.id}/sync-now", follow_redirects=True).text
    assert f"{world.taobao.code} 的同步已在排队" in queued_page and "等待空闲的工作进程" in queued_page

    job = get_queue("channels").fetch_job(f"channel-pull-{world.taobao.id}")
    job.worker_name = "worker-7"
    job.started_at = utcnow()
    job.save()
    job.set_status("started")
    running_page = client.post(f"/staff/channels/{world.taobao.id}/sync-now", follow_redirects=True).text
    assert f"{world.taobao.code} 的同步正在进行" in running_page and "worker-7" in running_page


def test_the_mapping_form_offers_a_real_payload_s_fields_and_saves_a_choice_as_the_override(client, login_as,
                                                                                             world):
    trade = taobao_trade("61010", "WAIT_SELLER_SEND_GOODS", T0) | {"seller_memo": "加急"}
    trade["orders"]["order"][0]["outer_code_2"] = "SN-001"
    payload = stored(world.taobao, trade)
    login_as("operations")

    page = client.get(f"/staff/channels/{world.taobao.id}/sync-settings")
    assert 'name="map__remark"' in page.text and '<option value="seller_memo">' in page.text
    assert '<option value="outer_code_2">' in page.text  # a line item's own fields for the line fields
    assert "平台默认：buyer_message" in page.text

    url = f"/staff/channels/{world.taobao.id}/sync-settings/preview"
    preview = client.post(url, data={"payload_id": payload.id, "mapping_override": "", "map__remark": "seller_memo",
                                     "map__money": "fen"}, headers=htmx_headers())
    assert "金额 payment 无法识别" in preview.text  # 199.80 read as fen: the choice took effect, nothing saved
    assert settings_of(world.taobao).mapping_override == {}

    saved = client.post(f"/staff/channels/{world.taobao.id}/sync-settings",
                        data={"mapping_override": '{"statuses": {"NEW_STATUS": "paid"}}', "map__remark": "seller_memo",
                              "map__lines__code": "outer_code_2", "map__money": "", "stock_share_pct": "100",
                              "calls_per_second": "5"})
    assert saved.status_code == 303
    db.session.expire_all()
    assert settings_of(world.taobao).mapping_override == {
        "statuses": {"NEW_STATUS": "paid"}, "remark": "seller_memo", "lines": {"code": "outer_code_2"}}

    back = client.get(f"/staff/channels/{world.taobao.id}/sync-settings")
    assert '<option selected value="seller_memo">' in back.text


def test_a_mapping_choice_that_is_not_offered_is_refused(client, login_as, world):
    stored(world.taobao, taobao_trade("61011", "WAIT_SELLER_SEND_GOODS", T0))
    login_as("operations")
    response = client.post(f"/staff/channels/{world.taobao.id}/sync-settings",
                           data={"mapping_override": "", "map__money": "dollars", "stock_share_pct": "100",
                                 "calls_per_second": "5"})
    assert response.status_code == 422
    assert settings_of(world.taobao).mapping_override == {}
