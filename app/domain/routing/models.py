"""Rate cards (运费模板), the routing settings and every routing decision."""

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Fen, TimestampMixin, UTCDateTime, db, utcnow
from app.domain.orders.models import Order
from app.domain.reference.models import Carrier


class RateCard(TimestampMixin, db.Model):
    """One row of a carrier's price list: origin province → destination province (full official names)."""

    __tablename__ = "rate_cards"
    __table_args__ = (
        UniqueConstraint("carrier_id", "origin_province", "destination_province"),
        CheckConstraint("first_weight_g > 0", name="first_weight_positive"),
        CheckConstraint("step_g > 0", name="step_positive"),
        CheckConstraint("volumetric_divisor > 0", name="divisor_positive"),
        CheckConstraint("first_fen >= 0 AND extra_fen_per_kg >= 0 AND surcharge_fen >= 0", name="prices_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    carrier_id: Mapped[int] = mapped_column(ForeignKey("carriers.id"), index=True)
    origin_province: Mapped[str] = mapped_column(String(32))
    destination_province: Mapped[str] = mapped_column(String(32))
    first_weight_g: Mapped[int] = mapped_column(default=1000)
    first_fen: Mapped[int] = mapped_column(Fen)
    extra_fen_per_kg: Mapped[int] = mapped_column(Fen)
    step_g: Mapped[int] = mapped_column(default=1000)
    volumetric_divisor: Mapped[int] = mapped_column(default=6000)
    surcharge_fen: Mapped[int] = mapped_column(Fen, default=0)
    transit_days: Mapped[int] = mapped_column(default=3)
    served: Mapped[bool] = mapped_column(default=True)

    carrier: Mapped[Carrier] = relationship()


class RoutingSetting(db.Model):
    """The strategy in force (one row): its name, the balanced weights, and the channel and region rules."""

    __tablename__ = "routing_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    strategy: Mapped[str] = mapped_column(String(16), default="cheapest")
    weights: Mapped[dict] = mapped_column(JSON, default=dict)
    #: platform → carrier codes allowed for its orders (e.g. {"jd": ["jd"]})
    channel_carriers: Mapped[dict] = mapped_column(JSON, default=dict)
    #: warehouse code → the one platform it ships for (e.g. {"WH-JD": "jd"})
    reserved_warehouses: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    #: 限购: SKU code → full province names it is not sold or shipped to
    restricted_regions: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    #: platform → when its orders are routed (services.ROUTE_MOMENTS); a platform not named: at payment
    route_moments: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64), default="system")


class RoutingDecision(db.Model):
    """One routing of one order: the plan as data. (order, round) is unique, so two routers that
    decide the same order at once cannot both record — and act on — a decision."""

    __tablename__ = "routing_decisions"
    __table_args__ = (UniqueConstraint("order_id", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    round: Mapped[int] = mapped_column(default=1)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    strategy: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(8), index=True)  # routed | split | parked | manual
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    plan: Mapped[dict] = mapped_column(JSON, default=dict)
    #: A parked order leaves the queue when it is routed later (manually or by a re-route).
    settled: Mapped[bool] = mapped_column(default=False, index=True)

    order: Mapped[Order] = relationship()


class Backtest(db.Model):
    """One replay (回测) of a candidate rule set over the orders shipped in a period, run as a job.

    ``rules`` holds the candidate as the settings row does (strategy, weights, channel carriers, reserved
    warehouses, restricted regions); ``rows`` one comparison per order, ``summary`` the totals, so a
    finished back-test can be reopened and exported without replaying it.
    """

    __tablename__ = "routing_backtests"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_from: Mapped[date]
    period_to: Mapped[date]
    strategy: Mapped[str] = mapped_column(String(16))
    rules: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    rows: Mapped[list] = mapped_column(JSON, default=list)
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def active(self) -> bool:
        return self.status in ("queued", "running")

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, self.done * 100 // self.total)
