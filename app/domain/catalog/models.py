from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Fen, TimestampMixin, UTCDateTime, db

# China's VAT rates in basis points: 13 %, 9 %, 6 %, 5 %, the small-scale 3 % and 1 %, and zero.
VAT_RATES_BP = (1300, 900, 600, 500, 300, 100, 0)


class Sku(TimestampMixin, db.Model):
    """Something we sell. A SKU with components is a bundle: stock is held for its components only."""

    __tablename__ = "skus"
    __table_args__ = (
        CheckConstraint("weight_g >= 0", name="weight_not_negative"),
        CheckConstraint("price_fen >= 0", name="price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    barcode: Mapped[str | None] = mapped_column(String(32), unique=True)
    category: Mapped[str] = mapped_column(String(32), default="")
    weight_g: Mapped[int] = mapped_column(default=0)
    #: Outer dimensions of one unit in cm, for the carriers' volumetric weight; 0: not measured.
    length_cm: Mapped[int] = mapped_column(default=0, server_default="0")
    width_cm: Mapped[int] = mapped_column(default=0, server_default="0")
    height_cm: Mapped[int] = mapped_column(default=0, server_default="0")
    price_fen: Mapped[int] = mapped_column(Fen, default=0)
    tax_rate_bp: Mapped[int] = mapped_column(default=1300)
    #: 税收分类编码 (19 digits) and its short name: invoice lines read ``*short name*SKU name``.
    tax_code: Mapped[str] = mapped_column(String(19), default="")
    tax_name: Mapped[str] = mapped_column(String(32), default="")
    active: Mapped[bool] = mapped_column(default=True)
    #: Pre-sale (预售): orders reserve nothing until this time, and at most ``presale_cap`` units wait.
    presale_release_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    presale_cap: Mapped[int | None]
    #: Inputs of the dynamic safety stock (see inventory/safety.py).
    lead_time_days: Mapped[int] = mapped_column(default=7)
    service_level_pct: Mapped[int] = mapped_column(default=95)

    components: Mapped[list["BundleComponent"]] = relationship(
        foreign_keys="BundleComponent.bundle_id",
        back_populates="bundle",
        cascade="all, delete-orphan",
        order_by="BundleComponent.id",
    )

    @property
    def is_bundle(self) -> bool:
        return bool(self.components)

    @property
    def volume_cm3(self) -> int:
        return self.length_cm * self.width_cm * self.height_cm

    @property
    def parcel_weight_g(self) -> int:
        """What one unit weighs in a parcel: a bundle weighs its components (it has no stock of its own)."""
        if self.is_bundle:
            return sum(item.component.weight_g * item.quantity for item in self.components)
        return self.weight_g

    @property
    def parcel_volume_cm3(self) -> int:
        if self.is_bundle:
            return sum(item.component.volume_cm3 * item.quantity for item in self.components)
        return self.volume_cm3

    def in_presale(self, now: datetime) -> bool:
        return self.presale_release_at is not None and now < self.presale_release_at

    def __repr__(self) -> str:
        return f"<Sku {self.code}>"


class BundleComponent(db.Model):
    """One component of a bundle and how many of it one bundle holds."""

    __tablename__ = "bundle_components"
    __table_args__ = (
        UniqueConstraint("bundle_id", "component_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("bundle_id <> component_id", name="not_itself"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bundle_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="CASCADE"), index=True)
    component_id: Mapped[int] = mapped_column(ForeignKey("skus.id"), index=True)
    quantity: Mapped[int]

    bundle: Mapped[Sku] = relationship(foreign_keys=[bundle_id], back_populates="components")
    component: Mapped[Sku] = relationship(foreign_keys=[component_id])
