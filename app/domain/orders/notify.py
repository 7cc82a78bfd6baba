"""Which order events send which customer messages, to whom and over which channels.

``transition()`` calls ``order_changed`` right after it records the event, so the outbox rows are part
of the state change's transaction: committed with it, or gone with its rollback. The event key is the
action, so a replayed event (and the outbox's unique key) never sends the same message twice.

Recipients, by channel:
- SMS: messages about paying (paid, reminder, closed unpaid) go to the buyer's phone when the order
  has a usable one, else the receiver's; messages about the parcel (shipped, signed) go to the
  receiver, who waits for it. Masked and virtual numbers (platform privacy) get nothing.
- WeChat: the buyer's openid (``orders.buyer_openid``, filled in by the mini-program channel) when
  there is one; other channels' orders have none, so they get no WeChat message.
- Email: the invoice address, the only one a customer gives us, for every milestone but the reminder
  (mail is read late; a reminder read after the order closed only confuses).
"""

from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.db import db
from app.domain.notifications import services as notifications
from app.domain.notifications import templates
from app.domain.notifications.models import Message, MessageChannel
from app.domain.notifications.recipients import is_email, normalise_mobile
from app.domain.orders.models import Order
from app.domain.orders.states import Action
from app.domain.reference.models import Carrier
from app.money import fen_to_yuan

SHANGHAI = ZoneInfo("Asia/Shanghai")
REMIND_PAYMENT = "remind_payment"  # the reminder's event key (it is a deadline rule, not an action)

EVENT_TEMPLATES = {
    Action.PAY: templates.ORDER_PAID,
    Action.SHIP_OUT: templates.ORDER_SHIPPED,
    Action.SIGN: templates.ORDER_SIGNED,
    Action.CLOSE_UNPAID: templates.ORDER_CLOSED_UNPAID,
}
_ABOUT_THE_PARCEL = {templates.ORDER_SHIPPED, templates.ORDER_SIGNED, templates.PARCEL_DELIVERING,
                     templates.PARCEL_SIGNED, templates.PARCEL_PROBLEM}

#: Messages about one parcel (logistics tracking): at most one of each kind per parcel.
PARCEL_SHIPPED, PARCEL_DELIVERING, PARCEL_SIGNED, PARCEL_PROBLEM = "shipped", "delivering", "signed", "problem"
PARCEL_TEMPLATES = {
    PARCEL_SHIPPED: templates.ORDER_SHIPPED,
    PARCEL_DELIVERING: templates.PARCEL_DELIVERING,
    PARCEL_SIGNED: templates.PARCEL_SIGNED,
    PARCEL_PROBLEM: templates.PARCEL_PROBLEM,
}


def order_changed(order: Order, action: Action, details: dict | None = None) -> list[Message]:
    """Queue the messages ``action`` (which has just moved ``order``) calls for; ``details`` are the
    event's (the carrier and waybill of a shipment are set on the order only after the transition)."""
    template = EVENT_TEMPLATES.get(action)
    if template is None:
        return []
    return _queue(order, template, str(action), _params(order, template, details or {}))


def parcel_message(order: Order, kind: str, shipment_id: int, params: dict) -> list[Message]:
    """Queue the message of ``kind`` about one of the order's parcels (``params``: its carrier's name and
    waybill); the event key names the parcel, so each kind goes out once per parcel."""
    return _queue(order, PARCEL_TEMPLATES[kind], f"parcel:{shipment_id}:{kind}",
                  {"order_no": order.order_no, **params})


def remind_payment(order: Order) -> list[Message]:
    """Queue the payment reminder (催付) for an order that closes at its ``payment_due_at``."""
    close_time = order.payment_due_at.astimezone(SHANGHAI).strftime("%H:%M")
    return _queue(order, templates.PAYMENT_REMINDER, REMIND_PAYMENT,
                  {"order_no": order.order_no, "close_time": close_time})


def _queue(order: Order, template: str, event_key: str, params: dict) -> list[Message]:
    phone = _customer_phone(order, template)
    return [
        notifications.queue_message(recipient=recipient, channel=channel, template=template, params=params,
                                    order_id=order.id, event_key=event_key, phone=phone)
        for channel, recipient in _recipients(order, template, phone)
    ]


def _recipients(order: Order, template: str, phone: str | None) -> list[tuple[MessageChannel, str]]:
    channels = templates.get_template(template).channels
    candidates = (
        (MessageChannel.SMS, phone),
        (MessageChannel.WECHAT, order.buyer_openid),
        (MessageChannel.EMAIL, order.invoice_email if is_email(order.invoice_email) else None),
    )
    return [(channel, recipient.strip()) for channel, recipient in candidates if recipient and channel in channels]


def _customer_phone(order: Order, template: str) -> str | None:
    if template in _ABOUT_THE_PARCEL:
        return normalise_mobile(order.receiver_phone)
    return normalise_mobile(order.buyer_phone) or normalise_mobile(order.receiver_phone)


def _params(order: Order, template: str, details: dict) -> dict[str, str]:
    params = {"order_no": order.order_no}
    if template == templates.ORDER_PAID:
        params["amount"] = fen_to_yuan(details.get("paid_fen", order.payable_fen))
    elif template == templates.ORDER_SHIPPED:
        code = details.get("carrier") or (order.carrier.code if order.carrier else "")
        name = db.session.scalar(select(Carrier.name).where(Carrier.code == code))
        params["carrier"] = name or code or "快递"
        params["waybill_no"] = details.get("waybill_no") or order.waybill_no
    return params
