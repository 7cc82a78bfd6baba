"""Forms of the channel sync pages. They parse and type-check; app.domain.channels decides."""

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, IntegerField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from app.domain.channels import mapping_fields
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


def mapping_form_class(default: dict, payload: dict, override: dict) -> type[SyncSettingsForm]:
    """The sync settings form with one select per mapped field (mapping_fields.FIELDS): the platform's
    default, or a field of ``payload`` (a real payload of the shop), or a fixed option. A value already
    in the override stays choosable even when this payload lacks that field."""
    lines_path = mapping_fields.current(override, LINES_FIELD) or mapping_fields.current(default, LINES_FIELD)
    order_paths, item_paths = mapping_fields.payload_fields(payload, lines_path.split("|")[0])

    class MappingForm(SyncSettingsForm):
        pass

    for field in mapping_fields.FIELDS:
        fallback = mapping_fields.current(default, field)
        if field.options:
            offered = [(option, _l(mapping_fields.OPTION_LABELS[option])) for option in field.options]
        else:
            paths = item_paths if field.in_line else order_paths
            offered = [(path, path) for path in paths]
        chosen = mapping_fields.current(override, field)
        if chosen and chosen not in dict(offered):
            offered.append((chosen, chosen))
        default_label = mapping_fields.OPTION_LABELS.get(fallback) if field.options else None
        choices = [("", _l("平台默认：%(value)s", value=_l(default_label) if default_label else (fallback or "—"))),
                   *offered]
        setattr(MappingForm, field.name, SelectField(_l(field.label), choices=choices, default=chosen,
                                                     validators=[Optional()]))
    return MappingForm


LINES_FIELD = next(field for field in mapping_fields.FIELDS if (field.group, field.key) == mapping_fields.LINES_PATH)


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
