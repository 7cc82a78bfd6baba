"""The API's request bodies and query strings, one pydantic model each: the model parses the request
(``schema.parse_body``) and is the schema the OpenAPI document publishes (``component_schemas``).

Field names in errors are the JSON paths (``receiver.phone``, ``lines[0].qty``), the same the domain
uses, so a create-order body with a wrongly typed field *and* a bad phone gets both named in one 422.
"""

from typing import Annotated

from pydantic import AfterValidator, Field, PlainValidator, WithJsonSchema
from pydantic import ValidationError as SchemaError
from pydantic_core import PydanticCustomError

from app.domain.errors import ValidationError
from app.domain.invoicing.titles import KINDS, TITLE_TYPES, Title
from app.domain.orders import inputs
from app.domain.orders.refunds import RefundLine
from app.domain.orders.states import OrderStatus
from app.web.api.cursors import ListCursor, read_cursor
from app.web.api.schema import Body, MoneyIn, StrictBool, StrictInt, StrictText, TimeIn, fields_of

Code = Annotated[StrictText, Field(max_length=64)]
Centimetres = Annotated[StrictInt, Field(ge=0, le=500, description="单件外包装尺寸（厘米），用于体积重；0 为未测量")]


def _text(max_length: int, **extra) -> type:
    return Annotated[StrictText, Field(max_length=max_length, **extra)]


# ---- catalog and stock ------------------------------------------------------------------------------

class ComponentInput(Body):
    sku: Code
    qty: Annotated[StrictInt, Field(ge=1, le=1_000_000_000)]


class SkuInput(Body):
    """新建时 name 必填；更新时未传的字段保持原值（包括 components）。"""

    name: _text(200, examples=["保温杯 500ml"]) | None = None
    weight_g: Annotated[StrictInt, Field(ge=0, le=1_000_000_000, description="组合装的重量按子商品计")] | None = None
    length_cm: Centimetres | None = None
    width_cm: Centimetres | None = None
    height_cm: Centimetres | None = None
    price: MoneyIn | None = None
    tax_rate: Annotated[StrictText, Field(examples=["0.13"], description="增值税率，字符串: 0.13、0.09、0.06、"
                                                                        "0.05、0.03、0.01 或 0")] | None = None
    barcode: _text(32, description="8 到 14 位数字；空字符串清除") | None = None
    category: _text(32) | None = None
    active: StrictBool | None = None
    components: list[ComponentInput] | None = Field(default=None, max_length=200,
                                                    description="有子商品即为组合装；普通商品不传")
    tax_code: _text(19, description="税收分类编码，19 位数字", examples=["1060512990000000000"]) | None = None
    tax_name: _text(32, description="税收分类简称，开票时印为 *简称*商品名", examples=["日用杂品"]) | None = None


class ReceiptLine(Body):
    sku: Code
    #: Stock columns are 32-bit integers; no real delivery brings a million units of one SKU in one line.
    qty: Annotated[StrictInt, Field(ge=1, le=1_000_000)]


class ReceiptInput(Body):
    warehouse: _text(32)
    lines: list[ReceiptLine] = Field(min_length=1, max_length=200)
    reference: _text(64) = ""


class AdjustmentInput(Body):
    warehouse: _text(32)
    sku: Code
    counted: Annotated[StrictInt, Field(ge=0, le=1_000_000_000)]
    reason: _text(200) = ""


# ---- orders -----------------------------------------------------------------------------------------

class BuyerInput(Body):
    name: _text(64) = ""
    phone: _text(32) = ""


class ReceiverInput(Body):
    name: _text(64) = ""
    phone: _text(32) = ""
    province: _text(32) = ""
    city: _text(32) = ""
    district: _text(32) = ""
    address: _text(200) = ""


class LineInput(Body):
    sku: Code
    qty: Annotated[StrictInt, Field(description="1 到 100000")]
    unit_price: MoneyIn | None = Field(default=None, description="不传则按商品标价")
    is_gift: StrictBool = False


class InvoiceInput(Body):
    title_type: _text(16, json_schema_extra={"enum": ["personal", "company"]})
    title: _text(100)
    tax_id: _text(32, description="统一社会信用代码（单位抬头必填）") = ""
    email: _text(100) = ""


class OrderInput(Body):
    external_id: _text(64, description="渠道自己的订单号；同一渠道重复提交返回已有订单（200）") | None = None
    buyer: BuyerInput | None = None
    receiver: ReceiverInput
    lines: list[LineInput] = Field(max_length=inputs.MAX_LINES)
    shipping_fee: MoneyIn = 0
    discount: MoneyIn = 0
    invoice: InvoiceInput | None = None
    remark: _text(500) = ""

    def to_domain(self) -> inputs.OrderInput:
        buyer = self.buyer or BuyerInput()
        invoice = self.invoice
        return inputs.OrderInput(
            external_id=self.external_id,
            receiver=inputs.Receiver(**self.receiver.model_dump()),
            lines=[inputs.LineInput(sku=line.sku, quantity=line.qty, unit_price_fen=line.unit_price,
                                    is_gift=line.is_gift) for line in self.lines],
            buyer_name=buyer.name, buyer_phone=buyer.phone,
            shipping_fen=self.shipping_fee, discount_fen=self.discount,
            invoice=inputs.InvoiceRequest(**invoice.model_dump()) if invoice else None,
            remark=self.remark,
        )


