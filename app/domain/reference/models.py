from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import TimestampMixin, db
from app.text import N_


class Platform(StrEnum):
    TAOBAO = "taobao"
    TMALL = "tmall"
    JD = "jd"
    PDD = "pdd"
    DOUYIN = "douyin"
    YOUZAN = "youzan"
    MINIAPP = "miniapp"
    POS = "pos"
    MANUAL = "manual"


#: Sales platforms that take the buyer's payment themselves: they, not our unpaid timeout, decide when
#: one of their orders is closed unpaid (the order closes when the platform says so).
PLATFORMS_OWNING_PAYMENT = frozenset({Platform.TAOBAO, Platform.TMALL, Platform.JD, Platform.PDD,
                                      Platform.DOUYIN, Platform.YOUZAN})

PLATFORM_LABELS = {
    Platform.TAOBAO: N_("淘宝"),
    Platform.TMALL: N_("天猫"),
    Platform.JD: N_("京东"),
    Platform.PDD: N_("拼多多"),
    Platform.DOUYIN: N_("抖店"),
    Platform.YOUZAN: N_("有赞"),
    Platform.MINIAPP: N_("小程序"),
    Platform.POS: N_("门店POS"),
    Platform.MANUAL: N_("手工"),
}


class Warehouse(TimestampMixin, db.Model):
    __tablename__ = "warehouses"
    __table_args__ = (CheckConstraint("daily_capacity >= 0", name="capacity_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    province: Mapped[str] = mapped_column(String(32))
    city: Mapped[str] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(String(200), default="")
    # Decimal degrees, six places (≈ 0.1 m): coordinates are not money, but Numeric keeps them exact.
    latitude: Mapped[float] = mapped_column(Numeric(9, 6, asdecimal=False))
    longitude: Mapped[float] = mapped_column(Numeric(9, 6, asdecimal=False))
    district: Mapped[str] = mapped_column(String(32), default="", server_default="")
    daily_capacity: Mapped[int] = mapped_column(default=0)
    #: Hours from the routing decision to the parcel leaving (picking, packing).
    handling_hours: Mapped[int] = mapped_column(default=12, server_default="12")
    #: 截单时间, Shanghai time "HH:MM": orders routed later leave the next day.
    cutoff_time: Mapped[str] = mapped_column(String(5), default="16:00", server_default="16:00")
    #: Official full province names this warehouse does not ship to.
    unserved_provinces: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    #: Carrier codes it ships with; empty: every active carrier.
    carrier_codes: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    #: 1 ships first; ties are broken by code.
    priority: Mapped[int] = mapped_column(default=100)
    active: Mapped[bool] = mapped_column(default=True)

    def __repr__(self) -> str:
        return f"<Warehouse {self.code}>"


class Channel(TimestampMixin, db.Model):
    """A shop on a platform (or the mini-program, a POS store, manual entry) that orders come from."""

    __tablename__ = "channels"
    __table_args__ = (CheckConstraint("unpaid_timeout_minutes > 0", name="timeout_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    platform: Mapped[str] = mapped_column(String(16))
    shop_name: Mapped[str] = mapped_column(String(100))
    unpaid_timeout_minutes: Mapped[int] = mapped_column(default=30)
    default_warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouses.id"))
    active: Mapped[bool] = mapped_column(default=True)
    #: Days after the signature (with no after-sales request) before the order completes by itself.
    auto_complete_days: Mapped[int] = mapped_column(default=7, server_default="7")

    default_warehouse: Mapped[Warehouse | None] = relationship()

    @property
    def platform_label(self) -> str:
        return PLATFORM_LABELS.get(self.platform, self.platform)

    @property
    def platform_owns_payment(self) -> bool:
        return self.platform in PLATFORMS_OWNING_PAYMENT

    def __repr__(self) -> str:
        return f"<Channel {self.code}>"


class Carrier(TimestampMixin, db.Model):
    __tablename__ = "carriers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    #: The tracking service's company code (``shunfeng``); empty: the same as ``code``.
    tracking_code: Mapped[str] = mapped_column(String(32), default="", server_default="")
    active: Mapped[bool] = mapped_column(default=True)

    @property
    def tracking_company(self) -> str:
        return self.tracking_code or self.code

    def __repr__(self) -> str:
        return f"<Carrier {self.code}>"
