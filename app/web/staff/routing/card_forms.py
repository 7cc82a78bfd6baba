"""Forms of the rate-card pages: one row of a carrier's card, and the Excel upload."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DecimalField, HiddenField, StringField
from wtforms.validators import Length

from app.domain.routing.cards import RateRow
from app.web.forms import YuanField
from app.web.staff.forms import REQUIRED, int_field

#: The domain's field names (the API's) → this form's, where they differ.
FIELD_NAMES = {"from": "origin", "to": "destination"}


class RateRowForm(FlaskForm):
    origin = StringField(_l("始发省"), validators=[REQUIRED, Length(max=32)])
    destination = StringField(_l("目的省"), validators=[REQUIRED, Length(max=32)])
    first_kg = DecimalField(_l("首重（公斤）"), places=3, default=Decimal(1), validators=[REQUIRED])
    first_price = YuanField(_l("首重价格（元）"), validators=[REQUIRED])
    additional_price_per_kg = YuanField(_l("续重单价（元/公斤）"), validators=[REQUIRED])
    weight_step_kg = DecimalField(_l("续重步长（公斤）"), places=3, default=Decimal(1), validators=[REQUIRED])
    volumetric_divisor = int_field(_l("抛重系数"), 6000)
    remote_surcharge = YuanField(_l("偏远附加费（元）"), default=0)
    days = int_field(_l("时效（天）"), 2)
    served = BooleanField(_l("配送"), default=True)

    def fill(self, row: RateRow) -> None:
        """Show an existing row (kg and yuan, as people type them)."""
        self.origin.data, self.destination.data = row.origin_province, row.destination_province
        self.first_kg.data, self.weight_step_kg.data = Decimal(row.first_weight_g) / 1000, Decimal(row.step_g) / 1000
        self.first_price.data, self.additional_price_per_kg.data = row.first_fen, row.extra_fen_per_kg
        self.volumetric_divisor.data, self.remote_surcharge.data = row.volumetric_divisor, row.surcharge_fen
        self.days.data, self.served.data = row.transit_days, row.served

    def row(self) -> RateRow:
        return RateRow(self.origin.data, self.destination.data, _grams(self.first_kg.data), self.first_price.data,
                       self.additional_price_per_kg.data, self.days.data, _grams(self.weight_step_kg.data),
                       self.volumetric_divisor.data, self.remote_surcharge.data or 0, self.served.data)


def _grams(kilograms: Decimal | None) -> int:
    return int((kilograms or 0) * 1000)


class RateCardUploadForm(FlaskForm):
    file = FileField(_l("运费模板文件（.xlsx）"), validators=[FileRequired(_l("请选择文件"))])


class RateCardConfirmForm(FlaskForm):
    """The previewed rows travel back as JSON; they are checked again when saved."""

    rows = HiddenField()
