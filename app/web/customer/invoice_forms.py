"""The portal's 申请开票 form: a saved title (one tap) or a new one, and whether to keep it."""

from dataclasses import replace

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, StringField
from wtforms.validators import Length, Optional

from app.domain.invoicing.titles import Title


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class InvoiceRequestForm(FlaskForm):
    profile = RadioField(_l("常用抬头"), validators=[Optional()], validate_choice=False, default="")
    title_type = RadioField(_l("抬头类型"), choices=[("personal", _l("个人")), ("company", _l("单位"))],
                            default="personal", validators=[Optional()])
    title = StringField(_l("发票抬头"), filters=[_strip], validators=[Optional(), Length(max=100)])
    tax_id = StringField(_l("税号（统一社会信用代码）"), filters=[_strip], validators=[Optional(), Length(max=20)])
    email = StringField(_l("接收邮箱"), filters=[_strip], validators=[Optional(), Length(max=100)])
    kind = RadioField(_l("发票类型"), choices=[("normal", _l("普通发票")), ("special", _l("增值税专用发票"))],
                      default="normal", validators=[Optional()])
    address = StringField(_l("购方地址（专票）"), filters=[_strip], validators=[Optional(), Length(max=100)])
    phone = StringField(_l("购方电话（专票）"), filters=[_strip], validators=[Optional(), Length(max=20)])
    bank = StringField(_l("开户银行（专票）"), filters=[_strip], validators=[Optional(), Length(max=100)])
    account = StringField(_l("银行账号（专票）"), filters=[_strip], validators=[Optional(), Length(max=40)])
    save = BooleanField(_l("保存为常用抬头"), default=True)

    def title_entered(self) -> Title:
        return Title(self.title_type.data or "personal", self.title.data or "", self.tax_id.data or "",
                     self.email.data or "", self.kind.data or "normal", *self.special_details())

    def special_details(self) -> tuple[str, str, str, str]:
        return (self.address.data or "", self.phone.data or "", self.bank.data or "", self.account.data or "")

    def over_saved(self, saved: Title) -> Title:
        """A saved title as this request asks for it: its kind, and any 专票 detail typed in over the saved one."""
        typed = dict(zip(("address", "phone", "bank", "account"), self.special_details(), strict=True))
        return replace(saved, kind=self.kind.data or "normal", email=self.email.data or saved.email,
                       **{name: value for name, value in typed.items() if value})
