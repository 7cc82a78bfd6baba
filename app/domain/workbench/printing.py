"""Printing (打印): 100 × 150 mm waybill labels (面单), packing slips (发货单) and pick lists (拣货单, one
per warehouse for the selection) as one PDF per print run, rendered by WeasyPrint in a worker.

A print run is an OrderBatch (action ``print_*``) with a result per order, so one order or a whole
selection prints the same way and the batch page shows which orders were refused and why. The
receiver's full name, phone and address appear only on the printed page: a platform order's receiver
(kept masked, its ciphertexts on the channel side) is decrypted through the platform's call
(``reveal``, channels/pii.py) at that moment and never stored. The PDF stays on the batch row until it
is downloaded once; each run is written to the audit log and to each order's timeline.

A label needs a waybill number before the parcel ships (the carrier's 电子面单): an order that has none
takes the next one of its carrier's waybill pool, kept for it; shipping it later (batch or scan) uses
that same number.
"""

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import segno
from babel.support import Translations
from barcode import Code128
from barcode.writer import SVGWriter
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from weasyprint import HTML

from app.db import db, utcnow
from app.domain.audit import services as audit
from app.domain.audit.models import AuditAction
from app.domain.catalog.models import Sku
from app.domain.channels.adapters.base import PlainReceiver, PlatformError
from app.domain.channels.models import ChannelOrder
from app.domain.errors import Conflict, DomainError, ValidationError
from app.domain.invoicing.pdf import AssetFetcher
from app.domain.logistics import shipments
from app.domain.orders import services as orders
from app.domain.orders.models import Order, OrderLine
from app.domain.orders.states import OrderStatus
from app.domain.reference.models import Carrier
from app.domain.workbench import batches, waybills
from app.domain.workbench.models import BatchStatus, OrderBatch
from app.jobs import enqueue_after_commit
from app.text import N_, Text

JOB = "workers.workbench.run_print"
SHANGHAI = ZoneInfo("Asia/Shanghai")
LABELS, SLIPS, PICK_LIST = "print_labels", "print_slips", "print_picklist"
DOCUMENTS = {
    LABELS: N_("打印面单"),
    SLIPS: N_("打印发货单"),
    PICK_LIST: N_("打印拣货单"),
}
TEMPLATES = {LABELS: "pdf/labels.html", SLIPS: "pdf/slips.html", PICK_LIST: "pdf/picklist.html"}
#: Labels and slips go with the parcel (reprinting one after shipping is allowed); picking is before packing.
PRINTABLE = {
    LABELS: {OrderStatus.APPROVED, OrderStatus.PACKING, OrderStatus.SHIPPED_OUT},
    SLIPS: {OrderStatus.APPROVED, OrderStatus.PACKING, OrderStatus.SHIPPED_OUT},
    PICK_LIST: {OrderStatus.APPROVED, OrderStatus.PACKING},
}
PRINTED_EVENT = "printed"
CHINESE = "zh_Hans_CN"
TRANSLATIONS = Path(__file__).resolve().parents[2] / "translations"

Reveal = Callable[[Order], PlainReceiver]


@dataclass
class Sheet:
    """What one order's printed page shows: plaintext receiver here only, for the renderer."""

    order: Order
    receiver: PlainReceiver
    waybill_no: str = ""
    lines: list = field(default_factory=list)


def start(document: str, order_nos: list[str], actor: str, language: str = CHINESE) -> OrderBatch:
    """Record a print run of ``document`` for the orders and queue its job (sent when the caller commits).
    Slips and pick lists are printed in ``language`` (the staff member's); labels are the carrier's, in Chinese."""
    if document not in DOCUMENTS:
        raise ValidationError({"action": N_("不支持的批量操作")})
    order_nos = list(dict.fromkeys(order_nos))
    if not order_nos:
        raise ValidationError({"orders": N_("请至少选择一个订单")})
    if len(order_nos) > batches.MAX_ORDERS:
        raise ValidationError({"orders": Text(N_("一次最多处理 %(limit)s 个订单"), limit=batches.MAX_ORDERS)})
    batch = OrderBatch(action=document, params={"language": language}, order_nos=order_nos, total=len(order_nos), results=[],
                       created_by=actor, status=BatchStatus.QUEUED)
    db.session.add(batch)
    db.session.flush()
    enqueue_after_commit(JOB, batch.id)
    return batch


