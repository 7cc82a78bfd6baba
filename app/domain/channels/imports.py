"""Order imports from Excel/CSV files, for shops without an API (manual, POS) or any other shop.

Upload → map columns (remembered per shop: the latest run's mapping) → preview the first rows →
import as a job. Each valid order is stored as a raw payload (source "import") and goes through
``normalise.process`` like a pulled one: the natural key (shop, external id) and the content hash make
a second import of the same file a no-op, stock is reserved by ``create_order`` as for any order, and
an unknown merchant code leaves the order waiting for a SKU mapping instead of half-created. Orders
with a bad row are never stored; every problem is reported by file line in Chinese.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app.db import db, utcnow
from app.domain.channels import import_files, import_rows, normalise, payloads, skus
from app.domain.channels.adapters.base import RawOrder
from app.domain.channels.import_rows import ImportOrder, RowValues
from app.domain.channels.models import ImportRun, ImportStatus, PayloadSource, PayloadStatus
from app.domain.errors import Conflict, ValidationError
from app.domain.reference import queries as reference
from app.domain.reference.models import Channel
from app.jobs import enqueue_after_commit
from app.text import N_, Text

JOB = "workers.channel_import.import_orders"
QUEUE = "channels"
PREVIEW_ROWS = 20
CHECKPOINT_EVERY = 25  # orders between progress commits (the page polls them every second)
MAX_ERRORS = 500
DONE = (PayloadStatus.APPLIED, PayloadStatus.SUPERSEDED)


@dataclass
class Preview:
    rows: list[RowValues]
    orders: int  # orders in the whole file
    bad_rows: int  # rows with errors among the previewed ones


def upload(channel: Channel, filename: str, content: bytes, actor: str) -> ImportRun:
    """Read the file (refusing what cannot be read) and start a draft run, pre-mapped where possible."""
    if not channel.active:
        raise ValidationError({"channel_id": Text(N_("渠道 %(channel)s 已停用"), channel=channel.code)})
    kind = import_files.kind_of(filename)
    sheet = import_files.read(content, kind)
    run = ImportRun(channel_id=channel.id, filename=(filename or "")[-200:], file_kind=kind, content=content,
                    header=sheet.header, rows=len(sheet.rows), created_by=actor, status=ImportStatus.DRAFT,
                    column_map=import_rows.guess_mapping(sheet.header, last_mapping(channel.id)), errors=[])
    db.session.add(run)
    db.session.flush()
    return run


def last_mapping(channel_id: int) -> dict[str, str]:
    """The column mapping of the shop's latest confirmed import (what staff chose last time)."""
    return db.session.scalar(select(ImportRun.column_map).where(
        ImportRun.channel_id == channel_id, ImportRun.status != ImportStatus.DRAFT)
        .order_by(ImportRun.id.desc()).limit(1)) or {}


def save_mapping(run: ImportRun, column_map: dict[str, str]) -> None:
    _editable(run)
    column_map = {name: column for name, column in column_map.items() if name in import_rows.FIELDS and column}
    errors = import_rows.mapping_errors(column_map, run.header)
    if errors:
        raise ValidationError(errors)
    run.column_map = column_map
    db.session.flush()


def preview(run: ImportRun, limit: int = PREVIEW_ROWS) -> Preview:
    """The first ``limit`` rows as they would be imported, with every row-level error (unknown merchant
    codes included) named by file line."""
    orders = _orders(run)
    rows = sorted((row for order in orders for row in order.rows), key=lambda row: row.line_no)[:limit]
    known = skus.resolve(run.channel, {row.values.get("sku_code", "") for row in rows})
    for row in rows:
        code = row.values.get("sku_code", "")
        if code and code not in known:
            row.errors.append(Text(N_("第 %(line)s 行：%(reason)s"), line=row.line_no, reason=skus.missing_reason([code])))
    return Preview(rows, len([order for order in orders if order.external_id]),
                   len([row for row in rows if row.errors]))


