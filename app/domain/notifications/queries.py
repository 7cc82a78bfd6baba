"""Reading the outbox for screens: one order's messages, the queue staff must look at, the opt-outs."""

from sqlalchemy import Select, func, select

from app.db import db
from app.domain.notifications.models import Message, MessageStatus, ReminderOptOut
from app.domain.notifications.recipients import normalise_mobile

#: What the staff queue shows by default: what did not reach the customer and needs a decision.
NEEDS_ATTENTION = (MessageStatus.FAILED,)


def messages_for_order(order_id: int) -> list[Message]:
    """Every message about the order, oldest first (for its timeline), resends included."""
    return list(db.session.scalars(
        select(Message).where(Message.order_id == order_id).order_by(Message.created_at, Message.id)))


def message_list(statuses: tuple[str, ...] = NEEDS_ATTENTION) -> Select:
    """Messages in ``statuses``, newest first (the staff queue; paginate it)."""
    return select(Message).where(Message.status.in_(statuses)).order_by(Message.created_at.desc(),
                                                                        Message.id.desc())


def status_counts() -> dict[str, int]:
    return dict(db.session.execute(select(Message.status, func.count()).group_by(Message.status)).all())


def opted_out(phone: str | None) -> bool:
    """Whether ``phone`` asked not to get payment reminders."""
    phone = normalise_mobile(phone)
    return phone is not None and db.session.scalar(
        select(ReminderOptOut.id).where(ReminderOptOut.phone == phone)) is not None
