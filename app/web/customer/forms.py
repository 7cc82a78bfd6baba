"""Portal forms. Phones are normalised to their stored form and never written back into a page."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import InputRequired, Regexp, ValidationError

from app.domain.notifications.recipients import normalise_mobile
from app.domain.orders.inputs import normalise_phone
from app.domain.orders.portal_queries import ORDER_NO_PATTERN


class PhoneField(StringField):
    """A phone input that renders empty: a failed form must not echo a full number back (PIPL)."""

    def _value(self) -> str:
        return ""


def _strip_upper(value):
    return value.strip().upper() if isinstance(value, str) else value


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def valid_phone(form, field) -> None:
    phone = normalise_phone(field.data or "")
    if phone is None:
        raise ValidationError(_l("手机号格式不正确，请输入 11 位手机号"))
    field.data = phone


def valid_mobile(form, field) -> None:
    valid_phone(form, field)
    if normalise_mobile(field.data) is None:
        raise ValidationError(_l("验证码只能发送到手机号，请输入 11 位手机号"))


class LookupForm(FlaskForm):
    order_no = StringField(_l("订单号"), filters=[_strip_upper], validators=[
        InputRequired(_l("请输入订单号")),
        Regexp(ORDER_NO_PATTERN, message=_l("订单号格式不正确：以 OH 开头，后跟 14 位数字")),
    ])
    phone = PhoneField(_l("手机号"), validators=[InputRequired(_l("请输入下单或收货手机号")), valid_phone])


class CodeRequestForm(FlaskForm):
    phone = PhoneField(_l("手机号"), validators=[InputRequired(_l("请输入手机号")), valid_mobile])


class CodeVerifyForm(FlaskForm):
    challenge = HiddenField(validators=[InputRequired(_l("请重新获取验证码"))])
    code = StringField(_l("验证码"), filters=[_strip], validators=[
        InputRequired(_l("请输入验证码")),
        Regexp(r"^\d{6}$", message=_l("验证码是 6 位数字")),
    ])
