"""Stock: receipts and counts (stock:write), and what is on hand and sellable per warehouse (stock:read)."""

from flask import jsonify
from sqlalchemy import select

from app.auth.api_tokens import Scope
from app.domain.catalog import services as catalog
from app.domain.catalog.models import Sku
from app.domain.errors import ValidationError
from app.domain.inventory import queries
from app.domain.inventory import services as inventory
from app.domain.inventory.ledger import Change
from app.domain.reference.models import Warehouse
from app.extensions import db
from app.web.api import bp
from app.web.api.auth import actor, requires
from app.web.api.bodies import AdjustmentInput, ReceiptInput
from app.web.api.idempotency import commit_and_respond, idempotent
from app.web.api.responses import Adjustment, Receipt, Stock, StockLevel
from app.web.api.schema import parse_body, renamed


@bp.post("/stock/receipts")
@requires(Scope.STOCK_WRITE)
@idempotent
def create_receipt():
    body = parse_body(ReceiptInput)
    errors: dict[str, str] = {}
    warehouse = _warehouse(body.warehouse, errors)
    skus = _skus_by_code([line.sku for line in body.lines])
    for index, line in enumerate(body.lines):
        if line.sku not in skus:
            errors[f"lines[{index}].sku"] = f"商品 {line.sku} 不存在"
    if errors:
        raise ValidationError(errors)
    change = Change(actor(), "入库", reference=body.reference)
    try:
        levels = inventory.receive(warehouse, [(skus[line.sku], line.qty) for line in body.lines], change)
    except ValidationError as error:  # a bundle among the lines: its message names the codes
        raise renamed(error, {"sku": "lines", "qty": "lines"}) from error
    receipt = Receipt(warehouse=warehouse.code, reference=body.reference,
                      levels=[StockLevel.of(level) for level in levels])
    return commit_and_respond(receipt.body(), 201)


@bp.post("/stock/adjustments")
@requires(Scope.STOCK_WRITE)
@idempotent
def create_adjustment():
    body = parse_body(AdjustmentInput)
    errors: dict[str, str] = {}
    warehouse = _warehouse(body.warehouse, errors)
    sku = _skus_by_code([body.sku]).get(body.sku)
    if sku is None:
        errors["sku"] = f"商品 {body.sku} 不存在"
    if errors:
        raise ValidationError(errors)
    level = inventory.adjust_to_count(warehouse, sku, body.counted, Change(actor(), body.reason or "盘点"))
    adjustment = Adjustment(**StockLevel.fields_of(level), counted=body.counted, reason=body.reason)
    return commit_and_respond(adjustment.body(), 201)


@bp.get("/stock/<code>")
@requires(Scope.STOCK_READ)
def get_stock(code: str):
    sku = catalog.get_sku(code)
    return jsonify(Stock.of(sku, queries.stock_of(sku)).body())


def _warehouse(code: str, errors: dict[str, str]) -> Warehouse | None:
    """The warehouse named in the body; an unknown code is bad input (422), not a missing resource."""
    warehouse = db.session.scalar(select(Warehouse).where(Warehouse.code == code))
    if warehouse is None:
        errors["warehouse"] = f"仓库 {code} 不存在"
    return warehouse


def _skus_by_code(codes: list[str]) -> dict[str, Sku]:
    return {sku.code: sku for sku in db.session.scalars(select(Sku).where(Sku.code.in_(set(codes))))}
