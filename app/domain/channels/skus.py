"""Merchant codes (商家编码) → our SKUs, and the platform listings learned from orders.

By default a platform's merchant code is our SKU code; an explicit SkuMapping (channel, platform
code → SKU) overrides that. An order naming a code that resolves to nothing is not created at all:
its payload waits (``waiting_sku_mapping``) until the mapping is fixed, then is processed again.
"""

from datetime import datetime

from sqlalchemy import select

from app.db import db, insert_unless_taken
from app.domain.catalog.models import Sku
from app.domain.catalog.queries import skus_by_code
from app.domain.channels.adapters.base import PlatformLine
from app.domain.channels.models import PayloadStatus, PlatformListing, RawPayload, SkuMapping
from app.domain.errors import ValidationError
from app.domain.reference.models import Channel
from app.text import N_, Text


class WaitingForSku(Exception):
    """Some merchant codes of an order resolve to no SKU."""

    def __init__(self, codes: list[str]):
        super().__init__(missing_reason(codes))
        self.codes = codes


def missing_reason(codes: list[str]) -> str:
    return Text(N_("商家编码 %(codes)s 未对应到商品"), codes="、".join(code or "-" for code in codes))


def resolve(channel: Channel, codes: set[str]) -> dict[str, Sku]:
    """The SKU for each code that has one: the explicit mapping first, else the SKU with that code."""
    codes = {code for code in codes if code}
    found = {mapping.platform_code: mapping.sku for mapping in db.session.scalars(
        select(SkuMapping).where(SkuMapping.channel_id == channel.id, SkuMapping.platform_code.in_(codes)))}
    rest = codes - set(found)
    return found | skus_by_code(rest)


def resolve_lines(channel: Channel, lines: list[PlatformLine]) -> dict[str, Sku]:
    """Every line's SKU by its code; raises WaitingForSku naming the codes that have none."""
    found = resolve(channel, {line.code for line in lines})
    missing = sorted({line.code for line in lines if line.code not in found})
    if missing:
        raise WaitingForSku(missing)
    return found


def resolve_line_codes(channel: Channel, lines: list[PlatformLine], known: dict[str, str]) -> dict[str, str]:
    """Every line's SKU code by its merchant code, like ``resolve_lines``; ``known`` (merchant code → SKU
    code) holds what this pull resolved before and gains what this call resolves, so a pull asks the
    database once per merchant code, not once per order. A code that resolved to nothing is asked
    again each time (its mapping may be added meanwhile)."""
    asked = {line.code for line in lines if line.code not in known}
    if asked:
        known.update({code: sku.code for code, sku in resolve(channel, asked).items()})
    missing = sorted({line.code for line in lines if line.code not in known})
    if missing:
        raise WaitingForSku(missing)
    return {line.code: known[line.code] for line in lines}


def save_mapping(channel: Channel, platform_code: str, sku_code: str, actor: str) -> SkuMapping:
    """Map ``platform_code`` to our SKU ``sku_code`` for ``channel`` (replacing an earlier mapping)."""
    platform_code, sku_code = (platform_code or "").strip(), (sku_code or "").strip()
    errors = {}
    if not platform_code or len(platform_code) > 64:
        errors["platform_code"] = N_("请填写平台商家编码（最多 64 位）")
    sku = db.session.scalar(select(Sku).where(Sku.code == sku_code)) if sku_code else None
    if sku is None:
        errors["sku_code"] = Text(N_("商品 %(sku)s 不存在"), sku=sku_code or Text(N_("(空)")))
    if errors:
        raise ValidationError(errors)
    mapping = db.session.scalar(select(SkuMapping).where(SkuMapping.channel_id == channel.id,
                                                         SkuMapping.platform_code == platform_code))
    if mapping is None:
        mapping = SkuMapping(channel_id=channel.id, platform_code=platform_code, sku_id=sku.id, created_by=actor)
        db.session.add(mapping)
    else:
        mapping.sku_id, mapping.created_by = sku.id, actor
    db.session.flush()
    return mapping


def delete_mapping(mapping: SkuMapping) -> None:
    db.session.delete(mapping)
    db.session.flush()


def mappings() -> list[SkuMapping]:
    """Every SKU mapping, by shop then platform code."""
    return list(db.session.scalars(select(SkuMapping).order_by(SkuMapping.channel_id, SkuMapping.platform_code)))


def waiting_payloads(channel_id: int | None = None, limit: int = 200) -> list[RawPayload]:
    query = select(RawPayload).where(RawPayload.status == PayloadStatus.WAITING_SKU_MAPPING)
    if channel_id is not None:
        query = query.where(RawPayload.channel_id == channel_id)
    return list(db.session.scalars(query.order_by(RawPayload.platform_modified_at, RawPayload.id).limit(limit)))


def learn_listings(channel: Channel, lines: list[PlatformLine], now: datetime,
                   known: set[tuple[str, str, str]] = frozenset()) -> set[tuple[str, str, str]]:
    """Remember where each merchant code is listed on the platform (stock pushes need those ids).

    ``known``: (code, item id, platform SKU id) already written in this pull, skipped. Returns those written."""
    learned = set()
    for line in lines:
        key = (line.code, line.item_id, line.platform_sku_id)
        if not line.code or not (line.item_id or line.platform_sku_id) or key in known or key in learned:
            continue
        learned.add(key)
        listing = db.session.scalar(select(PlatformListing).where(PlatformListing.channel_id == channel.id,
                                                                  PlatformListing.platform_code == line.code))
        if listing is not None:
            listing.item_id = line.item_id or listing.item_id
            listing.platform_sku_id = line.platform_sku_id or listing.platform_sku_id
            listing.last_seen_at = now
            continue
        # False: another worker learned it first, and theirs is as good.
        insert_unless_taken(PlatformListing(channel_id=channel.id, platform_code=line.code[:64],
                                            item_id=line.item_id[:32], platform_sku_id=line.platform_sku_id[:32],
                                            last_seen_at=now))
    return learned
