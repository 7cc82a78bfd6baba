"""The import pages: upload → columns → preview → a queued job whose progress panel polls every second
(page without HX-Request, fragment with it)."""

import io

from flask import g
from sqlalchemy import select

from app.domain.channels.import_rows import FIELDS
from app.domain.channels.models import ImportRun, ImportStatus
from app.domain.orders.models import Order
from app.extensions import db
from app.jobs import get_queue
from tests import factories
from tests.channels.import_files import GOOD_ROWS, csv_bytes, row
from tests.conftest import htmx_headers, run_worker


def manual_channel():
    channel = factories.ChannelFactory(code="manual-shop", platform="manual", unpaid_timeout_minutes=3 * 24 * 60)
    db.session.commit()
    return channel


def upload(client, channel, content: bytes, filename="orders.csv"):
    return client.post("/staff/channels/import", content_type="multipart/form-data",
                       data={"channel_id": str(channel.id), "file": (io.BytesIO(content), filename)})


def test_an_import_goes_from_upload_to_progress_and_creates_the_orders(client, login_as, world, app_context):
    channel = manual_channel()
    login_as("operations")
    assert "导入订单" in client.get("/staff/channels/import").text

    uploaded = upload(client, channel, csv_bytes([*GOOD_ROWS, row("IMP-1003", "SN-001", phone="555")], encoding="gbk"))
    assert uploaded.status_code == 303
    run_id = db.session.scalar(select(ImportRun.id).order_by(ImportRun.id.desc()))
    columns_url = f"/staff/channels/import/{run_id}/columns"
    assert uploaded.headers["Location"].endswith(columns_url)

    form = client.get(columns_url)
    assert form.status_code == 200 and "商家编码 *" in form.text and "<option selected value=\"订单号\">" in form.text
    mapped = {"external_id": "订单号", "receiver_name": "收货人", "receiver_phone": "手机", "sku_code": "商家编码",
              "quantity": "数量", "unit_price": "单价", "shipping": "运费", "discount": "优惠", "paid": "已付款"}
    saved = client.post(columns_url, data=mapped)
    assert saved.status_code == 303 and saved.headers["Location"].endswith(f"/import/{run_id}/preview")

    preview = client.get(f"/staff/channels/import/{run_id}/preview")
    assert "第 5 行：手机号格式不正确" in preview.text and "IMP-1002" in preview.text

    started = client.post(f"/staff/channels/import/{run_id}/start")
    assert started.status_code == 303
    jobs = get_queue("channels").get_jobs()
    assert [(job.id, job.func_name, job.args) for job in jobs] == [
        (f"channel-import-{run_id}", "workers.channel_import.import_orders", [run_id])]
    queued = client.get(f"/staff/channels/import/{run_id}", headers=htmx_headers())
    assert "<html" not in queued.text and 'hx-trigger="every 1s"' in queued.text and "排队中" in queued.text

    run_worker()
    # The worker's unit of work ended the session this test's app context shares with the client's
    # requests: forget the signed-in user loaded in it (Flask-Login caches it on g) and reload by id.
    g.pop("_login_user", None)

    page = client.get(f"/staff/channels/import/{run_id}")
    assert page.status_code == 200 and "<html" in page.text and "every 1s" not in page.text
    fragment = client.get(f"/staff/channels/import/{run_id}", headers=htmx_headers())
    assert "<html" not in fragment.text and "已完成" in fragment.text and "第 5 行：手机号格式不正确" in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]
    db.session.expire_all()
    finished = db.session.get(ImportRun, run_id)
    assert (finished.status, finished.total, finished.done, finished.failed) == (ImportStatus.FINISHED, 3, 2, 1)
    assert db.session.scalar(select(Order.id).where(Order.external_id == "IMP-1001")) is not None
    assert client.post(columns_url, data=mapped).status_code == 303  # started: no more changes


def test_an_unreadable_file_is_refused_on_the_form(client, login_as, world, app_context):
    channel = manual_channel()
    login_as("customer_service")
    refused = upload(client, channel, b"hello", "orders.xls")
    assert refused.status_code == 422 and "只支持 .xlsx 或 .csv 文件" in refused.text


def test_a_mapping_missing_a_required_column_is_shown_again(client, login_as, world, app_context):
    channel = manual_channel()
    login_as("operations")
    upload(client, channel, csv_bytes(GOOD_ROWS))
    run = db.session.scalar(select(ImportRun).order_by(ImportRun.id.desc()))
    blank = dict.fromkeys(FIELDS, "")  # a browser posts every select
    refused = client.post(f"/staff/channels/import/{run.id}/columns", data=blank | {"external_id": "订单号"})
    assert refused.status_code == 422 and "必须选择一列" in refused.text


def test_the_warehouse_cannot_import(client, login_as, world):
    login_as("warehouse")
    assert client.get("/staff/channels/import").status_code == 403
