"""Forms of the reference data pages (warehouses, channels, carriers)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, IntegerField, SelectField, StringField
from wtforms.validators import Length, Optional

from app.domain.reference.models import PLATFORM_LABELS
from app.web.staff.forms import REQUIRED, int_field, optional_int, translated_choices, warehouse_choices


class WarehouseForm(FlaskForm):
    code = StringField(_l("编码"), validators=[REQUIRED, Length(max=32)])
    name = StringField(_l("名称"), validators=[REQUIRED, Length(max=64)])
    province = StringField(_l("省份"), validators=[REQUIRED, Length(max=32)])
    city = StringField(_l("城市"), validators=[REQUIRED, Length(max=32)])
    address = StringField(_l("地址"), validators=[Optional(), Length(max=200)])
    district = StringField(_l("区县"), validators=[Optional(), Length(max=32)])
    # Both empty: taken from the city (and district) on the official divisions.
    latitude = DecimalField(_l("纬度（留空按城市）"), places=6, validators=[Optional()])
    longitude = DecimalField(_l("经度（留空按城市）"), places=6, validators=[Optional()])
    daily_capacity = int_field(_l("日处理能力（单）"), 0)
    priority = int_field(_l("优先级（1 最优先）"), 100)
    # Optional, like auto_complete_days below: a form that leaves them out gets the defaults.
    cutoff_time = StringField(_l("截单时间"), default="16:00", validators=[Optional(), Length(max=5)])
    handling_hours = IntegerField(_l("处理时长（小时）"), default=12, validators=[Optional()],
                                  render_kw={"inputmode": "numeric"})
    unserved_provinces = StringField(_l("不配送省份（逗号分隔）"), validators=[Optional(), Length(max=500)])
    carrier_codes = StringField(_l("合作快递编码（逗号分隔，留空为全部）"), validators=[Optional(), Length(max=200)])
    active = BooleanField(_l("启用"), default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for listed in (self.unserved_provinces, self.carrier_codes):  # from a row: a list, shown comma-separated
            if isinstance(listed.data, list):
                listed.data = ", ".join(listed.data)


class ChannelForm(FlaskForm):
    code = StringField(_l("编码"), validators=[REQUIRED, Length(max=32)])
    platform = SelectField(_l("平台"), choices=translated_choices(PLATFORM_LABELS))
    shop_name = StringField(_l("店铺名称"), validators=[REQUIRED, Length(max=100)])
    unpaid_timeout_minutes = int_field(_l("未付款超时（分钟）"), 30)
    # Optional: a form that leaves it out (older clients, the inline edit of before) keeps the default.
    auto_complete_days = IntegerField(_l("签收后自动完成（天）"), default=7, validators=[Optional()],
                                      render_kw={"inputmode": "numeric"})
    default_warehouse_id = SelectField(_l("默认仓库"), coerce=optional_int)
    active = BooleanField(_l("启用"), default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.default_warehouse_id.choices = [("", _l("按优先级自动选择"))] + warehouse_choices()


class CarrierForm(FlaskForm):
    code = StringField(_l("编码"), validators=[REQUIRED, Length(max=32)])
    name = StringField(_l("名称"), validators=[REQUIRED, Length(max=64)])
    tracking_code = StringField(_l("快递100 公司编码（如 shunfeng，留空同编码）"), validators=[Optional(), Length(max=32)])
    active = BooleanField(_l("启用"), default=True)
