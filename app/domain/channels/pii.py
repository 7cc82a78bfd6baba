"""Receiver plaintext, only through the platform's decrypt call and only when it is needed.

Orders keep the platform's masked receiver (王**, 138****8000); the OAID and ciphertexts stay on the
channel side (ChannelOrder.pii_tokens). ``reveal_receiver`` asks the platform for the plaintext for
one scene (printing a waybill, say), returns it to the caller for that use and records that it
happened in the order's timeline — the scene and who asked, never the values. The decrypt call is
made with no transaction open (``checkpoint`` is the caller's commit, see app/outside_calls.py); the
timeline entry is written after it, for the caller to commit.
"""

from collections.abc import Callable

from sqlalchemy import select

from app.db import db
from app.domain.channels.adapters.base import ChannelAdapter, PlainReceiver
from app.domain.channels.models import ChannelOrder
from app.domain.errors import NotFound
from app.domain.orders import services
from app.domain.orders.models import Order
from app.outside_calls import call_outside
from app.text import N_, Text


def reveal_receiver(order: Order, adapter: ChannelAdapter, scene: str, actor: str, *,
                    checkpoint: Callable[[], None]) -> PlainReceiver:
    link = db.session.scalar(select(ChannelOrder).where(ChannelOrder.order_id == order.id))
    if link is None:
        raise NotFound(N_("订单 %(order_no)s 不是平台同步来的订单，没有可解密的收件人"), order_no=order.order_no)
    receiver = call_outside(checkpoint, adapter.decrypt_receiver, link.external_id, dict(link.pii_tokens or {}),
                            scene)
    services.add_event(order, "pii_decrypted", actor, order.status, order.status,
                       reason=Text(N_("通过平台解密收件人（场景 %(scene)s）"), scene=scene))
    db.session.flush()
    return receiver
