"""Forms of the SKU and bundle pages. They parse and type-check; app.domain.catalog decides."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from app.domain.catalog.models import VAT_RATES_BP
from app.web.forms import YuanField
from app.web.staff.forms import REQUIRED, int_field

NUMERIC = {"inputmode": "numeric"}


class SkuForm(FlaskForm):
    code = StringField(_l("编码"), validators=[REQUIRED, Length(max=64)])
    name = StringField(_l("名称"), validators=[REQUIRED, Length(max=200)])
    barcode = StringField(_l("条码"), validators=[Optional(), Length(max=32)])
    category = StringField(_l("类目"), validators=[Optional(), Length(max=32)])
    weight_g = int_field(_l("重量（克）"), 0)
    length_cm = IntegerField(_l("长（厘米）"), default=0, validators=[Optional()], render_kw=NUMERIC)
    width_cm = IntegerField(_l("宽（厘米）"), default=0, validators=[Optional()], render_kw=NUMERIC)
    height_cm = IntegerField(_l("高（厘米）"), default=0, validators=[Optional()], render_kw=NUMERIC)
    price_fen = YuanField(_l("价格（元）"), validators=[REQUIRED])
    tax_rate_bp = SelectField(_l("税率"), coerce=int, default=1300,
                              choices=[(rate, f"{rate // 100}%") for rate in VAT_RATES_BP])
    tax_code = StringField(_l("税收分类编码（19 位）"), validators=[Optional(), Length(max=19)],
                           render_kw={"inputmode": "numeric"})
    tax_name = StringField(_l("税收分类简称"), validators=[Optional(), Length(max=32)])
    active = BooleanField(_l("在售"), default=True)


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
