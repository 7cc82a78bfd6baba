"""Writing rate cards: one row per carrier × origin × destination.

``replace_card`` is how people change a carrier's card (the staff page, its Excel import, the API): every
row is checked first and each bad one named, then the card is swapped whole, so routing never sees half
of an old card and half of a new one. ``save_rows`` upserts rows already known to be good (the demo seed).
"""

from dataclasses import asdict, dataclass

from sqlalchemy import delete, select

from app.db import db
from app.domain.audit.models import AuditAction
from app.domain.audit.services import record
from app.domain.errors import ValidationError
from app.domain.reference.models import Carrier, Warehouse
from app.domain.reference.places import locate
from app.domain.routing import demo_cards
from app.domain.routing.models import RateCard
from app.text import N_, Text

FIELDS = ("first_weight_g", "first_fen", "extra_fen_per_kg", "step_g", "volumetric_divisor", "surcharge_fen",
          "transit_days", "served")
MAX_TRANSIT_DAYS = 30
MAX_ROWS = 5000
#: No carrier charges 首重 above 100 kg or 续重 in steps above 10 kg: a bigger figure is a unit mistake.
MAX_FIRST_WEIGHT_G = 100_000
MAX_STEP_G = 10_000
MAX_PRICE_FEN = 1_000_000


@dataclass
class RateRow:
    """One origin → destination price of a carrier, in the domain's units (grams, fen)."""

    origin_province: str
    destination_province: str
    first_weight_g: int
    first_fen: int
    extra_fen_per_kg: int
    transit_days: int
    step_g: int = 1000
    volumetric_divisor: int = 6000
    surcharge_fen: int = 0
    served: bool = True


def with_card_terms(rows: list[RateRow], surcharges: dict[str, int], unserved: list[str]) -> list[RateRow]:
    """Rows with a card's terms applied (the API's shape): each destination's remote-area surcharge, and
    the unserved destinations marked so from every origin (a row is added where the card has none).
    Raises ValidationError naming a surcharge or unserved province that does not exist."""
    errors, fees, closed = {}, {}, set()
    for name, fen in surcharges.items():
        place = locate(name)
        if place is None:
            errors[f"remote_surcharge.{name}"] = Text(N_("省份无法识别: %(name)s"), name=name)
        else:
            fees[place.province] = fen
    for index, name in enumerate(unserved):
        place = locate(name)
        if place is None:
            errors[f"unserved[{index}]"] = Text(N_("省份无法识别: %(name)s"), name=name)
        else:
            closed.add(place.province)
    if errors:
        raise ValidationError(errors)
    for row in rows:
        destination = locate(row.destination_province)
        if destination is not None:
            row.surcharge_fen = fees.get(destination.province, row.surcharge_fen)
            row.served = row.served and destination.province not in closed
    return rows + _closed_rows(rows, closed)


def _closed_rows(rows: list[RateRow], closed: set[str]) -> list[RateRow]:
    """A not-served row from each origin to each unserved destination it has no row for."""
    if not rows or not closed:
        return []
    pairs = {(_official(row.origin_province), _official(row.destination_province)) for row in rows}
    origins = sorted({origin for origin, _destination in pairs if origin})
    template = rows[0]
    return [RateRow(origin, destination, template.first_weight_g, 0, 0, template.transit_days, template.step_g,
                    template.volumetric_divisor, 0, served=False)
            for origin in origins for destination in sorted(closed) if (origin, destination) not in pairs]


def _official(name: str) -> str | None:
    place = locate(name)
    return None if place is None else place.province


def card_of(carrier: Carrier) -> list[RateCard]:
    """The carrier's rows, by origin then destination."""
    return list(db.session.scalars(select(RateCard).where(RateCard.carrier_id == carrier.id)
                                   .order_by(RateCard.origin_province, RateCard.destination_province)))


def as_rows(cards: list[RateCard]) -> list[RateRow]:
    return [RateRow(card.origin_province, card.destination_province,
                    **{name: getattr(card, name) for name in FIELDS}) for card in cards]


def replace_card(carrier: Carrier, rows: list[RateRow], actor: str, path: str = "rates") -> int:
    """Make ``rows`` the carrier's whole card. Raises ValidationError naming ``<path>[i].<field>`` for each
    bad row (nothing is written then); province names are stored as their full official names."""
    check_rows(rows, path)
    db.session.execute(delete(RateCard).where(RateCard.carrier_id == carrier.id))
    db.session.add_all(RateCard(carrier_id=carrier.id, **asdict(row)) for row in rows)
    db.session.flush()
    record(actor, AuditAction.REPLACE_RATE_CARD, f"carrier:{carrier.code}", f"{len(rows)} rows")
    return len(rows)


