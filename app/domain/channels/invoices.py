"""The buyer's invoice request from the platform (JD ``invoiceInfo`` / ``invoiceCode``, Pinduoduo
``invoice_status``, Taobao's and Youzan's invoice fields) onto the order's invoice fields, where the
invoicing flow picks it up.

Taken once: when the order has no invoice details yet (a request made on the platform after the order
was created arrives this way too). Details a person or the buyer set here are never overwritten. The
platform's tax id is kept as given; the invoicing flow checks it before issuing.
"""

from app.domain.channels.adapters.base import PlatformOrder
from app.domain.orders import amend
from app.domain.orders.models import Order
from app.domain.orders.states import OrderStatus
from app.text import N_


def follow(order: Order, view: PlatformOrder, actor: str) -> None:
    invoice = view.invoice
    if invoice is None or order.invoice_title_type or order.status in (OrderStatus.CLOSED, OrderStatus.REFUNDED):
        return
    changes = amend.change_fields(order, {
        "invoice_title_type": invoice.title_type, "invoice_title": invoice.title, "invoice_tax_id": invoice.tax_id,
        "invoice_email": invoice.email, "invoice_kind": invoice.kind})
    amend.record(order, changes, N_("平台订单带有开票信息"), actor)
