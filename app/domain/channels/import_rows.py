"""Rows of an imported order file → one platform-neutral payload per order, with row-level errors.

Staff map the file's columns onto FIELDS. Rows sharing an external id are one order with several
lines; the order-level columns (receiver, shipping, discount, remark, paid) are read from the first row
of the order that has them, since exports either repeat them on every line or fill only the first.
A row that breaks a rule rejects its whole order ("bad rows never create half orders"): the order is
not even stored, and each error names the file line as staff see it in Excel ("第 12 行：…").

The payload built here is what is stored raw (source "import") and mapped by IMPORT_MAPPING, so an
imported order goes through the same storage and normalisation as a pulled one. It holds only the
file's content, no import time, so importing the same file again stores nothing new.
"""

from dataclasses import dataclass, field

from app.domain.orders.inputs import normalise_phone
from app.money import MoneyFormatError, yuan_to_fen
from app.text import N_, Text

#: OrderHub field → label shown in the column-mapping form.
FIELDS = {
    "external_id": "外部订单号",
    "receiver_name": "收货人",
    "receiver_phone": "收货人手机",
    "province": "省",
    "city": "市",
    "district": "区/县",
    "address": "详细地址",
    "sku_code": "商家编码",
    "quantity": "数量",
    "unit_price": "单价（元）",
    "shipping": "运费（元）",
    "discount": "优惠（元）",
    "remark": "备注",
    "paid": "是否已付款",
}
REQUIRED = ("external_id", "sku_code", "quantity", "unit_price")
ORDER_FIELDS = ("receiver_name", "receiver_phone", "province", "city", "district", "address", "shipping",
                "discount", "remark", "paid")
#: Header words that usually mean a field, so a first import comes pre-mapped.
HINTS = {
    "external_id": ("订单号", "订单编号", "单号", "外部订单号", "order"),
    "receiver_name": ("收货人", "收件人", "姓名", "联系人"),
    "receiver_phone": ("手机", "电话", "联系电话", "phone", "mobile"),
    "province": ("省",),
    "city": ("市",),
    "district": ("区", "县"),
    "address": ("地址", "详细地址", "address"),
    "sku_code": ("商家编码", "sku", "编码", "货号"),
    "quantity": ("数量", "qty", "件数"),
    "unit_price": ("单价", "价格", "price"),
    "shipping": ("运费", "邮费"),
    "discount": ("优惠", "折扣"),
    "remark": ("备注", "留言", "remark"),
    "paid": ("付款", "支付", "paid"),
}
YES = {"是", "已付款", "已支付", "已付", "y", "yes", "true", "1", "付款", "paid"}
NO = {"否", "未付款", "未支付", "待付款", "n", "no", "false", "0", "unpaid"}
PAID, UNPAID = "PAID", "WAIT_PAY"

#: The field mapping for stored import payloads (money in fen; the stored time is the import time).
IMPORT_MAPPING = {
    "external_id": "order_no", "status": "status", "modified": "modified", "created": "created",
    "paid_at": "paid_at", "time_format": "unix", "money": "fen", "payment": "payment_fen",
    "shipping": "shipping_fen", "buyer_name": "buyer_name", "remark": "remark",
    "receiver": {name: f"receiver.{name}" for name in ("name", "phone", "province", "city", "district", "address")},
    "pii": {}, "lines": {"path": "lines", "code": "code", "quantity": "quantity", "unit_price": "price_fen"},
    "waybill": {}, "statuses": {PAID: "paid", UNPAID: "pending"}, "carriers": {},
}


@dataclass
class RowValues:
    line_no: int  # the line in the file (the header is line 1)
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)
    quantity: int = 0
    price_fen: int = 0
    shipping_fen: int | None = None
    discount_fen: int | None = None
    phone: str = ""
    paid: bool | None = None


@dataclass
class ImportOrder:
    external_id: str
    rows: list[RowValues]
    payload: dict | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def line_numbers(self) -> list[int]:
        return [row.line_no for row in self.rows]

    def line_of(self, code: str) -> int:
        return next((row.line_no for row in self.rows if row.values.get("sku_code") == code), self.rows[0].line_no)


def guess_mapping(header: list[str], remembered: dict[str, str] | None = None) -> dict[str, str]:
    """Field → header name: the channel's last mapping where its columns are still there, else a guess."""
    result = {name: column for name, column in (remembered or {}).items() if column in header and name in FIELDS}
    taken = set(result.values())
    for name, words in HINTS.items():
        if name in result:
            continue
        for column in header:
            if column not in taken and any(word.lower() in column.lower() for word in words):
                result[name] = column
                taken.add(column)
                break
    return result


