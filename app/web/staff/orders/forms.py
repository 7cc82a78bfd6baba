"""Forms of the order pages: the list filters, the manual order, and one small form per order action.

Forms parse and type-check; the order services decide what is allowed. Domain errors name fields by
the API's JSON paths (``receiver.phone``, ``lines[1].qty``); ``app.web.staff.forms.show_domain_errors``
puts each one on the form field it means.
"""


from flask_babel import gettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, NumberRange, Optional
from wtforms.validators import ValidationError as FieldError

from app.domain.errors import ValidationError
from app.domain.orders import deadlines
from app.domain.orders.inputs import InvoiceRequest, LineInput, OrderInput, Receiver
from app.domain.orders.payments import BANK_TRANSFER, PAYMENT_METHODS
from app.domain.orders.queries import ANY_SLA_FLAG, OrderFilters
from app.domain.orders.refunds import RefundLine
from app.domain.orders.states import STATUS_LABELS
from app.domain.reference import places
from app.domain.reference import queries as reference
from app.domain.reference.models import Carrier, Channel
from app.extensions import db
from app.web.errors import error_message, field_messages
from app.web.forms import YuanField
from app.web.staff.forms import REQUIRED, SubForm, optional_int, translated_choices, warehouse_choices

MAX_LINE_ROWS = 50
NEW_ORDER_ROWS = 3


def _numeric(**kwargs) -> dict:
    return {"inputmode": "numeric", **kwargs}


class OrderFilterForm(SubForm):
    """The list's filters, read from the query string (a GET form: no CSRF token)."""

    q = StringField(_l("搜索"))
    status = SelectField(_l("状态"), default="", choices=[("", _l("全部状态"))] + translated_choices(STATUS_LABELS))
    channel = SelectField(_l("渠道"), coerce=optional_int)
    warehouse = SelectField(_l("仓库"), coerce=optional_int)
    created_from = DateField(_l("下单日期从"), validators=[Optional()])
    created_to = DateField(_l("至"), validators=[Optional()])
    sla = SelectField(_l("时效预警"), default="", choices=[("", _l("全部")), (ANY_SLA_FLAG, _l("任一预警"))] + [
        (rule, _l(deadlines.RULE_LABELS[rule])) for rule in sorted(deadlines.WARNINGS)])

    def __init__(self, formdata):
        super().__init__(formdata)
        channels = reference.channels()
        self.channel.choices = [("", _l("全部渠道"))] + [(c.id, c.shop_name) for c in channels]
        self.warehouse.choices = [("", _l("全部仓库"))] + warehouse_choices()
        self.validate()  # a bad value is ignored (and shown), the rest still filter

    def filters(self) -> OrderFilters:
        return OrderFilters(
            status=self.status.data or None, channel_id=self.channel.data, warehouse_id=self.warehouse.data,
            created_from=self.created_from.data, created_to=self.created_to.data, sla_flag=self.sla.data or None,
            search=(self.q.data or "").strip(),
        )


# ---- order actions -------------------------------------------------------------------------------

class ConfirmForm(FlaskForm):
    """An action that needs nothing but the click (and the CSRF token)."""


class ReasonForm(FlaskForm):
    reason = StringField(_l("原因"), validators=[REQUIRED, Length(max=200)])


class OptionalReasonForm(FlaskForm):
    reason = StringField(_l("备注"), validators=[Optional(), Length(max=200)])