def order_input(data: dict) -> inputs.OrderInput:
    """The create-order body as the domain's input; raises ValidationError naming every bad field,
    the body's own and, for the parts that did parse, the domain's (phone, SKUs, tax id)."""
    try:
        return OrderInput.model_validate(data).to_domain()
    except SchemaError as error:
        shape_errors = fields_of(error)
    try:
        inputs.validate(_parsed_parts(data))
    except ValidationError as error:
        raise ValidationError(error.fields | shape_errors) from None
    raise ValidationError(shape_errors)


def _parsed_parts(data: dict) -> inputs.OrderInput:
    """The body with each field that does not parse left empty, so that the domain can check the others."""
    lines = data.get("lines") if isinstance(data.get("lines"), list) else []
    invoice = data.get("invoice")
    nested = {
        "receiver": _salvaged(ReceiverInput, data.get("receiver")),
        "buyer": _salvaged(BuyerInput, data.get("buyer")),
        "lines": [_salvaged(LineInput, line, sku="", qty=0) for line in lines],
        "invoice": _salvaged(InvoiceInput, invoice, title_type="", title="") if isinstance(invoice, dict) else None,
    }
    return _salvaged(OrderInput, {key: value for key, value in data.items() if key not in nested},
                     **nested).to_domain()


def _salvaged(model: type[Body], data, **placeholders) -> Body:
    """``model`` with each field of ``data`` that is valid on its own; the rest default (or placeholder)."""
    instance = model.model_construct(**placeholders)
    for name, value in (data if isinstance(data, dict) else {}).items():
        if name in model.model_fields:
            try:
                model.__pydantic_validator__.validate_assignment(instance, name, value)
            except SchemaError:
                continue
    return instance


class PayInput(Body):
    paid_amount: MoneyIn = Field(description="须等于应付金额 payable")
    paid_at: TimeIn | None = None
    payment_ref: _text(64) = ""


class CancelInput(Body):
    reason: _text(200) = ""


class RefundLineInput(Body):
    sku: Code | None = Field(default=None, description="商品编码；同一商品有多行（如赠品）时请用 line_id")
    line_id: Annotated[StrictInt, Field(ge=1, description="订单 lines[].line_id")] | None = None
    qty: Annotated[StrictInt, Field(ge=1, le=1_000_000_000)]


class RefundInput(Body):
    amount: MoneyIn
    lines: list[RefundLineInput] | None = Field(
        default=None, max_length=200,
        description="退哪些商品、几件。不传时: 金额等于全部可退金额则整单退（所有商品）；"
                    "金额小于可退金额则为仅退款（不退货、不动库存）。")
    restock: StrictBool = Field(default=False, description="发货后退货：退回的商品是否重新入库可售")
    damaged: StrictBool = Field(default=False, description="与 restock 同用: 退回商品计入残次")
    reason: _text(200) = ""

    def refund_lines(self, refundable_fen: int) -> list[RefundLine] | None:
        """Without ``lines``, the full refundable amount refunds every line (None: goods and money); a
        smaller amount is a money-only partial refund (a price adjustment: no goods come back)."""
        if self.lines is None:
            return None if self.amount >= refundable_fen else []
        return [RefundLine(sku=line.sku or "", quantity=line.qty, line_id=line.line_id) for line in self.lines]


# ---- invoices ---------------------------------------------------------------------------------------

class InvoiceRequestInput(Body):
    title_type: _text(16, json_schema_extra={"enum": list(TITLE_TYPES)})
    title: _text(100)
    tax_id: _text(32, description="统一社会信用代码（单位抬头必填，个人抬头忽略）") = ""
    email: _text(100, description="开具后 PDF 发送到此邮箱") = ""
    kind: _text(8, json_schema_extra={"enum": list(KINDS)},
                description="normal 普票；special 增值税专用发票（仅单位，须填 address、phone、bank、account）") = "normal"
    address: _text(100, description="专票: 购方地址") = ""
    phone: _text(20, description="专票: 购方电话") = ""
    bank: _text(100, description="专票: 购方开户银行") = ""
    account: _text(40, description="专票: 购方银行账号") = ""

    def as_title(self) -> Title:
        return Title(**self.model_dump())


# ---- query strings ----------------------------------------------------------------------------------

def _known_status(status: str) -> str:
    if status not in set(OrderStatus):
        raise PydanticCustomError("status", "未知状态码，可选: {choices}", {"choices": ", ".join(OrderStatus)})
    return status


class OrderQuery(Body):
    """Query strings are text: numbers are read from it (``page=2``), unlike in JSON bodies."""

    external_id: str | None = None
    status: Annotated[str, AfterValidator(_known_status),
                      Field(json_schema_extra={"enum": [str(status) for status in OrderStatus]})] | None = None
    updated_since: TimeIn | None = None
    page: Annotated[int, Field(ge=1, description="页码（按偏移翻页）；给出 cursor 时忽略")] = 1
    per_page: Annotated[int, Field(ge=1, description="最多 100（更大的值按 100）")] = 50
    cursor: Annotated[ListCursor, PlainValidator(read_cursor), WithJsonSchema({
        "type": "string", "maxLength": 200,
        "description": "上一页响应中的 next_cursor：从该页最后一个订单之后继续（按索引定位，不数前面的行），"
                       "翻页期间新到的订单不会造成重复或漏单；给出时忽略 page"})] | None = None


#: Every request body; each is published under its class name.
PUBLISHED = [SkuInput, ReceiptInput, AdjustmentInput, OrderInput, PayInput, CancelInput, RefundInput,
             InvoiceRequestInput]
