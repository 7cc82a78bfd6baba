"""PUT /skus/{code} (create or update, bundles included) and GET /skus/{code}."""

from decimal import Decimal, InvalidOperation

from flask import jsonify
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.auth.api_tokens import Scope
from app.domain.catalog import services
from app.domain.catalog.models import Sku
from app.errors import Conflict, ValidationError
from app.extensions import db
from app.web.api import bp
from app.web.api.auth import requires
from app.web.api.idempotency import commit_and_respond, idempotent
from app.web.api.parsing import Body, renamed
from app.web.api.responses import Sku as SkuBody

#: The domain's field names → the API's.
FIELD_NAMES = {"price_fen": "price", "tax_rate_bp": "tax_rate"}
TAX_RATE_MESSAGE = '税率须为字符串，如 "0.13"'


@bp.get("/skus/<code>")
def get_sku(code: str):
    return jsonify(SkuBody.of(services.get_sku(code)).body())


@bp.put("/skus/<code>")
@requires(Scope.CATALOG_WRITE)
@idempotent
def put_sku(code: str):
    """Create or replace a SKU. On an update, fields left out keep their values (components too)."""
    existing = db.session.scalar(select(Sku).where(Sku.code == code))
    body = Body.from_request()
    data = _sku_data(body, code, existing)
    components = _components(body)
    body.raise_if_errors()
    try:
        sku = _save(data, components, existing)
    except ValidationError as error:
        raise renamed(error, FIELD_NAMES) from error
    except IntegrityError as error:  # the same code created by a concurrent request
        raise Conflict(f"SKU {code} 正被同时创建，请重试", details={"sku": code}) from error
    return commit_and_respond(SkuBody.of(sku).body(), 201 if existing is None else 200)


def _save(data: services.SkuData, components: list[tuple[str, int]] | None, existing: Sku | None) -> Sku:
    if components is not None:
        return services.save_bundle(data, components, existing)
    if existing is None:
        return services.create_sku(data)
    return services.update_sku(existing, data)


def _sku_data(body: Body, code: str, existing: Sku | None) -> services.SkuData:
    current = _current_data(code, existing)
    return services.SkuData(
        code=code,
        name=body.text("name", required=existing is None, max_length=200, default=current.name),
        weight_g=body.integer("weight_g", minimum=0, default=current.weight_g),
        price_fen=body.money("price", default=current.price_fen),
        tax_rate_bp=_tax_rate(body, current.tax_rate_bp),
        barcode=body.text("barcode", max_length=32, default=current.barcode or "") or None,
        category=body.text("category", max_length=32, default=current.category),
        active=body.boolean("active", default=current.active),
    )


def _current_data(code: str, existing: Sku | None) -> services.SkuData:
    if existing is None:
        return services.SkuData(code=code, name="")
    return services.SkuData(code=code, name=existing.name, weight_g=existing.weight_g,
                            price_fen=existing.price_fen, tax_rate_bp=existing.tax_rate_bp,
                            barcode=existing.barcode, category=existing.category, active=existing.active)


def _tax_rate(body: Body, default: int) -> int:
    """ "0.13" → 1300 basis points; which rates are allowed is the catalog's rule."""
    if not body.has("tax_rate"):
        return default
    value = body.data["tax_rate"]
    try:
        basis_points = Decimal(value.strip()) * 10_000 if isinstance(value, str) else None
    except InvalidOperation:
        basis_points = None
    if basis_points is None or not basis_points.is_finite() or basis_points != basis_points.to_integral_value():
        body.fail("tax_rate", TAX_RATE_MESSAGE)
        return default
    return int(basis_points)


def _components(body: Body) -> list[tuple[str, int]] | None:
    rows = body.items("components")
    if rows is None:
        return None
    components = []
    for row in rows:
        sku = row.text("sku", required=True, max_length=64)
        qty = row.integer("qty", required=True, minimum=1)
        if sku and qty:
            components.append((sku, qty))
    return components