def save_row(carrier: Carrier, row: RateRow, card: RateCard | None, actor: str) -> RateCard:
    """Add (``card`` None) or change one row of the carrier's card. Raises ValidationError by the API's
    field names (``from``, ``first_price`` …), also when another row has the same origin and destination."""
    errors = row_errors_of(row)
    if not errors:
        clash = db.session.scalar(select(RateCard).where(
            RateCard.carrier_id == carrier.id, RateCard.origin_province == row.origin_province,
            RateCard.destination_province == row.destination_province))
        if clash is not None and clash is not card:
            errors["to"] = Text(N_("%(origin)s → %(destination)s 已有价格"), origin=row.origin_province,
                                destination=row.destination_province)
    if errors:
        raise ValidationError(errors)
    if card is None:
        card = RateCard(carrier_id=carrier.id)
        db.session.add(card)
    for name, value in asdict(row).items():
        setattr(card, name, value)
    db.session.flush()
    record(actor, AuditAction.REPLACE_RATE_CARD, f"carrier:{carrier.code}",
           f"{row.origin_province} → {row.destination_province}")
    return card


def check_rows(rows: list[RateRow], path: str = "rates") -> None:
    """Raise ValidationError naming every bad field of every row; normalises the province names."""
    if not rows:
        raise ValidationError({path: N_("运费模板至少要有一行")})
    if len(rows) > MAX_ROWS:
        raise ValidationError({path: Text(N_("运费模板最多 %(limit)s 行"), limit=MAX_ROWS)})
    errors: dict[str, str] = {}
    seen: set[tuple[str, str]] = set()
    for index, row in enumerate(rows):
        row_errors = row_errors_of(row)
        pair = (row.origin_province, row.destination_province)
        if not row_errors and pair in seen:
            row_errors["to"] = Text(N_("%(origin)s → %(destination)s 重复"), origin=pair[0], destination=pair[1])
        seen.add(pair)
        errors |= {f"{path}[{index}].{name}": message for name, message in row_errors.items()}
    if errors:
        raise ValidationError(errors)


def row_errors_of(row: RateRow) -> dict[str, str]:
    """What is wrong with one row, by the API's field names; fixes province names in place."""
    errors = {}
    for name, field in (("origin_province", "from"), ("destination_province", "to")):
        place = locate(getattr(row, name))
        if place is None:
            errors[field] = Text(N_("省份无法识别: %(name)s"), name=getattr(row, name) or "—")
        else:
            setattr(row, name, place.province)
    if not 0 < row.first_weight_g <= MAX_FIRST_WEIGHT_G:
        errors["first_kg"] = N_("首重应大于 0，且不超过 100 公斤")
    if not 0 < row.step_g <= MAX_STEP_G:
        errors["weight_step_kg"] = N_("续重步长应大于 0，且不超过 10 公斤")
    if not 1000 <= row.volumetric_divisor <= 20000:
        errors["volumetric_divisor"] = N_("抛重系数应在 1000 到 20000 之间（常见 6000 或 8000）")
    for name, field in (("first_fen", "first_price"), ("extra_fen_per_kg", "additional_price_per_kg"),
                        ("surcharge_fen", "remote_surcharge")):
        if not 0 <= getattr(row, name) <= MAX_PRICE_FEN:
            errors[field] = N_("价格不能为负数，且不超过 10000 元")
    if not 1 <= row.transit_days <= MAX_TRANSIT_DAYS:
        errors["days"] = Text(N_("时效应在 1 到 %(days)s 天之间"), days=MAX_TRANSIT_DAYS)
    return errors


def save_rows(rows: list[dict]) -> int:
    """Upsert rows (already checked) keyed by carrier code, origin and destination; returns how many."""
    carriers = {c.code: c for c in db.session.scalars(select(Carrier))}
    existing = {(card.carrier_id, card.origin_province, card.destination_province): card
                for card in db.session.scalars(select(RateCard))}
    for row in rows:
        carrier = carriers[row["carrier"]]
        key = (carrier.id, row["origin_province"], row["destination_province"])
        card = existing.get(key)
        if card is None:
            card = existing[key] = RateCard(carrier_id=carrier.id, origin_province=key[1], destination_province=key[2])
            db.session.add(card)
        for name in FIELDS:
            setattr(card, name, row[name])
    db.session.flush()
    return len(rows)


def seed_demo_cards() -> int:
    """The demo cards from every active warehouse's province, for the demo carriers present; 0 when
    cards exist already (a rerun of the demo seed changes nothing)."""
    if db.session.scalar(select(RateCard.id).limit(1)) is not None:
        return 0
    present = set(db.session.scalars(select(Carrier.code)))
    origins = sorted(set(db.session.scalars(select(Warehouse.province).where(Warehouse.active))))
    return save_rows([row for row in demo_cards.card_rows(origins) if row["carrier"] in present])
