"""Forms of the channel sync pages. They parse and type-check; app.domain.channels decides."""

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, IntegerField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from app.domain.channels.connect import api_platforms
from app.domain.reference import queries as reference

REQUIRED = InputRequired(_l("此项必填"))


class CredentialsForm(FlaskForm):
    app_key = StringField(_l("App Key"), validators=[REQUIRED, Length(max=64)])
    # Secrets are never put back into the form: blank keeps what is stored.
    app_secret = PasswordField(_l("App Secret（留空则不修改）"), validators=[Optional(), Length(max=128)])
    access_token = PasswordField(_l("店铺授权 Session / Access Token（留空则不修改）"),
                                 validators=[Optional(), Length(max=255)])
    push_secret = PasswordField(_l("推送签名密钥（留空则不修改）"), validators=[Optional(), Length(max=128)])


class SyncSettingsForm(FlaskForm):
    mapping_override = TextAreaField(_l("字段映射覆盖（JSON，只写与平台默认不同的项）"),
                                     render_kw={"rows": 12, "spellcheck": "false", "class": "code"})
    stock_push_enabled = BooleanField(_l("向平台推送可售库存"), default=True)
    stock_share_pct = IntegerField(_l("库存共享比例（%）"), default=100,
                                   validators=[REQUIRED, NumberRange(0, 100, _l("应在 0 到 100 之间"))])
    virtual_stock = IntegerField(_l("固定虚拟库存（留空则按比例）"), validators=[Optional()])
    calls_per_second = IntegerField(_l("每秒最多调用次数"), default=10,
                                    validators=[REQUIRED, NumberRange(1, 1000, _l("应在 1 到 1000 之间"))])
    payload_id = SelectField(_l("用于预览的原始载荷"), coerce=int, validate_choice=False, validators=[Optional()])


class SkuMappingForm(FlaskForm):
    channel_id = SelectField(_l("渠道"), coerce=int, validators=[REQUIRED])
    platform_code = StringField(_l("平台商家编码"), validators=[REQUIRED, Length(max=64)])
    sku_code = StringField(_l("对应的系统商品编码"), validators=[REQUIRED, Length(max=64)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        channels = reference.channels(platforms=api_platforms())
        self.channel_id.choices = [(channel.id, f"{channel.code} {channel.shop_name}") for channel in channels]


class ImportUploadForm(FlaskForm):
    channel_id = SelectField(_l("导入到渠道"), coerce=int, validators=[REQUIRED])
    file = FileField(_l("订单文件（.xlsx 或 .csv，UTF-8 或 GBK 编码）"), validators=[FileRequired(_l("请选择文件"))])

    def __init__(self, channels, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.channel_id.choices = [(channel.id, f"{channel.code} {channel.shop_name}（{gettext(channel.platform_label)}）")
                                   for channel in channels]


def import_columns_form(fields: dict[str, str], header: list[str], required: tuple[str, ...], data: dict):
    """A form with one select per OrderHub field listing the file's header row (built per file)."""

    class ImportColumnsForm(FlaskForm):
        pass

    choices = [("", _l("（不导入）"))] + [(column, column) for column in header]
    for name, label in fields.items():
        text = f"{label} *" if name in required else label
        setattr(ImportColumnsForm, name, SelectField(text, choices=choices, default=data.get(name, "")))
    return ImportColumnsForm(data=data)
