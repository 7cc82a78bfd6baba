"""Stock per warehouse × SKU, the append-only movements ledger, and reservations.

Buckets (DESIGN §4): ``on_hand`` 物理库存, ``reserved`` 预占 (unpaid orders), ``locked`` 锁定 (paid, not
yet shipped), ``safety`` 安全库存, plus ``damaged`` for returns that cannot be sold again. Sellable (ATP) =
on_hand − reserved − locked − safety, never shown below zero. Every change to on_hand / reserved /
locked / damaged is one row in ``stock_movements`` written in the same transaction, so the levels can
always be recomputed from the ledger (``check_stock`` does exactly that).
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import TimestampMixin, UTCDateTime, db, utcnow
from app.domain.catalog.models import Sku
from app.domain.reference.models import Warehouse
from app.text import N_


class StockPosition:
    """The stock rules that read a level's buckets, written once.

    Each is a hybrid: on a loaded row (a ``StockLevel`` or the ``LevelAfter`` of a change) it gives a
    number or a bool, on the ``StockLevel`` class a SQL expression for WHERE clauses. The bodies use
    ``&`` and ``|`` rather than ``and`` / ``or`` for that reason: both mean the same on bools and on
    SQL expressions.
    """

    @hybrid_property
    def position(self):
        """Stock not promised to any order (safety stock included): what the reorder point is compared to."""
        return self.on_hand - self.reserved - self.locked

    @hybrid_property
    def under_reorder_point(self):
        """What raises a purchase reminder (reorder.py); a reorder point of 0 means none is set."""
        return (self.reorder_point > 0) & (self.position < self.reorder_point)

    @hybrid_property
    def is_low(self):
        """库存偏低: under the reorder point, or nothing left to sell."""
        return self.under_reorder_point | (self.position - self.safety <= 0)


class StockLevel(StockPosition, db.Model):
    __tablename__ = "stock_levels"
    __table_args__ = (
        UniqueConstraint("warehouse_id", "sku_id"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("locked >= 0", name="locked_not_negative"),
        CheckConstraint("safety >= 0", name="safety_not_negative"),
        CheckConstraint("damaged >= 0", name="damaged_not_negative"),
        # Hot rows: updates that touch no indexed column stay heap-only (HOT) with room on the page.
        {"postgresql_with": {"fillfactor": 80}},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"), index=True)
    on_hand: Mapped[int] = mapped_column(default=0)
    reserved: Mapped[int] = mapped_column(default=0)
    locked: Mapped[int] = mapped_column(default=0)
    safety: Mapped[int] = mapped_column(default=0)
    damaged: Mapped[int] = mapped_column(default=0)
    reorder_point: Mapped[int] = mapped_column(default=0)

    warehouse: Mapped[Warehouse] = relationship()
    sku: Mapped[Sku] = relationship()

    @property
    def available(self) -> int:
        return max(0, self.on_hand - self.reserved - self.locked - self.safety)


class MovementKind(StrEnum):
    RECEIPT = "receipt"  # goods in: on_hand +
    ADJUSTMENT = "adjustment"  # a count result: on_hand ±
    RESERVE = "reserve"  # order created: reserved +
    RELEASE = "release"  # cancel / unpaid timeout: reserved −
    LOCK = "lock"  # paid: reserved −, locked +
    UNLOCK = "unlock"  # refund before shipping: locked −
    SHIP = "ship"  # shipped out: on_hand −, locked −
    RETURN_RESTOCK = "return_restock"  # return received, sellable: on_hand +
    RETURN_DAMAGED = "return_damaged"  # return received, not sellable: damaged +
    MOVE_OUT = "move_out"  # reservation moved to another warehouse: this side's reserved/locked −
    MOVE_IN = "move_in"  # ... and the other side's +


MOVEMENT_LABELS = {
    MovementKind.RECEIPT: N_("入库"),
    MovementKind.ADJUSTMENT: N_("盘点调整"),
    MovementKind.RESERVE: N_("预占"),
    MovementKind.RELEASE: N_("释放预占"),
    MovementKind.LOCK: N_("锁定"),
    MovementKind.UNLOCK: N_("释放锁定"),
    MovementKind.SHIP: N_("出库扣减"),
    MovementKind.RETURN_RESTOCK: N_("退货入库"),
    MovementKind.RETURN_DAMAGED: N_("退货残次"),
    MovementKind.MOVE_OUT: N_("转出仓库"),
    MovementKind.MOVE_IN: N_("转入仓库"),
}


class StockMovement(db.Model):
    """One change to one stock level: who, why, which order, and the delta of each bucket. Append-only."""

    __tablename__ = "stock_movements"
    __table_args__ = (
        Index("ix_stock_movements_level", "warehouse_id", "sku_id", "id"),
        Index("ix_stock_movements_sku_id", "sku_id", "id"),  # the ledger page filtered by SKU, newest first
        Index("ix_stock_movements_kind_at", "kind", "at"),  # shipments of the last weeks (safety stock)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    kind: Mapped[str] = mapped_column(String(24))
    on_hand_delta: Mapped[int] = mapped_column(default=0)
    reserved_delta: Mapped[int] = mapped_column(default=0)
    locked_delta: Mapped[int] = mapped_column(default=0)
    damaged_delta: Mapped[int] = mapped_column(default=0)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(200), default="")
    reference: Mapped[str] = mapped_column(String(64), default="")

    warehouse: Mapped[Warehouse] = relationship()
    sku: Mapped[Sku] = relationship()

    @property
    def kind_label(self) -> str:
        return MOVEMENT_LABELS.get(self.kind, self.kind)


class ReservationStatus(StrEnum):
    RESERVED = "reserved"  # counted in StockLevel.reserved
    LOCKED = "locked"  # counted in StockLevel.locked
    SHIPPED = "shipped"
    RELEASED = "released"


ACTIVE_RESERVATION_STATUSES = (ReservationStatus.RESERVED, ReservationStatus.LOCKED)


class Reservation(TimestampMixin, db.Model):
    """Stock one order holds of one SKU in one warehouse (bundles are held as their components).

    An order's reservations usually name one warehouse; a split order's name several, and when no
    warehouse has enough of a SKU its units are held in several (one row per warehouse). Moving them is
    ``move_reservations`` / ``place_reservations``.
    """

    __tablename__ = "reservations"
    __table_args__ = (
        UniqueConstraint("order_id", "warehouse_id", "sku_id"),
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        Index("ix_reservations_level_status", "warehouse_id", "sku_id", "status"),
        Index("ix_reservations_status_level", "status", "warehouse_id", "sku_id"),  # check-stock's active sums
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    quantity: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default=ReservationStatus.RESERVED)

    warehouse: Mapped[Warehouse] = relationship()
    sku: Mapped[Sku] = relationship()


class SafetyStockFigure(db.Model):
    """The inputs behind one SKU × warehouse's safety stock and reorder point, and any override."""

    __tablename__ = "safety_stock_figures"
    __table_args__ = (UniqueConstraint("warehouse_id", "sku_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    days_sampled: Mapped[int] = mapped_column(default=0)
    units_shipped: Mapped[int] = mapped_column(default=0)
    # Statistics of units per day, not money: floats are the honest type here.
    mean_daily: Mapped[float] = mapped_column(default=0.0)
    stddev_daily: Mapped[float] = mapped_column(default=0.0)
    service_level_pct: Mapped[int] = mapped_column(default=95)
    z: Mapped[float] = mapped_column(default=0.0)
    lead_time_days: Mapped[int] = mapped_column(default=7)
    computed_safety: Mapped[int] = mapped_column(default=0)
    computed_reorder_point: Mapped[int] = mapped_column(default=0)
    override_safety: Mapped[int | None]
    override_reorder_point: Mapped[int | None]
    override_reason: Mapped[str] = mapped_column(String(200), default="")
    override_by: Mapped[str] = mapped_column(String(64), default="")
    computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    warehouse: Mapped[Warehouse] = relationship()
    sku: Mapped[Sku] = relationship()


class PurchaseReminder(db.Model):
    """Raised once when a SKU × warehouse falls under its reorder point.

    It stays until stock recovers (``recovered_at``); dismissing it hides it from the to-do list but
    still suppresses a new one until then, so a dismissed reminder does not come back with the next sale.
    """

    __tablename__ = "purchase_reminders"
    __table_args__ = (Index("ix_purchase_reminders_level", "warehouse_id", "sku_id", "recovered_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    position_at_raise: Mapped[int]
    reorder_point: Mapped[int]
    suggested_quantity: Mapped[int] = mapped_column(default=0)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dismissed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dismissed_by: Mapped[str] = mapped_column(String(64), default="")
    recovered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    warehouse: Mapped[Warehouse] = relationship()
    sku: Mapped[Sku] = relationship()

    @property
    def status(self) -> str:
        if self.recovered_at:
            return "recovered"
        return "dismissed" if self.dismissed_at else "open"


class StockCheckpoint(db.Model):
    """What check-stock last verified for one stock level: the ledger's totals through movement
    ``through_movement_id``. The next check adds only the newer movements to these totals."""

    __tablename__ = "stock_checkpoints"
    __table_args__ = (UniqueConstraint("warehouse_id", "sku_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    on_hand: Mapped[int] = mapped_column(default=0)
    reserved: Mapped[int] = mapped_column(default=0)
    locked: Mapped[int] = mapped_column(default=0)
    damaged: Mapped[int] = mapped_column(default=0)
    through_movement_id: Mapped[int] = mapped_column(default=0)
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