def run(batch: OrderBatch, reveal: Reveal, checkpoint: Callable[[], None], template_dir: str | Path,
        static_dir: str | Path) -> None:
    """Gather each order's page (decrypting platform receivers through ``reveal``, which commits the
    progress before it calls out), render the PDF onto the batch, and log the print."""
    batch.status = BatchStatus.RUNNING
    checkpoint()
    sheets, results = [], []
    for order_no in batch.order_nos:
        try:
            sheets.append(_sheet(batch, order_no, reveal))
        except (DomainError, PlatformError) as error:
            results.append({"order_no": order_no, "ok": False, "message": batches.message_data(_reason(error))})
        else:
            results.append({"order_no": order_no, "ok": True, "message": batches.message_data(Text(batches.DONE))})
    if sheets:
        batch.content = render(batch.action, sheets, template_dir, static_dir,
                               (batch.params or {}).get("language", CHINESE))
        for sheet in sheets:
            orders.add_event(sheet.order, PRINTED_EVENT, batch.created_by, sheet.order.status, sheet.order.status,
                             details={"document": batch.action, "batch": batch.id})
        audit.record(batch.created_by, AuditAction.PRINT_DOCUMENTS, f"batch:{batch.id}",
                     f"{batch.action} {len(sheets)}: " + " ".join(sheet.order.order_no for sheet in sheets[:12]))
    batch.results = results
    batch.done = len(sheets)
    batch.refused = len(results) - batch.done
    batch.status, batch.finished_at = BatchStatus.FINISHED, utcnow()
    db.session.flush()


def take_content(batch: OrderBatch) -> bytes | None:
    """The printed PDF, handed out once: it carries full receivers, so it does not stay in the database."""
    content, batch.content = batch.content, None
    db.session.flush()
    return content


def render(document: str, sheets: list[Sheet], template_dir: str | Path, static_dir: str | Path,
           language: str = CHINESE) -> bytes:
    static_root = Path(static_dir).resolve()
    return HTML(string=html(document, sheets, template_dir, language), base_url=static_root.as_uri() + "/",
                url_fetcher=AssetFetcher(static_root)).write_pdf()


def html(document: str, sheets: list[Sheet], template_dir: str | Path, language: str = CHINESE) -> str:
    if document == LABELS:  # the carrier's label reads the same for every packer
        language = CHINESE
    env = Environment(loader=FileSystemLoader(str(template_dir)), autoescape=select_autoescape(["html"]),
                      extensions=["jinja2.ext.i18n"])
    # The app's own catalogue (the pages' translations); a language without one prints the Chinese texts.
    env.install_gettext_translations(Translations.load(str(TRANSLATIONS), [language]), newstyle=True)
    return env.get_template(TEMPLATES[document]).render(
        html_lang="zh-CN" if language == CHINESE else language.replace("_", "-"),
        sheets=sheets, picks=pick_list(sheets) if document == PICK_LIST else [], code128=code128_svg,
        qr=lambda text: segno.make(text, error="m").svg_inline(scale=2, border=0),
        printed_at=utcnow().astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
        yuan=lambda fen: f"{fen / 100:.2f}",
    )


def code128_svg(text: str, module_height_mm: float = 12, module_width_mm: float = 0.3) -> str:
    """``text`` as a Code 128 barcode, inline SVG (the human-readable number is printed beside it)."""
    out = io.BytesIO()
    Code128(text, writer=SVGWriter()).write(out, options={
        "module_height": module_height_mm, "module_width": module_width_mm, "write_text": False, "quiet_zone": 2})
    svg = out.getvalue().decode()
    return svg[svg.index("<svg"):]


@dataclass
class PickRow:
    code: str
    name: str
    barcode: str
    quantity: int
    orders: list[str]


@dataclass
class PickPage:
    warehouse: str
    rows: list[PickRow]
    order_nos: list[str]


def pick_list(sheets: list[Sheet]) -> list[PickPage]:
    """One page per warehouse: each SKU to pick (bundles as their components) with the total and the
    orders that want it, sorted by SKU code so the picker walks the shelves once. A split order's goods
    are on the page of the warehouse each parcel leaves from."""
    pages: dict[str, dict[str, PickRow]] = {}
    order_nos: dict[str, list[str]] = {}
    for sheet in sheets:
        for warehouse in dict.fromkeys(line.warehouse for line in sheet.lines) or [_warehouse_name(sheet.order)]:
            order_nos.setdefault(warehouse, []).append(sheet.order.order_no)
        for line in sheet.lines:
            rows = pages.setdefault(line.warehouse, {})
            row = rows.setdefault(line.sku.code, PickRow(line.sku.code, line.sku.name, line.sku.barcode or "", 0, []))
            row.quantity += line.quantity
            row.orders.append(sheet.order.order_no)
    return [PickPage(warehouse, [rows[code] for code in sorted(rows)], order_nos[warehouse])
            for warehouse, rows in sorted(pages.items())]


