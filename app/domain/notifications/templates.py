"""The texts customers get, and how each channel carries them.

One Chinese text per template is the source for every channel: an SMS provider keeps the approved copy
of it under a template code (Aliyun renders ``${order_no}`` itself, we send only the values), a WeChat
template message carries the values in named fields of a template registered in the official account,
and an email is the text with a subject and a signature. Parameters are strings, as SMS gateways want.
"""

from dataclasses import dataclass
from string import Formatter

from app.domain.notifications.models import MessageChannel
from app.text import N_, Text

ALL_CHANNELS = frozenset(MessageChannel)


@dataclass(frozen=True)
class MessageTemplate:
    key: str
    name: str  #: what staff see: 支付成功, 催付, …
    text: str  #: str.format placeholders; the SMS provider's copy uses ${…} for the same names
    sms_code: str  #: the code the simulator registers; a real account's codes come from SMS_TEMPLATE_CODES
    channels: frozenset = ALL_CHANNELS
    email_subject: str = ""
    wechat_title: str = ""
    #: (field name in the WeChat template, value format); the official-account template defines the names.
    wechat_fields: tuple[tuple[str, str], ...] = ()
    #: The parameter naming a file that an email carries as its attachment (the invoice PDF); not in the text.
    attachment_param: str = ""

    @property
    def placeholders(self) -> set[str]:
        return {name for _text, name, _spec, _conv in Formatter().parse(self.text) if name}


ORDER_PAID = "order_paid"
ORDER_SHIPPED = "order_shipped"
ORDER_SIGNED = "order_signed"
PAYMENT_REMINDER = "payment_reminder"
ORDER_CLOSED_UNPAID = "order_closed_unpaid"
LOGIN_CODE = "login_code"
PARCEL_DELIVERING = "parcel_delivering"
PARCEL_SIGNED = "parcel_signed"
PARCEL_PROBLEM = "parcel_problem"
INVOICE_ISSUED = "invoice_issued"
INVOICE_REJECTED = "invoice_rejected"
INVOICE_REVERSED = "invoice_reversed"
_SMS_AND_EMAIL = frozenset({MessageChannel.SMS, MessageChannel.EMAIL})

_TEMPLATES = (
    MessageTemplate(
        ORDER_PAID, "支付成功", "您的订单{order_no}已支付成功，实付{amount}元，我们会尽快为您发货。",
        "SMS_ORDER_PAID", email_subject="订单{order_no}支付成功", wechat_title="订单支付成功通知",
        wechat_fields=(("character_string1", "{order_no}"), ("amount2", "{amount}元"),
                       ("thing3", "我们会尽快为您发货")),
    ),
    MessageTemplate(
        ORDER_SHIPPED, "已发货", "您的订单{order_no}已发货，{carrier}运单号{waybill_no}，请留意查收。",
        "SMS_ORDER_SHIPPED", email_subject="订单{order_no}已发货", wechat_title="订单发货通知",
        wechat_fields=(("character_string1", "{order_no}"), ("thing2", "{carrier}"),
                       ("character_string3", "{waybill_no}")),
    ),
    MessageTemplate(
        ORDER_SIGNED, "已签收", "您的订单{order_no}已签收，感谢您的惠顾！如有问题请联系客服。",
        "SMS_ORDER_SIGNED", email_subject="订单{order_no}已签收", wechat_title="订单签收通知",
        wechat_fields=(("character_string1", "{order_no}"), ("thing2", "已签收，感谢您的惠顾")),
    ),
    MessageTemplate(
        # A clock time rather than "15 分钟后": a reminder that leaves a minute late still tells the truth.
        PAYMENT_REMINDER, "催付", "您的订单{order_no}尚未支付，将于{close_time}自动关闭，请尽快完成支付。",
        "SMS_PAYMENT_REMINDER", channels=frozenset({MessageChannel.SMS, MessageChannel.WECHAT}),
        wechat_title="待付款提醒",
        wechat_fields=(("character_string1", "{order_no}"), ("time2", "{close_time}"),
                       ("thing3", "订单即将关闭，请尽快支付")),
    ),
    MessageTemplate(
        ORDER_CLOSED_UNPAID, "超时关闭", "您的订单{order_no}因超时未支付已自动关闭，如仍需要请重新下单。",
        "SMS_ORDER_CLOSED", email_subject="订单{order_no}已关闭", wechat_title="订单关闭通知",
        wechat_fields=(("character_string1", "{order_no}"), ("thing2", "超时未支付，订单已关闭")),
    ),
    MessageTemplate(
        PARCEL_DELIVERING, "派件中", "您的订单{order_no}的包裹（{carrier}运单号{waybill_no}）正在派送，请保持电话畅通。",
        "SMS_PARCEL_DELIVERING", email_subject="订单{order_no}的包裹正在派送", wechat_title="包裹派送通知",
        wechat_fields=(("character_string1", "{order_no}"), ("thing2", "{carrier}"),
                       ("character_string3", "{waybill_no}")),
    ),
    MessageTemplate(
        # Sent per parcel only when an order has several; a one-parcel order gets the order's 已签收.
        PARCEL_SIGNED, "包裹签收", "您的订单{order_no}的包裹（{carrier}运单号{waybill_no}）已签收。",
        "SMS_PARCEL_SIGNED", email_subject="订单{order_no}的一个包裹已签收", wechat_title="包裹签收通知",
        wechat_fields=(("character_string1", "{order_no}"), ("thing2", "{carrier}"),
                       ("character_string3", "{waybill_no}")),
    ),
    MessageTemplate(
        # The carrier's own words stay internal: the customer learns that we are on it.
        PARCEL_PROBLEM, "物流异常", "您的订单{order_no}的包裹（{carrier}运单号{waybill_no}）运输出现异常，我们正在跟进处理。",
        "SMS_PARCEL_PROBLEM", email_subject="订单{order_no}的包裹运输异常", wechat_title="物流异常通知",
        wechat_fields=(("character_string1", "{order_no}"), ("thing2", "{carrier}"),
                       ("thing3", "运输异常，我们正在跟进")),
    ),
    MessageTemplate(
        INVOICE_ISSUED, "发票已开具", "您的订单{order_no}的电子发票已开具，发票号码{number}，价税合计{amount}元。",
        "SMS_INVOICE_ISSUED", channels=_SMS_AND_EMAIL, email_subject="订单{order_no}的电子发票",
        attachment_param="pdf_path",
    ),
    MessageTemplate(
        INVOICE_REJECTED, "开票申请未通过", "您的订单{order_no}的开票申请未通过，原因：{reason}。如有疑问请联系客服。",
        "SMS_INVOICE_REJECTED", channels=_SMS_AND_EMAIL, email_subject="订单{order_no}的开票申请未通过",
    ),
    MessageTemplate(
        INVOICE_REVERSED, "发票已红冲", "您的订单{order_no}的发票{number}已红冲（冲销{amount}元）。",
        "SMS_INVOICE_REVERSED", channels=_SMS_AND_EMAIL, email_subject="订单{order_no}的发票已红冲",
    ),
    MessageTemplate(
        LOGIN_CODE, "验证码", "您的验证码为{code}，5分钟内有效。", "SMS_LOGIN_CODE",
        channels=frozenset({MessageChannel.SMS}),
    ),
)

