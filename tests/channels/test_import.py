"""Excel/CSV order imports: reading GBK/UTF-8/xlsx, grouping rows into orders, row-level errors in Chinese,
the same raw-payload storage and normalisation as pulled orders, no duplicates on re-import, no half
orders, and stock reserved as for any order."""

import pytest
from sqlalchemy import func, select

from app.domain.channels import import_files, imports
from app.domain.channels.models import ImportStatus, PayloadSource, PayloadStatus, RawPayload
from app.domain.errors import ValidationError
from app.domain.inventory.models import StockLevel
from app.domain.orders.models import Order
from app.domain.orders.states import OrderStatus
from app.extensions import db
from tests import factories
from tests.channels.import_files import GOOD_ROWS, HEADER, csv_bytes, row, xlsx_bytes
from tests.channels.test_import_pages import manual_channel


def run_import(channel, content: bytes, filename="orders.csv"):
    run = imports.upload(channel, filename, content, "test")
    imports.save_mapping(run, run.column_map)
    imports.confirm(run)
    imports.execute(run, checkpoint=db.session.flush)
    return run


def level(world, code) -> StockLevel:
    return db.session.scalar(select(StockLevel).where(StockLevel.sku_id == world.skus[code].id))


def orders_of(channel) -> list[Order]:
    return list(db.session.scalars(select(Order).where(Order.channel_id == channel.id).order_by(Order.external_id)))


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk"])
def test_csv_is_read_in_utf8_with_or_without_bom_and_in_gbk(encoding):
    sheet = import_files.read(csv_bytes(GOOD_ROWS, encoding=encoding), "csv")
    assert sheet.header == HEADER and sheet.rows[0][1] == "张晓雯" and len(sheet.rows) == 3


def test_xlsx_numbers_come_out_as_their_text():
    sheet = import_files.read(xlsx_bytes(GOOD_ROWS), "xlsx")
    assert sheet.rows[0][2] == "13800138000" and sheet.rows[0][8] == "2" and sheet.rows[0][9] == "99.9"


def test_other_files_are_refused_with_a_message():
    with pytest.raises(ValidationError) as refused:
        import_files.kind_of("orders.xls")
    assert refused.value.fields["file"] == "只支持 .xlsx 或 .csv 文件"
    with pytest.raises(ValidationError) as unreadable:
        import_files.read(b"not a zip", "xlsx")
    assert "无法读取 Excel 文件" in unreadable.value.fields["file"]
    with pytest.raises(ValidationError):
        import_files.read(csv_bytes([]), "csv")


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_rows_with_one_external_id_become_one_order_and_reserve_stock(world, kind):
    channel = manual_channel()
    content = csv_bytes(GOOD_ROWS, encoding="gbk") if kind == "csv" else xlsx_bytes(GOOD_ROWS)
    run = run_import(channel, content, f"orders.{kind}")

    assert (run.status, run.total, run.done, run.failed, run.created, run.errors) == (
        ImportStatus.FINISHED, 2, 2, 0, 2, [])
    first, second = orders_of(channel)
    assert first.external_id == "IMP-1001" and len(first.lines) == 2
    assert first.shipping_fen == 1000 and first.payable_fen == 2 * 9990 + 4990 + 1000 - 500
    assert first.status == OrderStatus.PAID and second.status == OrderStatus.PENDING_PAYMENT
    assert first.receiver_phone == "13800138000" and first.remark == "门店自提"
    assert level(world, "SN-001").locked == 2 and level(world, "HH-010").locked == 1
    assert level(world, "BT-002").reserved == 1
    sources = set(db.session.scalars(select(RawPayload.source).where(RawPayload.channel_id == channel.id)))
    assert sources == {PayloadSource.IMPORT}


def test_importing_the_same_file_again_creates_nothing(world):
    channel = manual_channel()
    run_import(channel, csv_bytes(GOOD_ROWS))
    again = run_import(channel, csv_bytes(GOOD_ROWS, encoding="gbk"))

    assert (again.total, again.done, again.created, again.duplicates, again.failed) == (2, 2, 0, 2, 0)
    assert len(orders_of(channel)) == 2 and level(world, "SN-001").locked == 2
    assert db.session.scalar(select(func.count()).select_from(RawPayload)
                             .where(RawPayload.channel_id == channel.id)) == 2