class ShipOutForm(FlaskForm):
    carrier_id = SelectField(_l("快递公司"), coerce=optional_int, validators=[REQUIRED])
    waybill_no = StringField(_l("快递单号"), validators=[REQUIRED, Length(max=40)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        carriers = reference.carriers(active_only=True)
        self.carrier_id.choices = [("", _l("请选择"))] + [(c.id, c.name) for c in carriers]

    def carrier(self) -> Carrier:
        return db.session.get(Carrier, self.carrier_id.data)


class MarkPaidForm(FlaskForm):
    """标记已付款: a bank transfer or cash payment staff record by hand (orders/payments.py)."""

    paid_amount = YuanField(_l("收款金额（元）"), validators=[REQUIRED], render_kw={"inputmode": "decimal"})
    method = SelectField(_l("付款方式"), choices=list(PAYMENT_METHODS.items()), default=BANK_TRANSFER)
    payment_ref = StringField(_l("银行流水号 / 收据号"), validators=[Optional(), Length(max=64)])


def mark_paid_form_for(order, formdata=None, prefix: str = "pay") -> MarkPaidForm:
    """The form starts from the amount the order asks, which is what it must be."""
    return MarkPaidForm(formdata=formdata, prefix=prefix, data={"paid_amount": order.payable_fen})


class RefundLineForm(SubForm):
    sku = HiddenField()
    quantity = IntegerField(_l("退货数量"), validators=[Optional(), NumberRange(min=0, message=_l("不能为负数"))],
                            render_kw=_numeric(min=0))


class RefundForm(FlaskForm):
    amount = YuanField(_l("退款金额（元）"), validators=[REQUIRED])
    scope = RadioField(_l("退哪些商品"), default="all", choices=[
        ("all", _l("全部商品")), ("lines", _l("按下面填写的数量")), ("money", _l("仅退款，不退货"))])
    lines = FieldList(FormField(RefundLineForm), max_entries=MAX_LINE_ROWS)
    restock = BooleanField(_l("退回的商品重新入库"), default=True)
    damaged = BooleanField(_l("退回的商品有损坏（计入残次）"))
    reason = StringField(_l("原因"), validators=[REQUIRED, Length(max=200)])

    def refund_lines(self) -> tuple[list[RefundLine] | None, list[int]]:
        """The lines to refund (None: everything) and, for each, the form row it came from."""
        if self.scope.data == "all":
            return None, []
        if self.scope.data == "money":
            return [], []
        rows = [(index, entry.form) for index, entry in enumerate(self.lines) if entry.form.quantity.data]
        return [RefundLine(row.sku.data, row.quantity.data) for _index, row in rows], [index for index, _row in rows]


def refund_form_for(order, formdata=None, prefix: str = "refund") -> RefundForm:
    """A refund form with one quantity row per sold line (bundle components go back with their bundle)."""
    rows = [{"sku": line.sku.code} for line in order.lines if not line.is_component]
    return RefundForm(formdata=formdata, prefix=prefix, data={"lines": rows})


# ---- the manual order ----------------------------------------------------------------------------

class OrderLineForm(SubForm):
    # No Optional() here: it would stop the chain before validate_sku, which checks the blank case.
    sku = StringField(_l("商品编码"), validators=[Length(max=64)])
    quantity = IntegerField(_l("数量"), validators=[Optional()], render_kw=_numeric(min=1))
    unit_price = YuanField(_l("单价（元，留空按售价）"), validators=[Optional()], render_kw={"inputmode": "decimal"})
    is_gift = BooleanField(_l("赠品"))

    def validate_sku(self, field):
        if not (field.data or "").strip() and (self.quantity.data or self.unit_price.data is not None):
            raise FieldError(_("请填写商品编码"))

    @property
    def is_blank(self) -> bool:
        return not (self.sku.data or "").strip() and self.quantity.data is None and self.unit_price.data is None


class ManualOrderForm(FlaskForm):
    channel_id = SelectField(_l("渠道"), coerce=optional_int, validators=[REQUIRED])
    buyer_name = StringField(_l("买家姓名"), validators=[Optional(), Length(max=64)])
    buyer_phone = StringField(_l("买家电话"), validators=[Optional(), Length(max=20)], render_kw={"inputmode": "tel"})
    receiver_name = StringField(_l("收货人"), validators=[REQUIRED, Length(max=64)])
    receiver_phone = StringField(_l("收货人电话"), validators=[REQUIRED, Length(max=20)],
                                 render_kw={"inputmode": "tel"})
    receiver_province = StringField(_l("省份"), validators=[REQUIRED, Length(max=32)])
    receiver_city = StringField(_l("城市"), validators=[REQUIRED, Length(max=32)])
    receiver_district = StringField(_l("区县"), validators=[Optional(), Length(max=32)])
    receiver_address = StringField(_l("详细地址"), validators=[REQUIRED, Length(max=200)])
    #: Only for recognition (识别): "张三 13800138000 浙江省杭州市西湖区文三路90号" fills the fields above.
    address_text = TextAreaField(_l("粘贴收货信息"), validators=[Optional(), Length(max=300)], render_kw={"rows": 2})
    lines = FieldList(FormField(OrderLineForm), min_entries=NEW_ORDER_ROWS, max_entries=MAX_LINE_ROWS)
    shipping_fee = YuanField(_l("运费（元）"), default=0, render_kw={"inputmode": "decimal"})
    discount = YuanField(_l("优惠（元）"), default=0, render_kw={"inputmode": "decimal"})
    invoice_title_type = SelectField(_l("发票"), choices=[
        ("", _l("不开发票")), ("personal", _l("个人")), ("company", _l("单位"))])
    invoice_title = StringField(_l("发票抬头"), validators=[Optional(), Length(max=100)])
    invoice_tax_id = StringField(_l("统一社会信用代码"), validators=[Optional(), Length(max=20)])
    invoice_email = StringField(_l("接收邮箱"), validators=[Optional(), Length(max=100)])
    remark = TextAreaField(_l("备注"), validators=[Optional(), Length(max=500)], render_kw={"rows": 2})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        channels = reference.channels(active_only=True)
        self.channel_id.choices = [(c.id, f"{c.shop_name}（{gettext(c.platform_label)}）") for c in channels]
        if self.channel_id.data is None:
            self.channel_id.data = next((c.id for c in channels if c.code == "manual"), None)

    def channel(self) -> Channel:
        return db.session.get(Channel, self.channel_id.data)

    def validate(self, extra_validators=None) -> bool:
        """The receiver's province, city and district must be placed on the official divisions (the
        error names the part that is not), and are saved under their official names."""
        valid = super().validate(extra_validators)
        if self.receiver_province.errors or self.receiver_city.errors or self.receiver_district.errors:
            return False
        try:
            place = places.placed_receiver(self.receiver_province.data, self.receiver_city.data,
                                           self.receiver_district.data or "", prefix="receiver_")
        except ValidationError as error:
            for name, message in field_messages(error).items():
                getattr(self, name).errors = [*getattr(self, name).errors, message]
            return False
        self.receiver_province.data = place.province
        self.receiver_city.data = place.city or place.province  # a municipality is its own city
        self.receiver_district.data = place.district
        return valid

    def fill_receiver(self, pasted: places.PastedAddress) -> None:
        """Put a recognised paste into the receiver's fields."""
        for name, value in (("name", pasted.name), ("phone", pasted.phone), ("province", pasted.province),
                            ("city", pasted.city), ("district", pasted.district), ("address", pasted.street)):
            if value:
                getattr(self, f"receiver_{name}").data = value

    def order_input(self) -> tuple[OrderInput, list[int]]:
        """The order as the services take it, and for each of its lines the form row it came from."""
        rows = [(index, entry.form) for index, entry in enumerate(self.lines) if not entry.form.is_blank]
        lines = [LineInput(sku=row.sku.data.strip(), quantity=row.quantity.data or 0,
                           unit_price_fen=row.unit_price.data, is_gift=row.is_gift.data) for _index, row in rows]
        receiver = Receiver(name=self.receiver_name.data, phone=self.receiver_phone.data,
                            province=self.receiver_province.data, city=self.receiver_city.data,
                            address=self.receiver_address.data, district=self.receiver_district.data or "")
        data = OrderInput(receiver=receiver, lines=lines, buyer_name=self.buyer_name.data or "",
                          buyer_phone=(self.buyer_phone.data or "").strip(), shipping_fen=self.shipping_fee.data or 0,
                          discount_fen=self.discount.data or 0, invoice=self._invoice(), remark=self.remark.data or "")
        return data, [index for index, _row in rows]

    def _invoice(self) -> InvoiceRequest | None:
        if not self.invoice_title_type.data:
            return None
        return InvoiceRequest(title_type=self.invoice_title_type.data, title=self.invoice_title.data or "",
                              tax_id=(self.invoice_tax_id.data or "").strip(), email=(self.invoice_email.data or "").strip())


def shortage_messages(error) -> list[str]:
    """An OutOfStock's short lines (details "lines": sku, requested, available) as sentences; for
    stock, "available" is the most that any single warehouse can give."""
    return [_("%(reason)s：%(sku)s 需要 %(requested)s 件，最多可用 %(available)s 件", reason=error_message(error),
              sku=line["sku"], requested=line["requested"], available=line["available"])
            for line in error.details.get("lines", [])] or [error_message(error)]