def mapping_errors(column_map: dict[str, str], header: list[str]) -> dict[str, str]:
    errors = {name: N_("必须选择一列") for name in REQUIRED if not column_map.get(name)}
    errors |= {name: N_("文件中没有这一列") for name, column in column_map.items() if column and column not in header}
    used: dict[str, str] = {}
    for name, column in column_map.items():
        if column and column in used:
            errors[name] = Text(N_("「%(column)s」已用于%(field)s"), column=column, field=Text(FIELDS[used[column]]))
        elif column:
            used[column] = name
    return errors


def read_row(line_no: int, cells: list[str], header: list[str], column_map: dict[str, str]) -> RowValues:
    """One file row, checked field by field; every problem becomes a 第 N 行 message."""
    index = {column: position for position, column in enumerate(header)}
    values = {name: cells[index[column]].strip() for name, column in column_map.items() if column in index}
    row = RowValues(line_no, values)
    say = row.errors.append
    if not values.get("external_id"):
        say(Text(N_("第 %(line)s 行：缺少外部订单号"), line=line_no))
    elif len(values["external_id"]) > 64:
        say(Text(N_("第 %(line)s 行：外部订单号超过 64 位"), line=line_no))
    if not values.get("sku_code"):
        say(Text(N_("第 %(line)s 行：缺少商家编码"), line=line_no))
    quantity = values.get("quantity", "")
    if quantity.isdigit() and 0 < int(quantity) <= 100000:
        row.quantity = int(quantity)
    else:
        say(Text(N_("第 %(line)s 行：数量「%(quantity)s」应为正整数"), line=line_no, quantity=quantity))
    row.price_fen = _yuan(row, "unit_price", required=True) or 0
    row.shipping_fen = _yuan(row, "shipping")
    row.discount_fen = _yuan(row, "discount")
    if values.get("receiver_phone"):
        row.phone = normalise_phone(values["receiver_phone"]) or ""
        if not row.phone:
            say(Text(N_("第 %(line)s 行：手机号格式不正确"), line=line_no))
    paid = values.get("paid", "").lower()
    if paid:
        row.paid = True if paid in YES else False if paid in NO else None
        if row.paid is None:
            say(Text(N_("第 %(line)s 行：是否已付款「%(paid)s」无法识别，请填 是 或 否"), line=line_no, paid=values["paid"]))
    return row


def group(rows: list[RowValues]) -> list[ImportOrder]:
    """Rows → orders by external id, in the order they first appear; builds each valid order's payload."""
    orders: dict[str, ImportOrder] = {}
    loose: list[ImportOrder] = []
    for row in rows:
        key = row.values.get("external_id", "")
        if not key:
            loose.append(ImportOrder("", [row], errors=list(row.errors)))
            continue
        orders.setdefault(key, ImportOrder(key, [])).rows.append(row)
    for order in orders.values():
        order.errors = [error for row in order.rows for error in row.errors]
        if not order.errors:
            _build(order)
    return list(orders.values()) + loose


def _build(order: ImportOrder) -> None:
    first = {name: next((row for row in order.rows if row.values.get(name)), None) for name in ORDER_FIELDS}
    text = {name: (row.values[name] if row else "") for name, row in first.items()}
    shipping = first["shipping"].shipping_fen if first["shipping"] else 0
    discount = first["discount"].discount_fen if first["discount"] else 0
    goods = sum(row.quantity * row.price_fen for row in order.rows)
    if goods + shipping - discount < 0:
        order.errors.append(Text(N_("第 %(line)s 行：优惠金额大于商品金额加运费"), line=order.rows[0].line_no))
        return
    paid = first["paid"].paid if first["paid"] else True  # no column or blank: the sale was paid (POS, offline)
    order.payload = {
        "order_no": order.external_id, "status": PAID if paid else UNPAID, "payment_fen": goods + shipping - discount,
        "shipping_fen": shipping, "remark": text["remark"][:500], "buyer_name": "",
        "receiver": {"name": text["receiver_name"], "phone": first["receiver_phone"].phone if first["receiver_phone"] else "",
                     "province": text["province"], "city": text["city"], "district": text["district"],
                     "address": text["address"]},
        "lines": [{"code": row.values["sku_code"], "quantity": row.quantity, "price_fen": row.price_fen}
                  for row in order.rows],
    }


def _yuan(row: RowValues, name: str, required: bool = False) -> int | None:
    text = row.values.get(name, "").replace("¥", "").replace("￥", "").replace(",", "").strip()
    if not text:
        if required:
            row.errors.append(Text(N_("第 %(line)s 行：缺少%(field)s"), line=row.line_no, field=Text(FIELDS[name])))
        return None
    try:
        fen = yuan_to_fen(text)
    except MoneyFormatError:
        fen = -1
    if fen < 0:
        row.errors.append(Text(N_("第 %(line)s 行：%(field)s「%(value)s」不是有效金额"), line=row.line_no,
                                    field=Text(FIELDS[name]), value=row.values[name]))
        return None
    return fen
