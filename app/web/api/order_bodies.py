"""The JSON bodies of the order endpoints, read into the domain's inputs.

Field names in errors are the JSON paths (``receiver.phone``, ``lines[0].qty``), the same the domain
uses, so a body with a wrongly typed field *and* a bad phone gets both named in one 422.
"""

from dataclasses import dataclass
from datetime import datetime

from app.domain.errors import ValidationError
from app.domain.orders import inputs
from app.domain.orders.inputs import InvoiceRequest, LineInput, OrderInput, Receiver
from app.domain.orders.refunds import RefundLine
from app.web.api.parsing import Body

RECEIVER_LENGTHS = {"name": 64, "phone": 32, "province": 32, "city": 32, "district": 32, "address": 200}


def order_input(body: Body) -> OrderInput:
    """The create-order body as an OrderInput; raises ValidationError naming every bad field."""
    data = OrderInput(
        external_id=body.optional_text("external_id", max_length=64),
        receiver=_receiver(body.obj("receiver", required=True)),
        lines=_lines(body),
        shipping_fen=body.money("shipping_fee", default=0),
        discount_fen=body.money("discount", default=0),
        invoice=_invoice(body.obj("invoice")),
        remark=body.text("remark", max_length=500),
    )
    buyer = body.obj("buyer")
    if buyer is not None:
        data.buyer_name = buyer.text("name", max_length=64)
        data.buyer_phone = buyer.text("phone", max_length=32)
    if body.errors:
        raise ValidationError(_with_domain_errors(data, body.errors))
    return data


def _receiver(body: Body | None) -> Receiver:
    if body is None:
        return Receiver(name="", phone="", province="", city="", address="")
    values = {name: body.text(name, max_length=length) for name, length in RECEIVER_LENGTHS.items()}
    return Receiver(**values)


def _lines(body: Body) -> list[LineInput]:
    lines = []
    for row in body.items("lines", required=True, max_items=inputs.MAX_LINES) or []:
        lines.append(LineInput(
            sku=row.text("sku", required=True, max_length=64),
            # An invalid quantity stays 0 so that the domain's checks can still run on the rest.
            quantity=row.integer("qty", required=True, default=0) or 0,
            unit_price_fen=row.money("unit_price"),
            is_gift=row.boolean("is_gift"),
        ))
    return lines


def _invoice(body: Body | None) -> InvoiceRequest | None:
    if body is None:
        return None
    return InvoiceRequest(
        title_type=body.text("title_type", required=True, max_length=16),
        title=body.text("title", required=True, max_length=100),
        tax_id=body.text("tax_id", max_length=32),
        email=body.text("email", max_length=100),
    )


def _with_domain_errors(data: OrderInput, shape_errors: dict[str, str]) -> dict[str, str]:
    """The type errors plus what the domain finds in the fields that did parse (phone, SKUs, tax id)."""
    try:
        inputs.validate(data)
    except ValidationError as error:
        return error.fields | shape_errors
    return dict(shape_errors)


# ---- actions ----------------------------------------------------------------------------------------

@dataclass
class Payment:
    paid_fen: int
    paid_at: datetime | None
    payment_ref: str


def payment(body: Body) -> Payment:
    result = Payment(paid_fen=body.money("paid_amount", required=True), paid_at=body.timestamp("paid_at"),
                     payment_ref=body.text("payment_ref", max_length=64))
    body.raise_if_errors()
    return result


def reason(body: Body) -> str:
    text = body.text("reason", max_length=200)
    body.raise_if_errors()
    return text


@dataclass
class Refund:
    amount_fen: int
    lines: list[RefundLine] | None  # None: every line still refundable
    restock: bool
    damaged: bool
    reason: str


def refund(body: Body, refundable_fen: int) -> Refund:
    """Without ``lines``, the full refundable amount refunds every line (goods and money); a smaller
    amount is a money-only partial refund (a price adjustment: no goods come back)."""
    amount = body.money("amount", required=True)
    rows = body.items("lines")
    lines = None
    if rows is not None:
        lines = [RefundLine(sku=row.text("sku", required=True, max_length=64),
                            quantity=row.integer("qty", required=True, minimum=1, default=0))
                 for row in rows]
    result = Refund(amount_fen=amount, lines=lines, restock=body.boolean("restock"),
                    damaged=body.boolean("damaged"), reason=body.text("reason", max_length=200))
    body.raise_if_errors()
    if result.lines is None and amount < refundable_fen:
        result.lines = []
    return result
