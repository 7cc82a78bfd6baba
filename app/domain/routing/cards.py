"""Writing rate cards: one row per carrier × origin × destination, inserted or updated in place."""

from sqlalchemy import select

from app.db import db
from app.domain.reference.models import Carrier, Warehouse
from app.domain.routing import demo_cards
from app.domain.routing.models import RateCard

FIELDS = ("first_weight_g", "first_fen", "extra_fen_per_kg", "step_g", "volumetric_divisor", "surcharge_fen",
          "transit_days", "served")


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