def confirm(run: ImportRun) -> None:
    """Queue the import (after the commit: the worker must find the run)."""
    _editable(run)
    if import_rows.mapping_errors(run.column_map, run.header):
        raise ValidationError({"column_map": N_("请先完成列对应")})
    run.status = ImportStatus.QUEUED
    db.session.flush()
    enqueue_after_commit(JOB, run.id, queue=QUEUE, job_id=f"channel-import-{run.id}", job_timeout=60 * 60)


def execute(run: ImportRun, checkpoint: Callable[[], None], now: Callable[[], datetime] = utcnow) -> ImportRun:
    """Import every order of ``run``, committing progress through ``checkpoint`` every few orders.

    Safe to run again after a crash: orders already stored are recognised by their content hash."""
    if run.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING, ImportStatus.FAILED):
        return run
    orders = _orders(run)
    run.status, run.started_at = ImportStatus.RUNNING, now()
    run.total, run.done, run.failed, run.created, run.duplicates, run.errors = len(orders), 0, 0, 0, 0, []
    checkpoint()
    errors: list[str] = []
    for position, order in enumerate(orders, start=1):
        problems = _import_one(run, order, now())
        if problems:
            run.failed += 1
            errors.extend(problems)
        else:
            run.done += 1
        if position % CHECKPOINT_EVERY == 0:
            run.errors = errors[:MAX_ERRORS]
            checkpoint()
    run.errors = errors[:MAX_ERRORS]
    run.status, run.finished_at = ImportStatus.FINISHED, now()
    checkpoint()
    return run


def mark_failed(run: ImportRun, message: str) -> None:
    run.status, run.finished_at = ImportStatus.FAILED, utcnow()
    run.errors = [*(run.errors or []), message][:MAX_ERRORS]


def recent_runs(limit: int = 20) -> list[ImportRun]:
    return list(db.session.scalars(select(ImportRun).order_by(ImportRun.id.desc()).limit(limit)))


def importable_channels() -> list[Channel]:
    return reference.channels(active_only=True)


def _import_one(run: ImportRun, order: ImportOrder, now: datetime) -> list[str]:
    """Store and process one order; the errors that kept it out (empty when it is in)."""
    if order.errors:
        if order.external_id and len(order.rows) > 1:
            return [*order.errors, Text(N_("订单 %(external_id)s（第 %(lines)s 行）整单未导入"), external_id=order.external_id,
                                 lines=_lines(order))]
        return order.errors
    channel = run.channel
    payload, stored = payloads.store(channel, RawOrder(order.external_id, now, order.payload), PayloadSource.IMPORT,
                                     now)
    if not stored and payload.status in DONE:
        run.duplicates += 1
        return []
    outcome = normalise.process(payload)
    if outcome.status in DONE:
        run.created += int(outcome.created)
        run.duplicates += int(not outcome.created)
        return []
    if outcome.status == PayloadStatus.WAITING_SKU_MAPPING:
        codes = {line["code"] for line in order.payload["lines"]}
        missing = sorted(codes - set(skus.resolve(channel, codes)))
        return [Text(N_("第 %(line)s 行：%(reason)s（订单已进入等待队列，补上商品对应后自动导入）"),
                     line=order.line_of(code), reason=skus.missing_reason([code]))
                for code in missing] or [Text(N_("第 %(line)s 行：%(reason)s"), line=order.rows[0].line_no, reason=outcome.reason)]
    return [Text(N_("第 %(lines)s 行：订单 %(external_id)s 未导入：%(reason)s"), lines=_lines(order),
                 external_id=order.external_id, reason=outcome.reason)]


def _orders(run: ImportRun) -> list[ImportOrder]:
    sheet = import_files.read(run.content, run.file_kind)
    rows = [import_rows.read_row(index + 2, cells, sheet.header, run.column_map)
            for index, cells in enumerate(sheet.rows)]
    return import_rows.group(rows)


def _lines(order: ImportOrder) -> str:
    return "、".join(str(number) for number in order.line_numbers)


def _editable(run: ImportRun) -> None:
    if run.status != ImportStatus.DRAFT:
        raise Conflict(N_("这个导入已经开始，不能再修改"))
