"""Customer service's 申请开票 form on the order page: the title, and for a 专票 the buyer's details."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField
from wtforms.validators import Length, Optional

from app.domain.invoicing.titles import Title


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _text(label, length: int) -> StringField:
    return StringField(label, filters=[_strip], validators=[Optional(), Length(max=length)])


class StaffInvoiceForm(FlaskForm):
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

    def entered(self) -> Title:
        return Title(self.title_type.data or "company", self.title.data or "", self.tax_id.data or "",
                     self.email.data or "", self.kind.data or "normal", self.address.data or "",
                     self.phone.data or "", self.bank.data or "", self.account.data or "")

    @classmethod
    def for_order(cls, order) -> "StaffInvoiceForm":
        """Prefilled with the invoice details the order came with, if any."""
        form = cls(formdata=None)
        if order.invoice_title_type:
            form.title_type.data, form.title.data = order.invoice_title_type, order.invoice_title
            form.tax_id.data, form.email.data = order.invoice_tax_id or "", order.invoice_email or ""
        return form
