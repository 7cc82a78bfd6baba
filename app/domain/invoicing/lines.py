"""From orders to invoice lines: what each order can still be invoiced for, and its taxed lines."""

from sqlalchemy import func, select

from app.db import db
from app.domain.errors import ValidationError
from app.domain.invoicing import tax
from app.domain.invoicing.models import Invoice, InvoiceLine
from app.domain.invoicing.rules import InvoicingRules
from app.domain.invoicing.states import InvoiceStatus
from app.domain.orders.models import Order
from app.money import fen_to_yuan
from app.text import N_

#: Invoices whose amounts stand on the tax bureau's books (a red one counts negative).
ON_THE_BOOKS = (InvoiceStatus.ISSUED, InvoiceStatus.RED_PENDING, InvoiceStatus.REVERSED)


def invoiced_fen(order: Order) -> int:
    """What has been invoiced for ``order`` so far, net of red-letter invoices (its own lines only, so
    that an invoice merged over several orders counts on each for its part)."""
    return db.session.scalar(
        select(func.coalesce(func.sum(InvoiceLine.amount_fen), 0)).join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(InvoiceLine.order_id == order.id, Invoice.status.in_(ON_THE_BOOKS)))


def invoiceable_fen(order: Order) -> int:
    """What can still be invoiced: paid, net of refunds, less what is already invoiced."""
    return order.paid_fen - order.refunded_fen - invoiced_fen(order)


def order_lines(order: Order, rules: InvoicingRules, target_fen: int | None = None) -> list[tax.TaxedLine]:
    """The order's invoice lines, adding up to ``target_fen`` (default: what can still be invoiced).

    Raises ValidationError naming a SKU without tax classification (finance must fill it in first)."""
    goods = [_goods_line(order, line) for line in order.lines
             if not line.is_component and line.quantity > line.refunded_quantity and line.unit_price_fen > 0]
    shipping = None
    if order.shipping_fen > 0:
        shipping = tax.Line(f"*{rules.shipping_tax_name}*运费", rules.shipping_tax_code, rules.shipping_rate_bp,
                            1, order.shipping_fen, unit="次", order_id=order.id)
    target = invoiceable_fen(order) if target_fen is None else target_fen
    return tax.invoice_lines(goods, shipping, target)


def check_invoiceable(orders: list[Order]) -> None:
    """Refuse orders with nothing left to invoice, naming the amount that still can be."""
    for order in orders:
        left = invoiceable_fen(order)
        if left <= 0:
            error = ValidationError(
                {"amount": N_("订单 %(order_no)s 可开票金额为 %(amount)s 元") % {
                    "order_no": order.order_no, "amount": fen_to_yuan(max(left, 0))}},
                N_("开票金额不能超过实付金额"))
            error.details["invoiceable"] = fen_to_yuan(max(left, 0))
            raise error


def _goods_line(order: Order, line) -> tax.Line:
    sku = line.sku
    if not sku.tax_code:
        raise ValidationError({"sku": N_("商品 %(sku)s 尚未设置税收分类编码") % {"sku": sku.code}})
    quantity = line.quantity - line.refunded_quantity
    return tax.Line(f"*{sku.tax_name}*{sku.name}", sku.tax_code, sku.tax_rate_bp, quantity,
                    quantity * line.unit_price_fen, order_line_id=line.id, order_id=order.id)
