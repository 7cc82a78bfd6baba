"""Models to the API's JSON: money as yuan strings ("59.00"), times in ISO 8601 at +08:00 (China time),
states as their code plus the Chinese name. The field names here are the contract (API.md)."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from app.domain.catalog.models import Sku
from app.domain.inventory.models import StockLevel
from app.domain.inventory.queries import WarehouseStock
from app.domain.orders.models import Order, OrderEvent, OrderLine
from app.domain.orders.states import ACTION_LABELS, Action
from app.domain.reference.models import Warehouse
from app.money import fen_to_yuan

SHANGHAI = ZoneInfo("Asia/Shanghai")
BASIS_POINTS = Decimal(10_000)


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds") if moment else None


def tax_rate_text(basis_points: int) -> str:
    """1300 → "0.13"."""
    return f"{Decimal(basis_points) / BASIS_POINTS:.2f}"


# ---- catalog and reference data -------------------------------------------------------------------

def sku_json(sku: Sku) -> dict:
    return {
        "code": sku.code,
        "name": sku.name,
        "weight_g": sku.weight_g,
        "price": fen_to_yuan(sku.price_fen),
        "tax_rate": tax_rate_text(sku.tax_rate_bp),
        "barcode": sku.barcode,
        "category": sku.category,
        "active": sku.active,
        "is_bundle": sku.is_bundle,
        "components": [{"sku": item.component.code, "name": item.component.name, "qty": item.quantity}
                       for item in sku.components],
        "created_at": iso(sku.created_at),
        "updated_at": iso(sku.updated_at),
    }


def warehouse_json(warehouse: Warehouse) -> dict:
    return {"code": warehouse.code, "name": warehouse.name, "province": warehouse.province,
            "city": warehouse.city, "active": warehouse.active}


# ---- stock ------------------------------------------------------------------------------------------

def level_json(level: StockLevel) -> dict:
    return {"warehouse": level.warehouse.code, "sku": level.sku.code, "on_hand": level.on_hand,
            "reserved": level.reserved, "locked": level.locked, "safety": level.safety,
            "available": level.available}


def stock_json(sku: Sku, rows: list[WarehouseStock]) -> dict:
    return {
        "sku": sku.code,
        "is_bundle": sku.is_bundle,
        "available": sum(row.available for row in rows),
        "warehouses": [{"warehouse": row.warehouse.code, "on_hand": row.on_hand, "reserved": row.reserved,
                        "locked": row.locked, "safety": row.safety, "available": row.available}
                       for row in rows],
    }


# ---- orders -----------------------------------------------------------------------------------------

def order_json(order: Order, *, with_events: bool = True) -> dict:
    body = {
        "order_no": order.order_no,
        "external_id": order.external_id,
        "channel": order.channel.code,
        "status": order.status,
        "status_name": order.status_name,
        "created_at": iso(order.created_at),
        "updated_at": iso(order.updated_at),
        "payment_due_at": iso(order.payment_due_at),
        "paid_at": iso(order.paid_at),
        "shipped_at": iso(order.shipped_at),
        "signed_at": iso(order.signed_at),
        "completed_at": iso(order.completed_at),
        "closed_at": iso(order.closed_at),
        "buyer": {"name": order.buyer_name, "phone": order.buyer_phone},
        "receiver": {"name": order.receiver_name, "phone": order.receiver_phone,
                     "province": order.receiver_province, "city": order.receiver_city,
                     "district": order.receiver_district, "address": order.receiver_address},
        "lines": _lines_json(order),
        "amounts": _amounts_json(order),
        "invoice": _invoice_json(order),
        "remark": order.remark,
        "warehouse": order.warehouse.code if order.warehouse else None,
        "carrier": order.carrier.code if order.carrier else None,
        "waybill_no": order.waybill_no or None,
        "payment_ref": order.payment_ref or None,
    }
    if with_events:
        body["events"] = [event_json(event) for event in order.events]
    return body


def event_json(event: OrderEvent) -> dict:
    return {
        "at": iso(event.at),
        "actor": event.actor,
        "action": event.action,
        "action_name": _action_name(event.action),
        "from": event.from_status,
        "to": event.to_status,
        "note": event.reason,
    }


def _action_name(action: str) -> str:
    try:
        return ACTION_LABELS[Action(action)]
    except ValueError:
        return action  # not a transition: create, partial_refund, a timeout warning …


def _lines_json(order: Order) -> list[dict]:
    components: dict[int, list[OrderLine]] = {}
    for line in order.lines:
        if line.is_component:
            components.setdefault(line.parent_line_id, []).append(line)
    return [_line_json(line, components.get(line.id, [])) for line in order.lines if not line.is_component]


def _line_json(line: OrderLine, components: list[OrderLine]) -> dict:
    body = {
        "sku": line.sku.code,
        "name": line.sku.name,
        "qty": line.quantity,
        "unit_price": fen_to_yuan(line.unit_price_fen),
        "discount": fen_to_yuan(line.discount_fen),
        "amount": fen_to_yuan(line.amount_fen),
        "is_gift": line.is_gift,
        "refunded_qty": line.refunded_quantity,
    }
    if components:
        body["components"] = [{"sku": part.sku.code, "name": part.sku.name, "qty": part.quantity}
                              for part in components]
    return body


def _amounts_json(order: Order) -> dict:
    return {
        "goods": fen_to_yuan(order.goods_fen),
        "discount": fen_to_yuan(order.discount_fen),
        "shipping": fen_to_yuan(order.shipping_fen),
        "payable": fen_to_yuan(order.payable_fen),
        "paid": fen_to_yuan(order.paid_fen),
        "refunded": fen_to_yuan(order.refunded_fen),
    }


def _invoice_json(order: Order) -> dict | None:
    if not order.invoice_title_type:
        return None
    return {"title_type": order.invoice_title_type, "title": order.invoice_title,
            "tax_id": order.invoice_tax_id or None, "email": order.invoice_email or None}
