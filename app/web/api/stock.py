"""Stock: receipts and counts (stock:write), and what is on hand and sellable per warehouse (stock:read)."""

from flask import jsonify
from sqlalchemy import select

from app.auth.api_tokens import Scope
from app.domain.catalog import services as catalog
from app.domain.catalog.models import Sku
from app.domain.inventory import queries
from app.domain.inventory import services as inventory
from app.domain.inventory.ledger import Change
from app.domain.reference.models import Warehouse
from app.errors import ValidationError
from app.extensions import db
from app.web.api import bp
from app.web.api.auth import actor, requires
from app.web.api.idempotency import commit_and_respond, idempotent
from app.web.api.parsing import Body, renamed
from app.web.api.responses import Adjustment, Receipt, Stock, StockLevel

#: Stock columns are 32-bit integers; no real delivery brings a million units of one SKU in one line.
MAX_RECEIPT_QUANTITY = 1_000_000


@bp.post("/stock/receipts")
@requires(Scope.STOCK_WRITE)
@idempotent
def create_receipt():
    body = Body.from_request()
    warehouse = _warehouse(body)
    reference = body.text("reference", max_length=64)
    lines = []
    rows = body.items("lines", required=True) or []
    if not rows and "lines" not in body.errors:
        body.fail("lines", "至少要有一行")
    skus = _skus_by_code([row.data.get("sku") for row in rows])
    for row in rows:
        code = row.text("sku", required=True, max_length=64)
        qty = row.integer("qty", required=True, minimum=1, maximum=MAX_RECEIPT_QUANTITY)
        if code and code not in skus:
            row.fail("sku", f"商品 {code} 不存在")
        elif code and qty:
            lines.append((skus[code], qty))
    body.raise_if_errors()
    change = Change(actor(), "入库", reference=reference)
    try:
        levels = inventory.receive(warehouse, lines, change)
    except ValidationError as error:  # a bundle among the lines: its message names the codes
        raise renamed(error, {"sku": "lines", "qty": "lines"}) from error
    receipt = Receipt(warehouse=warehouse.code, reference=reference, levels=[StockLevel.of(level) for level in levels])
    return commit_and_respond(receipt.body(), 201)


@bp.post("/stock/adjustments")
@requires(Scope.STOCK_WRITE)
@idempotent
def create_adjustment():
    body = Body.from_request()
    warehouse = _warehouse(body)
    code = body.text("sku", required=True, max_length=64)
    counted = body.integer("counted", required=True, minimum=0)
    reason = body.text("reason", max_length=200)
    sku = _skus_by_code([code]).get(code) if code else None
    if code and sku is None:
        body.fail("sku", f"商品 {code} 不存在")
    body.raise_if_errors()
    level = inventory.adjust_to_count(warehouse, sku, counted, Change(actor(), reason or "盘点"))
    adjustment = Adjustment(**StockLevel.fields_of(level), counted=counted, reason=reason)
    return commit_and_respond(adjustment.body(), 201)


@bp.get("/stock/<code>")
@requires(Scope.STOCK_READ)
def get_stock(code: str):
    sku = catalog.get_sku(code)
    return jsonify(Stock.of(sku, queries.stock_of(sku)).body())


def _warehouse(body: Body) -> Warehouse | None:
    """The warehouse named in the body; an unknown code is bad input (422), not a missing resource."""
    code = body.text("warehouse", required=True, max_length=32)
    if not code:
        return None
    warehouse = db.session.scalar(select(Warehouse).where(Warehouse.code == code))
    if warehouse is None:
        body.fail("warehouse", f"仓库 {code} 不存在")
    return warehouse


def _skus_by_code(codes: list) -> dict[str, Sku]:
    wanted = {code for code in codes if isinstance(code, str)}
    if not wanted:
        return {}
    return {sku.code: sku for sku in db.session.scalars(select(Sku).where(Sku.code.in_(wanted)))}
