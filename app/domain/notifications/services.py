"""Writing messages into the outbox, the reminder opt-out, and staff resends.

Every function here only flushes: the message is committed with the caller's transaction (the order
event that caused it, the portal's code request, the staff action) and its send job goes to Redis only
after that commit, so a rolled-back event never texts anybody and a committed one is never forgotten
(if the job is lost, outbox.requeue_stuck finds the row).
"""

from sqlalchemy import select

from app.db import db, insert_unless_taken
from app.domain.errors import Conflict, NotFound, ValidationError
from app.domain.notifications import outbox, queries, templates
from app.domain.notifications.models import Message, MessageChannel, MessageStatus, ReminderOptOut
from app.domain.notifications.recipients import is_email, normalise_mobile
from app.text import N_

_PENDING = (MessageStatus.QUEUED, MessageStatus.SENDING, MessageStatus.RETRYING)


def queue_message(*, recipient: str, channel: str, template: str, params: dict, order_id: int | None = None,
                  event_key: str | None = None, phone: str | None = None, created_by: str = "system") -> Message:
    """Write one message, to be sent by a worker once the caller commits; returns its row.

    With an ``event_key``, ``(order_id, event_key, channel)`` is written once: a repeat returns the row
    already there and sends nothing. ``phone`` is the customer's phone when the recipient is not one
    (a WeChat openid), for the reminder opt-out. A reminder to a phone that opted out is written as
    skipped, so the order's history says why none went out.

    Raises ValidationError for an SMS recipient that is not a mobile number (or an email recipient
    that is not an address), TemplateError (a ValueError) for an unknown template, a channel it does
    not use, or missing parameters.
    """
    channel = MessageChannel(channel)
    templates.check(template, channel, params)
    if channel == MessageChannel.SMS:
        recipient = _mobile_or_error(recipient)
        phone = recipient
    elif channel == MessageChannel.EMAIL and not is_email(recipient):
        raise ValidationError({"email": N_("请输入有效的邮箱地址")})
    if event_key is not None and (existing := _find(order_id, event_key, channel)):
        return existing
    message = Message(order_id=order_id, event_key=event_key, channel=channel, recipient=recipient.strip(),
                      phone=normalise_mobile(phone), template=template, created_by=created_by,
                      params={name: str(value) for name, value in params.items()})
    if not _insert_once(message):
        return _find(order_id, event_key, channel)
    return message


def send_login_code(phone: str, code: str) -> Message:
    """Text a portal login code ("您的验证码为…，5分钟内有效。"); the portal keeps and checks the code."""
    return queue_message(recipient=phone, channel=MessageChannel.SMS, template=templates.LOGIN_CODE,
                         params={"code": code})


def opt_out_of_reminders(phone: str) -> None:
    """Stop payment reminders (催付) to ``phone``; idempotent. Order messages still go out.

    Raises ValidationError when ``phone`` is not a mobile number.
    """
    phone = _mobile_or_error(phone)
    if opted_out(phone):
        return
    insert_unless_taken(ReminderOptOut(phone=phone))  # False: the same customer, twice at once; once is enough


def opted_out(phone: str) -> bool:
    """Whether ``phone`` asked not to get payment reminders (False for anything not a mobile number)."""
    return queries.opted_out(phone)


def resend(message_id: int, actor: str) -> Message:
    """Send ``message_id`` again, as a new row linked to it (the original keeps its unique event key).

    A second click while the first copy is still on its way returns that copy. Login codes are not
    resent: the customer asks the portal for a fresh one. Raises NotFound, Conflict.
    """
    original = db.session.get(Message, message_id)
    if original is None:
        raise NotFound(N_("消息不存在"), details={"message_id": message_id})
    if original.template == templates.LOGIN_CODE:
        raise Conflict(N_("验证码不能重发，请让客户在查询页重新获取"))
    pending = db.session.scalar(select(Message).where(Message.resend_of_id == original.id,
                                                      Message.status.in_(_PENDING)).limit(1))
    if pending is not None:
        return pending
    copy = Message(order_id=original.order_id, channel=original.channel, recipient=original.recipient,
                   phone=original.phone, template=original.template, params=dict(original.params),
                   resend_of=original, created_by=actor)
    _insert_once(copy)
    return copy


def _insert_once(message: Message) -> bool:
    """Insert ``message`` and queue its send job; False if a concurrent writer inserted its key first."""
    if message.template in templates.OPT_OUT_TEMPLATES and opted_out(message.phone):
        message.status, message.last_error, message.queued_at = MessageStatus.SKIPPED, outbox.OPTED_OUT, None
    if not insert_unless_taken(message):
        if message.event_key is not None:
            return False
        raise Conflict(N_("消息未能写入，请重试"), details={"template": message.template})
    if message.status == MessageStatus.QUEUED:
        outbox.enqueue_send(message.id)
    return True


def _find(order_id: int | None, event_key: str, channel: str) -> Message | None:
    return db.session.scalar(select(Message).where(
        Message.order_id == order_id, Message.event_key == event_key, Message.channel == channel))


def _mobile_or_error(phone: str) -> str:
    mobile = normalise_mobile(phone)
    if mobile is None:
        raise ValidationError({"phone": N_("请输入有效的中国大陆手机号")})
    return mobile

