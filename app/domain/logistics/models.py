"""Parcels (包裹) and their tracking events.

An order leaves the warehouse as one or more shipments, each with its warehouse, carrier, waybill and
the order lines (× quantity) it carries. The carrier's events are stored as received, once each: the
same time and text is the same event, however many pushes repeat it.
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Fen, TimestampMixin, UTCDateTime, db, utcnow
from app.domain.logistics.states import PARCEL_STATUS_LABELS, ParcelStatus
from app.domain.orders.models import Order, OrderLine
from app.domain.reference.models import Carrier, Warehouse
from app.text import N_


class Subscription(StrEnum):
    NONE = "none"  #: never asked (parcels shipped before tracking existed, or tracking switched off)
    PENDING = "pending"  #: the subscribe job is queued
    SUBSCRIBED = "subscribed"  #: the aggregator pushes this waybill's events
    FAILED = "failed"  #: the aggregator refused or could not be reached: polled instead


SUBSCRIPTION_LABELS = {
    Subscription.NONE: N_("未订阅"),
    Subscription.PENDING: N_("订阅中"),
    Subscription.SUBSCRIBED: N_("已订阅"),
    Subscription.FAILED: N_("订阅失败"),
}


class Shipment(TimestampMixin, db.Model):
    __tablename__ = "shipments"
    # A waybill number is not unique for ever (carriers recycle them, a platform may report one twice):
    # pushes go to the newest parcel with that carrier and number.
    __table_args__ = (Index("ix_shipments_status_last_event", "status", "last_event_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouses.id"))
    carrier_id: Mapped[int] = mapped_column(ForeignKey("carriers.id"))
    waybill_no: Mapped[str] = mapped_column(String(40), index=True)
    status: Mapped[str] = mapped_column(String(16), default=ParcelStatus.SHIPPED)
    #: The aggregator's state code of the newest event, as received.
    state_code: Mapped[str | None] = mapped_column(String(8))
    shipped_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    collected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Time of the newest event (the carrier's clock): how long a parcel has been silent.
    last_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When we last heard from the aggregator about it (push or poll), new events or not.
    last_tracked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    subscription: Mapped[str] = mapped_column(String(12), default=Subscription.NONE)
    subscription_error: Mapped[str] = mapped_column(String(200), default="")
    #: What routing planned for this parcel (None for parcels shipped without a plan).
    estimated_cost_fen: Mapped[int | None] = mapped_column(Fen)
    estimated_delivery_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    order: Mapped[Order] = relationship()
    warehouse: Mapped[Warehouse | None] = relationship()
    carrier: Mapped[Carrier] = relationship()
    lines: Mapped[list["ShipmentLine"]] = relationship(back_populates="shipment", order_by="ShipmentLine.id",
                                                       cascade="all, delete-orphan")
    events: Mapped[list["TrackingEvent"]] = relationship(
        back_populates="shipment", order_by=lambda: [TrackingEvent.occurred_at.desc(), TrackingEvent.id.desc()])

    @property
    def status_name(self) -> str:
        return PARCEL_STATUS_LABELS[ParcelStatus(self.status)]

    def __repr__(self) -> str:
        return f"<Shipment {self.waybill_no} {self.status}>"


class ShipmentLine(db.Model):
    __tablename__ = "shipment_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"))
    quantity: Mapped[int]

    shipment: Mapped[Shipment] = relationship(back_populates="lines")
    order_line: Mapped[OrderLine] = relationship()


class TrackingEvent(db.Model):
    """One event of the carrier's, as the aggregator reported it. Append-only."""

    __tablename__ = "tracking_events"
    __table_args__ = (UniqueConstraint("shipment_id", "occurred_at", "context"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    context: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16))
    state_code: Mapped[str | None] = mapped_column(String(8))
    area: Mapped[str] = mapped_column(String(100), default="")
    source: Mapped[str] = mapped_column(String(8))  # push | poll
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    raw: Mapped[dict] = mapped_column(JSON, default=dict)

    shipment: Mapped[Shipment] = relationship(back_populates="events")

    @property
    def status_name(self) -> str:
        return PARCEL_STATUS_LABELS[ParcelStatus(self.status)]