@dataclass(frozen=True)
class PackLine:
    """Goods to pick and pack: a SKU (a bundle as its components), the units still to ship (net of
    refunds), and the warehouse they leave from."""

    sku: Sku
    quantity: int
    is_gift: bool
    warehouse: str

    @property
    def sku_id(self) -> int:
        return self.sku.id


def parcel_lines(order: Order) -> list[PackLine]:
    """The goods that go into the order's parcel — with those of the orders merged into it: real goods,
    a bundle as its components, net of refunds (a fully refunded line is not packed)."""
    return [line for each in (order, *orders.merged_members(order)) for line in own_lines(each)]


def own_lines(order: Order) -> list[PackLine]:
    """The order's own goods net of refunds; a split order's per planned parcel, each in its warehouse."""
    if shipments.is_split(order):
        by_id = {line.id: line for line in order.lines}
        return [goods for parcel in shipments.planned_parcels(order) for line_id, units in parcel.lines.items()
                for goods in _goods(order, by_id[line_id], units, parcel.warehouse.name)]
    warehouse = _warehouse_name(order)
    return [goods for line in order.lines if not line.is_component
            for goods in _goods(order, line, line.net_quantity, warehouse)]


def _goods(order: Order, line: OrderLine, units: int, warehouse: str) -> list[PackLine]:
    """``units`` of ``line``: a plain line as itself, a bundle as its components scaled."""
    if units <= 0:
        return []
    if not line.sku.is_bundle:
        return [PackLine(line.sku, units, line.is_gift, warehouse)]
    return [PackLine(part.sku, part.quantity // line.quantity * units, part.is_gift, warehouse)
            for part in order.lines if part.parent_line_id == line.id]


def _warehouse_name(order: Order) -> str:
    return order.warehouse.name if order.warehouse else "—"


def waybill_for(order: Order) -> str:
    """The order's waybill: the one it shipped with, the pool number kept for it, or the next one of its
    carrier's pool (kept for it from now on)."""
    if order.waybill_no:
        return order.waybill_no
    if order.carrier_id is None:
        raise Conflict(N_("订单还没有指定快递公司，不能打印面单"))
    return waybills.take(db.session.get(Carrier, order.carrier_id), order.id)


def is_encrypted(order: Order) -> bool:
    """A platform order whose receiver the platform keeps encrypted (we hold only the masked form)."""
    tokens = db.session.scalar(select(ChannelOrder.pii_tokens).where(ChannelOrder.order_id == order.id))
    return bool(tokens)


def plain_receiver(order: Order) -> PlainReceiver:
    return PlainReceiver(order.receiver_name, order.receiver_phone, order.receiver_province, order.receiver_city,
                         order.receiver_district, order.receiver_address)


def _sheet(batch: OrderBatch, order_no: str, reveal: Reveal) -> Sheet:
    order = orders.get_order(order_no)
    if order.status not in PRINTABLE[batch.action]:
        raise Conflict(N_("订单状态为「%(status)s」，不能打印"), status=Text(order.status_name))
    if order.merged_into_id and batch.action != PICK_LIST:  # its goods are on the lead's label and slip
        lead = db.session.get(Order, order.merged_into_id)
        raise Conflict(N_("订单已合并到 %(order_no)s，请打印该订单的单据"), order_no=lead.order_no)
    receiver = reveal(order) if batch.action != PICK_LIST and is_encrypted(order) else plain_receiver(order)
    lines = own_lines(order) if batch.action == PICK_LIST else parcel_lines(order)  # picked order by order
    sheet = Sheet(order, receiver, lines=lines)
    if batch.action == LABELS:  # in a savepoint: a pool that ran dry gives back nothing of other orders
        with db.session.begin_nested():
            sheet.waybill_no = waybill_for(order)
    return sheet


def _reason(error: Exception) -> Text:
    if isinstance(error, PlatformError):
        return Text(N_("平台解密收件人失败：%(error)s"), error=str(error.message))
    if isinstance(error, ValidationError) and error.fields:
        return next(iter(error.fields.values()))
    return error.message
