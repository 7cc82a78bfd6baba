"""Forms of the finance pages. They parse and type-check; the invoicing domain decides what is allowed."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.i18n import translations
from sqlalchemy import select
from wtforms import DateField, Form, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, Regexp

from app.domain.invoicing.queries import InvoiceFilters
from app.domain.invoicing.reversal import RED_REASONS
from app.domain.invoicing.states import STATUS_LABELS
from app.domain.invoicing.titles import Title
from app.domain.reference.models import Channel
from app.extensions import db
from app.web.forms import YuanField

REQUIRED = InputRequired(_l("此项必填"))


def optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class InvoiceFilterForm(Form):
    """Query-string filters (no CSRF token), in Chinese like every other form."""

    class Meta:
        def get_translations(self, form):
            return translations

    q = StringField(_l("搜索"), validators=[Optional(), Length(max=64)])
    status = SelectField(_l("状态"), validators=[Optional()])
    channel = SelectField(_l("渠道"), coerce=optional_int, validators=[Optional()])
    min_amount = YuanField(_l("金额不低于"), validators=[Optional()])
    max_amount = YuanField(_l("金额不高于"), validators=[Optional()])
    created_from = DateField(_l("申请日期从"), validators=[Optional()])
    created_to = DateField(_l("至"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [("", _l("全部"))] + [(code.value, _l(label)) for code, label in STATUS_LABELS.items()]
        channels = db.session.execute(select(Channel.id, Channel.shop_name).order_by(Channel.code)).all()
        self.channel.choices = [("", _l("全部"))] + [(channel_id, name) for channel_id, name in channels]

    def filters(self) -> InvoiceFilters:
        if not self.validate():
            return InvoiceFilters()
        return InvoiceFilters(status=self.status.data or None, channel_id=self.channel.data,
                              min_fen=self.min_amount.data, max_fen=self.max_amount.data,
                              created_from=self.created_from.data, created_to=self.created_to.data,
                              q=self.q.data or "")


class BulkApproveForm(FlaskForm):
    invoice_ids = SelectMultipleField(_l("发票"), coerce=int, validate_choice=False)


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("驳回原因"), validators=[REQUIRED, Length(max=200)])


class ReverseForm(FlaskForm):
    reason = SelectField(_l("红冲原因"), choices=[(code, _l(label)) for code, label in RED_REASONS.items()],
                         default="2")
    note = TextAreaField(_l("说明"), validators=[REQUIRED, Length(max=200)])


class ThresholdsForm(FlaskForm):
    level1 = YuanField(_l("超过此金额需财务审批（元）"), validators=[REQUIRED])
    level2 = YuanField(_l("超过此金额还需财务主管审批（元）"), validators=[REQUIRED])


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _text(label, length: int) -> StringField:
    return StringField(label, filters=[_strip], validators=[Optional(), Length(max=length)])


class BuyerSearchForm(Form):
    """Whose orders to merge: the buyer's mobile, as on their orders (query string, no CSRF token)."""

    class Meta:
        def get_translations(self, form):
            return translations

    phone = StringField(_l("买家手机号"), filters=[_strip],
                        validators=[Optional(), Regexp(r"^1\d{10}$", message=_l("请输入 11 位手机号"))])


class MergeInvoiceForm(FlaskForm):
    """合并开票: the orders to merge and the title; the invoicing domain validates the title and the orders."""

    order_nos = SelectMultipleField(_l("订单"), validators=[InputRequired(_l("请至少选择一个订单"))])
    title_type = RadioField(_l("抬头类型"), choices=[("personal", _l("个人")), ("company", _l("单位"))],
                            default="company", validators=[Optional()])
    kind = RadioField(_l("发票类型"), choices=[("normal", _l("普通发票")), ("special", _l("增值税专用发票"))],
                      default="normal", validators=[Optional()])
    title = _text(_l("发票抬头"), 100)
    tax_id = _text(_l("税号（统一社会信用代码）"), 20)
    email = _text(_l("接收邮箱"), 100)
    address = _text(_l("购方地址（专票）"), 100)
    phone = _text(_l("购方电话（专票）"), 20)
    bank = _text(_l("开户银行（专票）"), 100)
    account = _text(_l("银行账号（专票）"), 40)

    def __init__(self, candidates, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_nos.choices = [(order.order_no, order.order_no) for order in candidates]

    def entered(self) -> Title:
        return Title(self.title_type.data or "company", self.title.data or "", self.tax_id.data or "",
                     self.email.data or "", self.kind.data or "normal", self.address.data or "",
                     self.phone.data or "", self.bank.data or "", self.account.data or "")
