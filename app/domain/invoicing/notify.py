"""What the customer is told about their invoice: issued (with the PDF by e-mail), rejected (with the
reason), reversed. Written to the outbox in the caller's transaction, once per invoice and event (the
outbox's unique key), to the invoice's e-mail address and the buyer's mobile."""

from app.domain.invoicing.models import Invoice
from app.domain.invoicing.services import add_event
from app.domain.notifications import services as notifications
from app.domain.notifications import templates
from app.domain.notifications.models import Message, MessageChannel
from app.domain.notifications.recipients import is_email, normalise_mobile
from app.money import fen_to_yuan
from app.text import N_, Text


def invoice_issued(invoice: Invoice, pdf_file: str) -> list[Message]:
    """Only once the PDF exists: the e-mail carries it (``pdf_file``, where the worker stored it)."""
    return _queue(invoice, templates.INVOICE_ISSUED, {"number": invoice.number or "",
                                                      "amount": fen_to_yuan(invoice.total_fen),
                                                      "pdf_path": pdf_file})


def invoice_rejected(invoice: Invoice) -> list[Message]:
    return _queue(invoice, templates.INVOICE_REJECTED, {"reason": invoice.rejection_reason})


def invoice_reversed(original: Invoice, red: Invoice) -> list[Message]:
    return _queue(original, templates.INVOICE_REVERSED, {"number": original.number or "",
                                                         "amount": fen_to_yuan(-red.total_fen)},
                  event=f"invoice_reversed:{red.id}")


def _queue(invoice: Invoice, template: str, params: dict, event: str | None = None) -> list[Message]:
    order = invoice.orders[0]
    params = {"order_no": order.order_no, **params}
    recipients = [(MessageChannel.EMAIL, invoice.email if is_email(invoice.email) else None),
                  (MessageChannel.SMS, normalise_mobile(invoice.buyer_phone))]
    messages = [notifications.queue_message(recipient=recipient, channel=channel, template=template, params=params,
                                            order_id=order.id, event_key=event or f"{template}:{invoice.id}")
                for channel, recipient in recipients if recipient]
    add_event(invoice, "notify", "system", note=Text(N_("已排队 %(count)s 条消息"), count=len(messages)),
              details={"messages": [message.id for message in messages]})
    return messages
