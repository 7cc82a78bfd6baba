from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.db import Fen, TimestampMixin, UTCDateTime, db, utcnow
from app.domain.catalog.models import Sku
from app.domain.orders.states import STATUS_LABELS, OrderStatus
from app.domain.reference.models import Carrier, Channel, Warehouse


class Order(TimestampMixin, db.Model):
    """One customer order from one channel: the master record everything else refers to."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("channel_id", "external_id"),
        CheckConstraint("payable_fen >= 0", name="payable_not_negative"),
        CheckConstraint("refunded_fen <= paid_fen", name="refund_within_paid"),
        Index("ix_orders_deadline", "deadline_at"),
        Index("ix_orders_receiver_phone", "receiver_phone"),
        Index("ix_orders_buyer_phone", "buyer_phone"),
        Index("ix_orders_created", "created_at"),
        Index("ix_orders_receiver_phone_tail", "receiver_phone_tail"),
        Index("ix_orders_buyer_phone_tail", "buyer_phone_tail"),
        Index("ix_orders_waybill_no", "waybill_no"),
        # The list pages walk these newest first and continue after the last row shown (keyset paging).
        Index("ix_orders_created_id", "created_at", "id"),
        Index("ix_orders_status_created_id", "status", "created_at", "id"),
        Index("ix_orders_channel_created_id", "channel_id", "created_at", "id"),
        Index("ix_orders_external_id", "external_id"),
        Index("ix_orders_paid_at", "paid_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_no: Mapped[str] = mapped_column(String(20), unique=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(2), default=OrderStatus.PENDING_PAYMENT, index=True)
    status_before_exception: Mapped[str | None] = mapped_column(String(2))

    buyer_name: Mapped[str] = mapped_column(String(64), default="")
    buyer_phone: Mapped[str] = mapped_column(String(20), default="")
    #: The buyer's WeChat openid (mini-program orders), for WeChat notifications; unknown elsewhere.
    buyer_openid: Mapped[str | None] = mapped_column(String(64))
    receiver_name: Mapped[str] = mapped_column(String(64))
    receiver_phone: Mapped[str] = mapped_column(String(20))
    #: The phones' last four digits, kept by ``_keep_phone_tail``: customer service finds a caller's order
    #: by them, also for platform orders whose phones are masked (``138****5678`` still ends in 5678).
    receiver_phone_tail: Mapped[str] = mapped_column(String(4), default="")
    buyer_phone_tail: Mapped[str] = mapped_column(String(4), default="")
    receiver_province: Mapped[str] = mapped_column(String(32))
    receiver_city: Mapped[str] = mapped_column(String(32))
    receiver_district: Mapped[str] = mapped_column(String(32), default="")
    receiver_address: Mapped[str] = mapped_column(String(200))
    receiver_town: Mapped[str] = mapped_column(String(32), default="", server_default="")  # street / town (乡镇街道)
    receiver_postcode: Mapped[str] = mapped_column(String(10), default="", server_default="")

    goods_fen: Mapped[int] = mapped_column(Fen, default=0)
    discount_fen: Mapped[int] = mapped_column(Fen, default=0)
    shipping_fen: Mapped[int] = mapped_column(Fen, default=0)
    payable_fen: Mapped[int] = mapped_column(Fen, default=0)
    paid_fen: Mapped[int] = mapped_column(Fen, default=0)
    refunded_fen: Mapped[int] = mapped_column(Fen, default=0)
    #: Who funds ``discount_fen`` (platform orders: as the platform says; they sum to it exactly).
    discount_platform_fen: Mapped[int] = mapped_column(Fen, default=0, server_default="0")
    discount_seller_fen: Mapped[int] = mapped_column(Fen, default=0, server_default="0")
    discount_coupon_fen: Mapped[int] = mapped_column(Fen, default=0, server_default="0")
    #: The goods total the sales platform states (platform orders; None when it states none), shown next
    #: to ours (``goods_fen``, the sum of the lines) so a difference is seen.
    platform_goods_fen: Mapped[int | None] = mapped_column(Fen)

    invoice_title_type: Mapped[str | None] = mapped_column(String(16))  # personal | company
    invoice_title: Mapped[str] = mapped_column(String(100), default="")
    invoice_tax_id: Mapped[str] = mapped_column(String(20), default="")
    invoice_email: Mapped[str] = mapped_column(String(100), default="")
    invoice_kind: Mapped[str | None] = mapped_column(String(16))  # normal (普票) | special (专票)
    remark: Mapped[str] = mapped_column(Text, default="")

    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouses.id"))
    carrier_id: Mapped[int | None] = mapped_column(ForeignKey("carriers.id"))
    waybill_no: Mapped[str] = mapped_column(String(40), default="")
    payment_ref: Mapped[str] = mapped_column(String(64), default="")

    payment_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The platform's promised ship-by time (承诺发货时间): the packing deadline when it comes first.
    ship_by_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    #: The next timeout rule due for this order (see timeouts.py), swept every minute.
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deadline_rule: Mapped[str | None] = mapped_column(String(32))
    #: A warning a timeout raised (approval / packing overdue, transit follow-up); cleared on the next move.
    sla_flag: Mapped[str | None] = mapped_column(String(32), index=True)
    awaiting_presale: Mapped[bool] = mapped_column(default=False, index=True)
    #: Merged orders (合并订单) ship as one parcel: each member points at the order it ships with (the
    #: lead, which points nowhere) and follows it through review, packing and shipping (merging.py).
    #: No foreign key: on SQLite a self-reference would make the column impossible to drop again.
    merged_into_id: Mapped[int | None] = mapped_column(index=True)

    channel: Mapped[Channel] = relationship()
    warehouse: Mapped[Warehouse | None] = relationship()
    carrier: Mapped[Carrier | None] = relationship()
    lines: Mapped[list["OrderLine"]] = relationship(back_populates="order", order_by="OrderLine.id",
                                                    cascade="all, delete-orphan")
    events: Mapped[list["OrderEvent"]] = relationship(back_populates="order", order_by="OrderEvent.id")

    @property
    def status_name(self) -> str:
        return STATUS_LABELS[OrderStatus(self.status)]

    @validates("receiver_phone", "buyer_phone")
    def _keep_phone_tail(self, key: str, phone: str | None) -> str | None:
        setattr(self, key + "_tail", phone_tail(phone))
        return phone

    def __repr__(self) -> str:
        return f"<Order {self.order_no} {self.status}>"


def phone_tail(phone: str | None) -> str:
    """The last four digits of a phone, masked or not; "" when it does not end in four digits."""
    tail = (phone or "").strip()[-4:]
    return tail if len(tail) == 4 and tail.isdigit() else ""


class OrderLine(db.Model):
    """A line as sold. A bundle line has component lines under it (``parent_line_id``) that carry the
    stock demand; its own price carries the money."""

    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price_fen >= 0", name="price_not_negative"),
        CheckConstraint("discount_fen >= 0", name="discount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"), index=True)
    quantity: Mapped[int]
    unit_price_fen: Mapped[int] = mapped_column(Fen, default=0)
    discount_fen: Mapped[int] = mapped_column(Fen, default=0)  # this line's share of the order discount
    is_gift: Mapped[bool] = mapped_column(default=False)
    parent_line_id: Mapped[int | None] = mapped_column(ForeignKey("order_lines.id"))
    awaiting_presale: Mapped[bool] = mapped_column(default=False)
    refunded_quantity: Mapped[int] = mapped_column(default=0)

    order: Mapped[Order] = relationship(back_populates="lines")
    sku: Mapped[Sku] = relationship()
    parent: Mapped["OrderLine | None"] = relationship(remote_side=[id])

    @property
    def amount_fen(self) -> int:
        return self.quantity * self.unit_price_fen - self.discount_fen

    @property
    def is_component(self) -> bool:
        return self.parent_line_id is not None

    @property
    def net_quantity(self) -> int:
        """The units still to ship: the quantity sold less what was refunded (a bundle component: its
        share of its bundle's refunds)."""
        if self.parent is None:
            return self.quantity - self.refunded_quantity
        return self.quantity - self.quantity // self.parent.quantity * self.parent.refunded_quantity


class OrderEvent(db.Model):
    """One change to an order: at, actor (user:NAME / system / channel:CODE / carrier:CODE / api:CODE),
    action, from → to, reason, details. Append-only."""

    __tablename__ = "order_events"
    __table_args__ = (
        # An order's history newest first (the order page shows its newest entries); leads with order_id,
        # so it serves every lookup by order too.
        Index("ix_order_events_order_at_id", "order_id", "at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(2))
    to_status: Mapped[str | None] = mapped_column(String(2))
    reason: Mapped[str] = mapped_column(String(200), default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    order: Mapped[Order] = relationship(back_populates="events")
