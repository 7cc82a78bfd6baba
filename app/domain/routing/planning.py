"""A dry-run plan for an address and some lines (the plan API): the live engine on today's stock, capacity
and rate cards, with nothing reserved or written."""

from dataclasses import dataclass

from app.db import utcnow
from app.domain.catalog.models import Sku
from app.domain.catalog.queries import skus_by_code
from app.domain.errors import Conflict, ValidationError
from app.domain.reference.places import locate
from app.domain.routing import engine, facts, services
from app.domain.routing.engine import Destination, Plan
from app.domain.routing.rates import Item
from app.text import N_, Text


class Unroutable(Conflict):
    code = "unroutable"


@dataclass(frozen=True)
class Request:
    province: str
    city: str
    district: str
    #: (SKU code, quantity)
    lines: list[tuple[str, int]]
    strategy: str | None = None


@dataclass(frozen=True)
class Result:
    plan: Plan
    items: list[Item]
    skus: dict[int, Sku]  #: the stock-holding SKUs of ``items`` by id


def plan_request(request: Request) -> Result:
    """The plan; ValidationError naming an unknown SKU, province or strategy, Unroutable (with the
    reasons) when nothing can ship it."""
    place = locate(request.province, request.city, request.district)
    skus = skus_by_code(code for code, _quantity in request.lines)
    errors = {}
    if place is None:
        errors["receiver.province"] = Text(N_("省份无法识别: %(name)s"), name=request.province or "—")
    for index, (code, _quantity) in enumerate(request.lines):
        if code not in skus:
            errors[f"lines[{index}].sku"] = Text(N_("SKU %(code)s 不存在"), code=code)
    if not request.lines:
        errors["lines"] = N_("至少需要一行商品")
    if request.strategy is not None and request.strategy not in engine.STRATEGIES:
        errors["strategy"] = Text(N_("未知的分仓策略，可选: %(choices)s"), choices=", ".join(engine.STRATEGIES))
    if errors:
        raise ValidationError(errors)
    items, holding = _items([(skus[code], quantity) for code, quantity in request.lines])
    sites = facts.sites_for(None, [item.sku_id for item in items], utcnow())
    plan = engine.plan(items, sites, facts.rate_table(), Destination(place.province, place.latitude, place.longitude),
                       services.strategy_for(None, request.strategy))
    if not plan.routed:
        reasons = sorted({c.verdict for c in plan.candidates if c.verdict not in (engine.WON, engine.LOST)})
        raise Unroutable(N_("没有仓库能发这一单"), details={"reasons": reasons or [engine.NO_STOCK]})
    return Result(plan, items, holding)


def _items(lines: list[tuple[Sku, int]]) -> tuple[list[Item], dict[int, Sku]]:
    """The stock-holding units: a bundle through its components, repeated SKUs summed."""
    units: dict[int, int] = {}
    holding: dict[int, Sku] = {}
    for sku, quantity in lines:
        parts = [(item.component, item.quantity * quantity) for item in sku.components] or [(sku, quantity)]
        for part, count in parts:
            units[part.id] = units.get(part.id, 0) + count
            holding[part.id] = part
    items = [Item(sku_id, count, holding[sku_id].weight_g, holding[sku_id].volume_cm3)
             for sku_id, count in sorted(units.items())]
    return items, holding
