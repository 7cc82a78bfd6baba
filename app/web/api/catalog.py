"""PUT /skus/{code} (create or update, bundles included) and GET /skus/{code}."""

from dataclasses import replace
from decimal import Decimal, InvalidOperation

from flask import jsonify
from sqlalchemy import select

from app.auth.api_tokens import Scope
from app.domain.catalog import services
from app.domain.catalog.models import Sku
from app.domain.errors import ValidationError
from app.extensions import db
from app.web.api import bp
from app.web.api.auth import requires
from app.web.api.bodies import SkuInput
from app.web.api.idempotency import commit_and_respond, idempotent
from app.web.api.responses import Sku as SkuBody
from app.web.api.schema import parse_body, renamed

#: The domain's field names → the API's, and back.
FIELD_NAMES = {"price_fen": "price", "tax_rate_bp": "tax_rate"}
DOMAIN_NAMES = {api: domain for domain, api in FIELD_NAMES.items()}
TAX_RATE_MESSAGE = '税率须为字符串，如 "0.13"'


@bp.get("/skus/<code>")
def get_sku(code: str):
    return jsonify(SkuBody.of(services.get_sku(code)).body())


@bp.put("/skus/<code>")
@requires(Scope.CATALOG_WRITE)
@idempotent
def put_sku(code: str):
    """Create or replace a SKU. On an update, fields left out keep their values (components too)."""
    body = parse_body(SkuInput)
    existing = db.session.scalar(select(Sku).where(Sku.code == code))
    if existing is None and body.name is None:
        raise ValidationError({"name": "此项必填"})
    components = None if body.components is None else [(item.sku, item.qty) for item in body.components]
    try:
        sku = _save(_sku_data(body, code, existing), components, existing)
    except ValidationError as error:
        raise renamed(error, FIELD_NAMES) from error
    return commit_and_respond(SkuBody.of(sku).body(), 201 if existing is None else 200)


def _save(data: services.SkuData, components: list[tuple[str, int]] | None, existing: Sku | None) -> Sku:
    if components is not None:
        return services.save_bundle(data, components, existing)
    if existing is None:
        return services.create_sku(data)
    return services.update_sku(existing, data)


def _sku_data(body: SkuInput, code: str, existing: Sku | None) -> services.SkuData:
    """The SKU as it will be: the body's fields over the current values (or the defaults of a new one)."""
    data = services.SkuData(code=code, name="") if existing is None else services.SkuData(
        code=code, name=existing.name, weight_g=existing.weight_g, price_fen=existing.price_fen,
        tax_rate_bp=existing.tax_rate_bp, barcode=existing.barcode, category=existing.category,
        active=existing.active, tax_code=existing.tax_code, tax_name=existing.tax_name,
        length_cm=existing.length_cm, width_cm=existing.width_cm, height_cm=existing.height_cm)
    given = body.model_dump(exclude_none=True, exclude={"components"})
    if "tax_rate" in given:
        given["tax_rate"] = _tax_rate(given["tax_rate"])
    if "barcode" in given:
        given["barcode"] = given["barcode"] or None
    return replace(data, **{DOMAIN_NAMES.get(name, name): value for name, value in given.items()})


def _tax_rate(text: str) -> int:
    """ "0.13" → 1300 basis points; which rates are allowed is the catalog's rule."""
    try:
        basis_points = Decimal(text.strip()) * 10_000
    except InvalidOperation:
        basis_points = None
    if basis_points is None or not basis_points.is_finite() or basis_points != basis_points.to_integral_value():
        raise ValidationError({"tax_rate": TAX_RATE_MESSAGE})
    return int(basis_points)
