"""Declarative base, naming convention and the column types every domain shares.

Money is integer fen everywhere (``Fen`` below is just ``Integer`` with a name that says so); times are
stored as UTC and always come back timezone-aware, also from SQLite which has no timezone type.
"""

from datetime import UTC, datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, Integer, MetaData, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Defined here rather than in app/extensions.py so that domain code reaches its session without importing
# the web extensions (Babel, Limiter, Login …); ``create_app`` binds it like the others.
db = SQLAlchemy(model_class=Base)


class UTCDateTime(TypeDecorator):
    """A timestamp stored as naive UTC and returned as an aware UTC ``datetime``."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


Fen = Integer  # money in 分; never float
#: The largest value of an integer primary key (PostgreSQL ``integer``): a larger id names no row.
MAX_ROW_ID = 2**31 - 1


def utcnow() -> datetime:
    return datetime.now(UTC)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


def value_taken(column, value, exclude=None) -> bool:
    """Whether another row already holds ``value`` in the unique ``column`` (``exclude``: the row being edited)."""
    model = column.class_
    query = select(model.id).where(column == value)
    if exclude is not None and exclude.id is not None:
        query = query.where(model.id != exclude.id)
    return db.session.scalar(query) is not None


def insert_unless_taken(row) -> bool:
    """Insert ``row`` in a savepoint; False when a unique constraint refuses it (a concurrent writer, or
    a replay, inserted the same key first). The savepoint is rolled back then, so the transaction and
    the session stay usable and nothing of ``row`` is written; the caller decides what a refusal means
    (the other row is as good, a no-op, or a clear error for the user).

    The one place for "insert, catch IntegrityError": checking first and inserting after races.
    """
    savepoint = db.session.begin_nested()
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        savepoint.rollback()
        return False
    savepoint.commit()
    return True
