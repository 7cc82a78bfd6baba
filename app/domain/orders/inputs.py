"""What it takes to create an order, and the checks on it. Field names in errors follow the API's
JSON paths (``receiver.phone``, ``lines[1].sku``) so that every caller can point at the bad field."""

import re
from dataclasses import dataclass, field
from datetime import datetime

import phonenumbers
from stdnum.cn import uscc

from app.domain.catalog.models import Sku
from app.domain.catalog.queries import skus_by_code_any_case
from app.domain.errors import ValidationError
from app.text import N_, Text

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MASKED_PHONE_PATTERN = re.compile(r"^[0-9*+\- ]{1,20}$")
MAX_LINES = 200
MAX_QUANTITY = 100_000
#: Money columns are 32-bit integers of fen (at most 21,474,836.47 yuan): an order's total stays inside.
MAX_ORDER_FEN = 1_000_000_000


@dataclass
class LineInput:
    sku: str
    quantity: int
    unit_price_fen: int | None = None  # None: the SKU's list price
    is_gift: bool = False
    #: Platform orders: the line's discount as the platform spread it (price × quantity − the line's
    #: paid amount); used when every line has one and they add up to the order's discount.
    discount_fen: int | None = None


@dataclass
class Receiver:
    name: str
    phone: str
    province: str
    city: str
    address: str
    district: str = ""
    town: str = ""  # street / town (乡镇街道), as the platforms send it
    postcode: str = ""


@dataclass
class InvoiceRequest:
    title_type: str  # personal | company
    title: str
    tax_id: str = ""
    email: str = ""


@dataclass
class OrderInput:
    receiver: Receiver
    lines: list[LineInput]
    external_id: str | None = None
    buyer_name: str = ""
    buyer_phone: str = ""
    shipping_fen: int = 0
    discount_fen: int = 0
    invoice: InvoiceRequest | None = None
    remark: str = ""
    #: Channel orders: the platform sends receiver/buyer contacts masked (138****8000, 王**) and keeps
    #: the plaintext behind its decrypt call, so phones are kept as given instead of normalised.
    masked_pii: bool = False
    #: Channel orders: when the buyer placed it on the platform (the order's created time) and the
    #: platform's promised ship-by time; both UTC, None for orders placed here.
    placed_at: datetime | None = None
    ship_by_at: datetime | None = None
    #: Platform orders: who funds the discount {"platform", "seller", "coupon"}, summing to discount_fen.
    discount_split: dict[str, int] | None = None
    platform_goods_fen: int | None = None  # the goods total the sales platform states, when it does
    skus: dict[str, Sku] = field(default_factory=dict)  # filled by validate(): code → SKU


def normalise_phone(phone: str) -> str | None:
    """A Chinese mobile or fixed-line number in the form we store (``13800138000``, ``02162345678``)."""
    try:
        number = phonenumbers.parse((phone or "").strip(), "CN")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 86 or not phonenumbers.is_valid_number(number):
        return None
    digits = str(number.national_number)
    return digits if phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE else "0" + digits


def validate(data: OrderInput) -> None:
    """Check everything and normalise phones and the tax id in place; raise one ValidationError naming
    every bad field."""
    errors: dict[str, str] = {}
    _check_receiver(data, errors)
    _check_lines(data, errors)
    _check_money(data, errors)
    _check_invoice(data.invoice, errors)
    if data.external_id is not None and not (0 < len(data.external_id.strip()) <= 64):
        errors["external_id"] = N_("外部单号应为 1 到 64 个字符")
    if len(data.remark or "") > 500:
        errors["remark"] = N_("备注最多 500 字")
    if errors:
        raise ValidationError(errors)


# Field → the column's length, so that every caller gets a 422 naming the field, never a database error.
MAX_LENGTHS = {
    "receiver.name": 64, "receiver.province": 32, "receiver.city": 32, "receiver.district": 32,
    "receiver.address": 200, "buyer.name": 64, "invoice.title": 100, "invoice.email": 100,
}


def _check_lengths(data: OrderInput, errors: dict) -> None:
    values = {
        "receiver.name": data.receiver.name, "receiver.province": data.receiver.province,
        "receiver.city": data.receiver.city, "receiver.district": data.receiver.district,
        "receiver.address": data.receiver.address, "buyer.name": data.buyer_name,
        "invoice.title": data.invoice.title if data.invoice else "",
        "invoice.email": data.invoice.email if data.invoice else "",
    }
    for field_name, value in values.items():
        if len((value or "").strip()) > MAX_LENGTHS[field_name]:
            errors.setdefault(field_name, Text(N_("最多 %(limit)s 个字"), limit=MAX_LENGTHS[field_name]))