def test_bad_rows_are_named_in_chinese_and_never_make_half_orders(world):
    channel = manual_channel()
    rows = [
        row("IMP-2001", "SN-001"),
        row("IMP-2002", "SN-001", phone="12345"),  # line 3
        row("IMP-2003", "SN-001"),
        row("IMP-2003", "HH-010", quantity="两"),  # line 5: the whole order IMP-2003 stays out
        row("IMP-2004", "NOPE-9"),  # line 6
        row("IMP-2005", "SN-001", price="abc", paid="也许"),  # line 7
        row("", "SN-001"),  # line 8
    ]
    run = run_import(channel, csv_bytes(rows))

    assert (run.total, run.done, run.failed) == (6, 1, 5)
    assert "第 3 行：手机号格式不正确" in run.errors
    assert "第 5 行：数量「两」应为正整数" in run.errors
    assert "订单 IMP-2003（第 4、5 行）整单未导入" in run.errors
    assert any(error.startswith("第 6 行：商家编码 NOPE-9 未对应到商品") for error in run.errors)
    assert "第 7 行：单价（元）「abc」不是有效金额" in run.errors
    assert "第 7 行：是否已付款「也许」无法识别，请填 是 或 否" in run.errors
    assert "第 8 行：缺少外部订单号" in run.errors
    assert [order.external_id for order in orders_of(channel)] == ["IMP-2001"]
    assert level(world, "SN-001").locked == 1
    waiting = db.session.scalar(select(RawPayload).where(RawPayload.external_id == "IMP-2004"))
    assert waiting.status == PayloadStatus.WAITING_SKU_MAPPING  # comes back once the mapping is saved


def test_an_order_without_stock_is_reported_and_leaves_nothing(world):
    channel = manual_channel()
    run = run_import(channel, csv_bytes([row("IMP-3001", "SN-001", quantity="999")]))
    assert run.failed == 1 and run.errors[0].startswith("第 2 行：订单 IMP-3001 未导入：")
    assert orders_of(channel) == [] and level(world, "SN-001").reserved == 0


def test_the_preview_shows_twenty_normalised_rows_with_their_errors(world):
    channel = manual_channel()
    rows = [row(f"IMP-4{index:03}", "SN-001") for index in range(30)]
    rows[2] = row("IMP-4002", "NOPE-1")
    rows[4] = row("IMP-4004", "SN-001", phone="1")
    run = imports.upload(channel, "orders.csv", csv_bytes(rows), "test")

    preview = imports.preview(run)

    assert len(preview.rows) == 20 and preview.orders == 30 and preview.bad_rows == 2
    assert preview.rows[2].errors == ["第 4 行：商家编码 NOPE-1 未对应到商品"]
    assert preview.rows[4].errors == ["第 6 行：手机号格式不正确"]
    assert preview.rows[0].phone == "13800138000" and preview.rows[0].price_fen == 9990
    assert orders_of(channel) == []  # a preview writes nothing


def test_the_last_mapping_of_a_channel_is_remembered(world):
    channel = manual_channel()
    header = ["单号", "编码X", "件", "价"]
    run = imports.upload(channel, "a.csv", csv_bytes([["IMP-5001", "SN-001", "1", "99.90"]], header=header), "test")
    assert "quantity" not in run.column_map  # "件" and "价" are no header words it knows
    chosen = {"external_id": "单号", "sku_code": "编码X", "quantity": "件", "unit_price": "价"}
    imports.save_mapping(run, chosen)
    imports.confirm(run)

    again = imports.upload(channel, "b.csv", csv_bytes([["IMP-5002", "SN-001", "1", "99.90"]], header=header), "test")
    other = imports.upload(factories.ChannelFactory(platform="pos"), "c.csv",
                           csv_bytes([["IMP-5003", "SN-001", "1", "99.90"]], header=header), "test")

    assert again.column_map == chosen and other.column_map != chosen


def test_a_mapping_without_the_required_columns_is_refused(world):
    run = imports.upload(manual_channel(), "a.csv", csv_bytes(GOOD_ROWS), "test")
    with pytest.raises(ValidationError) as refused:
        imports.save_mapping(run, {"external_id": "订单号", "sku_code": "订单号"})
    assert refused.value.fields["quantity"] == "必须选择一列"
    assert refused.value.fields["sku_code"] == "「订单号」已用于外部订单号"
