"""Staff forms. They parse and type-check; the domain services decide what is allowed."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, DecimalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from app.domain.catalog.models import VAT_RATES_BP
from app.domain.reference.models import PLATFORM_LABELS, Warehouse
from app.extensions import db
from app.web.forms import YuanField

REQUIRED = InputRequired(_l("此项必填"))
NUMBER_MESSAGE = _l("请输入整数")


def _int_field(label, default=None):
    return IntegerField(label, default=default, validators=[REQUIRED],
                        render_kw={"inputmode": "numeric"})


class SkuForm(FlaskForm):
    code = StringField(_l("编码"), validators=[REQUIRED, Length(max=64)])
    name = StringField(_l("名称"), validators=[REQUIRED, Length(max=200)])
    barcode = StringField(_l("条码"), validators=[Optional(), Length(max=32)])
    category = StringField(_l("类目"), validators=[Optional(), Length(max=32)])
    weight_g = _int_field(_l("重量（克）"), 0)
    price_fen = YuanField(_l("价格（元）"), validators=[REQUIRED])
    tax_rate_bp = SelectField(_l("税率"), coerce=int, default=1300,
                              choices=[(rate, f"{rate // 100}%") for rate in VAT_RATES_BP])
    tax_code = StringField(_l("税收分类编码（19 位）"), validators=[Optional(), Length(max=19)],
                           render_kw={"inputmode": "numeric"})
    tax_name = StringField(_l("税收分类简称"), validators=[Optional(), Length(max=32)])
    active = BooleanField(_l("在售"), default=True)


class WarehouseForm(FlaskForm):
    code = StringField(_l("编码"), validators=[REQUIRED, Length(max=32)])
    name = StringField(_l("名称"), validators=[REQUIRED, Length(max=64)])
    province = StringField(_l("省份"), validators=[REQUIRED, Length(max=32)])
    city = StringField(_l("城市"), validators=[REQUIRED, Length(max=32)])
    address = StringField(_l("地址"), validators=[Optional(), Length(max=200)])
    latitude = DecimalField(_l("纬度"), places=6, validators=[REQUIRED])
    longitude = DecimalField(_l("经度"), places=6, validators=[REQUIRED])
    daily_capacity = _int_field(_l("日处理能力（单）"), 0)
    priority = _int_field(_l("优先级（1 最优先）"), 100)
    active = BooleanField(_l("启用"), default=True)


class ChannelForm(FlaskForm):
    code = StringField(_l("编码"), validators=[REQUIRED, Length(max=32)])
    platform = SelectField(_l("平台"), choices=[(str(key), label) for key, label in PLATFORM_LABELS.items()])
    shop_name = StringField(_l("店铺名称"), validators=[REQUIRED, Length(max=100)])
    unpaid_timeout_minutes = _int_field(_l("未付款超时（分钟）"), 30)
    default_warehouse_id = SelectField(_l("默认仓库"), coerce=lambda value: int(value) if value else None)
    active = BooleanField(_l("启用"), default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        warehouses = db.session.scalars(select(Warehouse).order_by(Warehouse.priority, Warehouse.code))
        self.default_warehouse_id.choices = [("", _l("按优先级自动选择"))] + [
            (warehouse.id, f"{warehouse.code} {warehouse.name}") for warehouse in warehouses
        ]


class CarrierForm(FlaskForm):
    code = StringField(_l("编码"), validators=[REQUIRED, Length(max=32)])
    name = StringField(_l("名称"), validators=[REQUIRED, Length(max=64)])
    active = BooleanField(_l("启用"), default=True)


class ComponentsField(TextAreaField):
    """One component per line, "SN-001 2" or "SN-001 × 2"; ``data`` is a list of (code, quantity)."""

    def process_data(self, value):
        self.data = [(item.component.code, item.quantity) for item in value] if value else []

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "\n".join(f"{code} × {quantity}" for code, quantity in self.data or [])

    def process_formdata(self, valuelist):
        self.raw_data = valuelist
        self.data = []
        for number, line in enumerate((valuelist[0] if valuelist else "").splitlines(), start=1):
            parts = line.replace("×", " ").replace("*", " ").split()
            if not parts:
                continue
            if len(parts) != 2 or not parts[1].isdigit():
                raise ValueError(_l("第 %(number)s 行应为「编码 数量」，如 SN-001 2", number=number))
            self.data.append((parts[0], int(parts[1])))


class BundleForm(SkuForm):
    components = ComponentsField(_l("子商品（每行：编码 数量）"), render_kw={"rows": 4})
