"""Payments staff record by hand (标记已付款): bank transfers and cash for orders whose channel does not
take the payment itself (manual orders, shops without a platform checkout). A platform's payment is the
platform's to report, never ours to claim."""

from app.domain.errors import Conflict, ValidationError
from app.domain.orders import services
from app.domain.orders.models import Order
from app.text import N_

BANK_TRANSFER = "bank_transfer"
CASH = "cash"
PAYMENT_METHODS = {BANK_TRANSFER: N_("银行转账"), CASH: N_("现金")}


def mark_paid(order: Order, paid_fen: int, method: str, reference: str, actor: str) -> Order:
    """Record an offline payment of ``paid_fen`` (which must be what the order asks); a bank transfer
    needs its reference (the bank's 流水号) so finance can match it on the statement."""
    if order.channel.platform_owns_payment:
        raise Conflict(N_("平台订单的付款由平台确认，不能手工标记已付款"))
    if method not in PAYMENT_METHODS:
        raise ValidationError({"method": N_("请选择付款方式")})
    reference = (reference or "").strip()
    if method == BANK_TRANSFER and not reference:
        raise ValidationError({"payment_ref": N_("银行转账请填写银行流水号")})
    return services.pay(order, paid_fen, actor, payment_ref=reference, payment_method=method)
