from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import String, false
from sqlalchemy.orm import Mapped, mapped_column

from app.auth.roles import ROLE_LABELS, Area, Role, may_open
from app.db import TimestampMixin, UTCDateTime, db


class User(UserMixin, TimestampMixin, db.Model):
    """A member of staff. Customers have no accounts: they reach their orders by number and phone."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64), default="")
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Part of every session's user id: raising it signs the user out of every browser at once.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    #: Set when an admin resets the password: the user chooses a new one before opening any staff page.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def role_label(self) -> str:
        return str(ROLE_LABELS[Role(self.role)])

    def may(self, area: Area) -> bool:
        return may_open(self.role, area)

    @property
    def actor(self) -> str:
        """How this user appears in audit trails (order events, stock movements)."""
        return f"user:{self.username}"