def _check_receiver(data: OrderInput, errors: dict) -> None:
    receiver = data.receiver
    for name in ("name", "province", "city", "address"):
        if not (getattr(receiver, name) or "").strip():
            errors[f"receiver.{name}"] = N_("此项必填")
    _check_lengths(data, errors)
    if data.masked_pii:
        _check_masked_phones(data, errors)
        return
    phone = normalise_phone(receiver.phone)
    if phone is None:
        errors["receiver.phone"] = N_("请输入有效的中国大陆手机号或固定电话")
    else:
        receiver.phone = phone
    if data.buyer_phone:
        buyer_phone = normalise_phone(data.buyer_phone)
        if buyer_phone is None:
            errors["buyer.phone"] = N_("请输入有效的中国大陆手机号")
        else:
            data.buyer_phone = buyer_phone


def _check_masked_phones(data: OrderInput, errors: dict) -> None:
    """A masked phone is digits, masks and separators (138****8000, 1*********5, 18877771111-123)."""
    if not MASKED_PHONE_PATTERN.match((data.receiver.phone or "").strip()):
        errors["receiver.phone"] = N_("脱敏电话格式不正确")
    if data.buyer_phone and not MASKED_PHONE_PATTERN.match(data.buyer_phone.strip()):
        errors["buyer.phone"] = N_("脱敏电话格式不正确")


def _check_lines(data: OrderInput, errors: dict) -> None:
    if not data.lines:
        errors["lines"] = N_("订单至少要有一个商品")
        return
    if len(data.lines) > MAX_LINES:
        errors["lines"] = Text(N_("一个订单最多 %(limit)s 行"), limit=MAX_LINES)
        return
    codes = {line.sku for line in data.lines}
    data.skus = skus_by_code_any_case(codes, with_components=True)  # staff type sn-001 for SN-001
    for index, line in enumerate(data.lines):
        sku = data.skus.get(line.sku)
        if sku is None:
            errors[f"lines[{index}].sku"] = Text(N_("商品 %(sku)s 不存在"), sku=line.sku)
        elif not sku.active:
            errors[f"lines[{index}].sku"] = Text(N_("商品 %(sku)s 已下架"), sku=line.sku)
        if not isinstance(line.quantity, int) or line.quantity <= 0:
            errors[f"lines[{index}].qty"] = N_("数量必须是大于 0 的整数")
        elif line.quantity > MAX_QUANTITY:
            errors[f"lines[{index}].qty"] = Text(N_("单行数量最多 %(limit)s 件"), limit=f"{MAX_QUANTITY:,}")
        if line.unit_price_fen is not None and line.unit_price_fen < 0:
            errors[f"lines[{index}].unit_price"] = N_("单价不能为负数")


def _check_money(data: OrderInput, errors: dict) -> None:
    if data.shipping_fen < 0:
        errors["shipping_fee"] = N_("运费不能为负数")
    if data.discount_fen < 0:
        errors["discount"] = N_("优惠不能为负数")
    elif not errors and data.discount_fen > goods_total(data):
        errors["discount"] = N_("优惠不能超过商品金额")
    if not errors and goods_total(data) + data.shipping_fen > MAX_ORDER_FEN:
        errors["lines"] = Text(N_("订单金额过大（单笔最多 %(limit)s 元）"), limit=f"{MAX_ORDER_FEN // 100:,}")


def _check_invoice(invoice: InvoiceRequest | None, errors: dict) -> None:
    if invoice is None:
        return
    if invoice.title_type not in ("personal", "company"):
        errors["invoice.title_type"] = N_("抬头类型须为 personal（个人）或 company（单位）")
    if not (invoice.title or "").strip():
        errors["invoice.title"] = N_("请填写发票抬头")
    if invoice.title_type == "company":
        if not uscc.is_valid(invoice.tax_id or ""):
            errors["invoice.tax_id"] = N_("请填写有效的统一社会信用代码（18 位）")
        else:
            invoice.tax_id = uscc.compact(invoice.tax_id)
    if invoice.email and not EMAIL_PATTERN.match(invoice.email):
        errors["invoice.email"] = N_("邮箱格式不正确")


def goods_total(data: OrderInput) -> int:
    return sum(line.quantity * unit_price(line, data.skus[line.sku]) for line in data.lines)


def unit_price(line: LineInput, sku: Sku) -> int:
    if line.is_gift:
        return 0
    return sku.price_fen if line.unit_price_fen is None else line.unit_price_fen
