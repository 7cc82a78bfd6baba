"""Rate-card arithmetic (运费模板): pure functions on integers (grams, centimetres, fen)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Rate:
    """One carrier's price from an origin province to a destination province."""

    carrier: str
    first_weight_g: int  #: 首重
    first_fen: int
    extra_fen_per_kg: int  #: 续重, per kilogram
    step_g: int  #: additional weight is charged in whole steps
    volumetric_divisor: int  #: cm³ per kg (6000 for most express carriers)
    surcharge_fen: int  #: remote-area surcharge (新疆, 西藏 …)
    transit_days: int
    served: bool = True


@dataclass(frozen=True)
class Item:
    """Units of one stock-holding SKU and their per-unit logistics data."""

    sku_id: int
    quantity: int
    weight_g: int
    volume_cm3: int


def chargeable_weight_g(items: list[Item] | tuple[Item, ...], divisor: int) -> int:
    """The larger of the actual weight and the volumetric weight (volume / divisor, in kg → g, rounded up)."""
    actual = sum(item.weight_g * item.quantity for item in items)
    volume = sum(item.volume_cm3 * item.quantity for item in items)
    volumetric = -(-volume * 1000 // divisor) if divisor > 0 else 0
    return max(actual, volumetric)


def freight_fen(rate: Rate, weight_g: int) -> int:
    """首重 price, plus 续重 for every started step above the first weight, plus the surcharge.

    The per-kg price is prorated to the step and the product rounded up to the fen, so a 500 g step
    at 3 元/kg costs 1.50 元 a step and never less than the card says."""
    extra_g = max(0, weight_g - rate.first_weight_g)
    steps = -(-extra_g // rate.step_g)
    extra_fen = -(-steps * rate.step_g * rate.extra_fen_per_kg // 1000)
    return rate.first_fen + extra_fen + rate.surcharge_fen
