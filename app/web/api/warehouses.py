"""GET /warehouses: the reference list any valid token may read."""

from flask import jsonify
from sqlalchemy import select

from app.domain.reference.models import Warehouse
from app.extensions import db
from app.web.api import bp
from app.web.api.responses import Warehouse as WarehouseBody
from app.web.api.responses import WarehouseList


@bp.get("/warehouses")
def list_warehouses():
    warehouses = db.session.scalars(select(Warehouse).order_by(Warehouse.priority, Warehouse.code))
    return jsonify(WarehouseList(warehouses=[WarehouseBody.of(warehouse) for warehouse in warehouses]).body())