TEMPLATES: dict[str, MessageTemplate] = {template.key: template for template in _TEMPLATES}
#: Parameters that are secrets: staff never see them, and the outbox forgets them once the message is done.
SECRET_PARAMS = {LOGIN_CODE: frozenset({"code"})}
#: Templates a customer can opt out of (the rest are about an order they placed, or a code they asked for).
OPT_OUT_TEMPLATES = frozenset({PAYMENT_REMINDER})


class TemplateError(ValueError):
    """A message that cannot be rendered: unknown template, wrong channel, missing parameters."""


def get_template(key: str) -> MessageTemplate:
    try:
        return TEMPLATES[key]
    except KeyError:
        raise TemplateError(f"unknown message template {key!r}") from None


def check(key: str, channel: str, params: dict) -> MessageTemplate:
    """The template, if it can go out on ``channel`` with ``params``; else TemplateError."""
    template = get_template(key)
    if channel not in template.channels:
        raise TemplateError(f"template {key!r} is not sent by {channel}")
    missing = template.placeholders - set(params)
    if missing:
        raise TemplateError(f"template {key!r} needs {', '.join(sorted(missing))}")
    return template


def masked(key: str, params: dict) -> dict:
    """``params`` with this template's secret values replaced by stars."""
    secret = SECRET_PARAMS.get(key, frozenset())
    return {name: "******" if name in secret else value for name, value in params.items()}


def render_text(key: str, params: dict) -> str:
    """The text as the customer reads it."""
    return get_template(key).text.format_map(params)


def sms_template_code(key: str, codes: dict | None = None) -> str:
    """The provider's code for ``key``: the account's own (``codes``) or the simulator's."""
    return (codes or {}).get(key) or get_template(key).sms_code


def sms_params(key: str, params: dict) -> dict[str, str]:
    """Only the values the provider's copy of the text uses, as strings."""
    return {name: str(params[name]) for name in sorted(get_template(key).placeholders)}


def wechat_template_id(key: str, template_ids: dict | None = None) -> str:
    return (template_ids or {}).get(key) or f"TPL_{key.upper()}"


def wechat_data(key: str, params: dict) -> dict[str, dict[str, str]]:
    """The ``data`` of a WeChat template message: ``{"thing2": {"value": "…"}, …}``."""
    return {field: {"value": value.format_map(params)} for field, value in get_template(key).wechat_fields}


def email_content(key: str, params: dict, signature: str) -> tuple[str, str]:
    """(subject, plain-text body)."""
    template = get_template(key)
    body = Text(N_("您好：\n\n%(text)s\n\n此邮件由系统自动发送，请勿直接回复。\n%(signature)s\n"),
                text=render_text(key, params), signature=signature)
    return template.email_subject.format_map(params), body
