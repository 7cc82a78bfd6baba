"""Warehouses, carriers and rate cards (scope ``routing:write``), and the routing plan dry run."""

from dataclasses import replace

from flask import jsonify
from sqlalchemy import select

from app.auth.api_tokens import Scope
from app.domain.errors import ValidationError
from app.domain.reference import queries as reference
from app.domain.reference import services as reference_services
from app.domain.reference.models import Carrier, Warehouse
from app.domain.routing import cards, planning
from app.extensions import db
from app.web.api import bp
from app.web.api.auth import actor, requires
from app.web.api.idempotency import commit_and_respond, idempotent
from app.web.api.routing_schemas import Carrier as CarrierBody
from app.web.api.routing_schemas import (
    CarrierInput,
    CarrierList,
    PlanInput,
    RateCardInput,
    RateCardSaved,
    RoutingPlan,
    WarehouseDetail,
    WarehouseInput,
    grams,
)
from app.web.api.schema import parse_body, renamed

#: The domain's field names → the API's.
WAREHOUSE_FIELDS = {"cutoff_time": "cutoff", "carrier_codes": "carriers", "unserved_provinces": "excluded_provinces"}
LOCATION = ("province", "city", "district")


@bp.put("/warehouses/<code>")
@requires(Scope.ROUTING_WRITE)
@idempotent
def put_warehouse(code: str):
    body = parse_body(WarehouseInput)
    existing = db.session.scalar(select(Warehouse).where(Warehouse.code == code))
    try:
        warehouse = reference_services.save_warehouse(_warehouse_data(body, code, existing), existing)
    except ValidationError as error:
        raise renamed(error, WAREHOUSE_FIELDS) from error
    return commit_and_respond(WarehouseDetail.of(warehouse).body(), 201 if existing is None else 200)


def _warehouse_data(body: WarehouseInput, code: str, existing: Warehouse | None) -> reference_services.WarehouseData:
    """The warehouse as it will be: the body's fields over the current ones. Coordinates are looked up
    again when the location changes without new ones."""
    data = reference_services.WarehouseData(code=code, name="", province="", city="", latitude=None, longitude=None)
    if existing is not None:
        data = reference_services.WarehouseData(**{name: getattr(existing, name) for name in vars(data)})
        data.unserved_provinces, data.carrier_codes = list(data.unserved_provinces), list(data.carrier_codes)
    given = body.model_dump(exclude_none=True)
    moved = any(name in given and given[name] != getattr(existing, name, None) for name in LOCATION)
    if moved and "latitude" not in given and "longitude" not in given:
        data.latitude = data.longitude = None
    domain_names = {api: domain for domain, api in WAREHOUSE_FIELDS.items()}
    return replace(data, **{domain_names.get(name, name): value for name, value in given.items()})


@bp.get("/carriers")
def list_carriers():
    return jsonify(CarrierList(carriers=[CarrierBody.of(carrier) for carrier in reference.carriers()]).body())


@bp.put("/carriers/<code>")
@requires(Scope.ROUTING_WRITE)
@idempotent
def put_carrier(code: str):
    body = parse_body(CarrierInput)
    existing = db.session.scalar(select(Carrier).where(Carrier.code == code))
    data = reference_services.CarrierData(code=code, name="")
    if existing is not None:
        data = reference_services.CarrierData(code=code, name=existing.name, active=existing.active,
                                              tracking_code=existing.tracking_code)
    carrier = reference_services.save_carrier(replace(data, **body.model_dump(exclude_none=True)), existing)
    return commit_and_respond(CarrierBody.of(carrier).body(), 201 if existing is None else 200)


@bp.put("/carriers/<code>/rate-card")
@requires(Scope.ROUTING_WRITE)
@idempotent
def put_rate_card(code: str):
    body = parse_body(RateCardInput)
    carrier = reference_services.get_by_code(Carrier, code)
    step_g = grams(body.weight_step_kg)
    rows = [cards.RateRow(rate.from_, rate.to, grams(rate.first_kg), rate.first_price, rate.additional_price_per_kg,
                          rate.days, step_g, body.volumetric_divisor) for rate in body.rates]
    saved = cards.replace_card(carrier, cards.with_card_terms(rows, body.remote_surcharge, body.unserved), actor())
    return commit_and_respond(RateCardSaved(carrier=carrier.code, rows=saved).body())


@bp.post("/routing/plan")
@requires(Scope.ORDERS)
@idempotent
def plan_route():
    body = parse_body(PlanInput)
    result = planning.plan_request(planning.Request(
        province=body.receiver.province, city=body.receiver.city, district=body.receiver.district,
        lines=[(line.sku, line.qty) for line in body.lines], strategy=body.strategy))
    return commit_and_respond(RoutingPlan.of(result).body())  # nothing of its own to commit: the key's record
