"""Exporting the order list to Excel (导出), as a job: the orders the filters match when it was asked
for, one row each, written with openpyxl into the batch row (any web host can then serve the file)."""

import io
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.db import db, utcnow
from app.domain.errors import ValidationError
from app.domain.orders.models import Order, OrderLine
from app.domain.workbench.models import BatchStatus, OrderBatch
from app.jobs import enqueue_after_commit
from app.money import fen_to_yuan
from app.text import N_, Text

JOB = "workers.workbench.run_export"
ACTION = "export"
LABEL = N_("导出")
MAX_ROWS = 20000
SHANGHAI = ZoneInfo("Asia/Shanghai")
#: The spreadsheet's header row: Chinese, as the merchants' other tools (旺店通, 聚水潭) name these columns.
COLUMNS = ("订单号", "平台单号", "渠道", "状态", "买家", "收货人", "收货电话", "省份", "城市", "区县", "详细地址",
           "商品", "应付（元）", "实付（元）", "仓库", "快递公司", "快递单号", "下单时间")
CHUNK = 500


def start(order_nos: list[str], actor: str) -> OrderBatch:
    """Record the export of ``order_nos`` (the list's matches, newest first) and queue its job."""
    if not order_nos:
        raise ValidationError({"orders": N_("没有符合条件的订单")})
    if len(order_nos) > MAX_ROWS:
        raise ValidationError({"orders": Text(N_("一次最多导出 %(limit)s 个订单，请缩小筛选范围"), limit=MAX_ROWS)})
    batch = OrderBatch(action=ACTION, params={}, order_nos=order_nos, total=len(order_nos), results=[],
                       created_by=actor, status=BatchStatus.QUEUED)
    db.session.add(batch)
    db.session.flush()
    enqueue_after_commit(JOB, batch.id)
    return batch


def run(batch: OrderBatch) -> None:
    sheet_book = Workbook()
    sheet = sheet_book.active
    sheet.title = "订单"
    sheet.append(COLUMNS)
    for start_at in range(0, len(batch.order_nos), CHUNK):
        for order in _orders(batch.order_nos[start_at:start_at + CHUNK]):
            sheet.append(_row(order))
    content = io.BytesIO()
    sheet_book.save(content)
    batch.content, batch.done = content.getvalue(), batch.total
    batch.status, batch.finished_at = BatchStatus.FINISHED, utcnow()
    db.session.flush()


def _orders(order_nos: list[str]) -> list[Order]:
    rows = db.session.scalars(select(Order).where(Order.order_no.in_(order_nos)).options(
        selectinload(Order.channel), selectinload(Order.warehouse), selectinload(Order.carrier),
        selectinload(Order.lines).selectinload(OrderLine.sku)))
    by_number = {order.order_no: order for order in rows}
    return [by_number[number] for number in order_nos if number in by_number]


def _row(order: Order) -> list:
    goods = "；".join(f"{line.sku.code} {line.sku.name} ×{line.quantity}"
                     for line in order.lines if not line.is_component)
    return [order.order_no, order.external_id or "", order.channel.shop_name, str(order.status_name),
            order.buyer_name, order.receiver_name, order.receiver_phone, order.receiver_province,
            order.receiver_city, order.receiver_district, order.receiver_address, goods,
            fen_to_yuan(order.payable_fen), fen_to_yuan(order.paid_fen),
            order.warehouse.name if order.warehouse else "", order.carrier.name if order.carrier else "",
            order.waybill_no, order.created_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")]
