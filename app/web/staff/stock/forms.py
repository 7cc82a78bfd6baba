"""Forms of the stock pages: filters, goods received, stock counts and safety-stock overrides."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, FormField, IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional
from wtforms.validators import ValidationError as FieldError

from app.domain.catalog.models import Sku
from app.domain.catalog.queries import skus_by_code
from app.domain.errors import ValidationError
from app.domain.inventory.models import MOVEMENT_LABELS
from app.domain.reference.models import Warehouse
from app.extensions import db
from app.web.staff.forms import REQUIRED, SubForm, optional_int, translated_choices, warehouse_choices

NOT_NEGATIVE = NumberRange(min=0, message=_l("不能为负数"))
MAX_RECEIPT_ROWS = 50
RECEIPT_ROWS = 3


class WarehouseFilterForm(SubForm):
    """A list's filters from the query string, starting with "which warehouse" (all by default)."""

    warehouse = SelectField(_l("仓库"), coerce=optional_int)

    def __init__(self, formdata):
        super().__init__(formdata)
        self.warehouse.choices = [("", _l("全部仓库"))] + warehouse_choices()
        self.validate()  # a bad value is ignored (and shown), the rest still filter


class StockFilterForm(WarehouseFilterForm):
    q = StringField(_l("商品"))
    low = BooleanField(_l("只看库存偏低"))


class MovementFilterForm(WarehouseFilterForm):
    sku = StringField(_l("商品"))
    kind = SelectField(_l("类型"), default="", choices=[("", _l("全部类型"))] + translated_choices(MOVEMENT_LABELS))
    order_no = StringField(_l("订单号"))


class SafetyFilterForm(StockFilterForm):
    low = None
    overridden = BooleanField(_l("只看手工设置的"))


class ReceiptLineForm(SubForm):
    sku = StringField(_l("商品编码"), validators=[Optional(), Length(max=64)])
    quantity = IntegerField(_l("数量"), validators=[Optional(), NumberRange(min=1, message=_l("数量必须大于 0"))],
                            render_kw={"inputmode": "numeric", "min": 1})

    @property
    def is_blank(self) -> bool:
        return not (self.sku.data or "").strip() and self.quantity.data is None


class ReceiptForm(FlaskForm):
    warehouse_id = SelectField(_l("入库仓库"), coerce=optional_int, validators=[REQUIRED])
    reference = StringField(_l("单据号（如采购单号）"), validators=[Optional(), Length(max=64)])
    reason = StringField(_l("说明"), default=_l("采购入库"), validators=[Optional(), Length(max=200)])
    lines = FieldList(FormField(ReceiptLineForm), min_entries=RECEIPT_ROWS, max_entries=MAX_RECEIPT_ROWS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.warehouse_id.choices = [("", _l("请选择"))] + warehouse_choices()

    def warehouse(self) -> Warehouse:
        return db.session.get(Warehouse, self.warehouse_id.data)

    def filled_rows(self) -> list[int]:
        """The index of each row that is not blank: the form row behind the domain's ``lines[i]``."""
        return [index for index, entry in enumerate(self.lines) if not entry.form.is_blank]

    def receipt_lines(self) -> list[tuple[Sku, int]]:
        """(SKU, quantity) per filled-in row (see filled_rows).

        Raises ValidationError (paths ``lines[i].sku`` / ``lines[i].qty``) for unknown codes or
        missing quantities, in the shape the domain uses, so that one mapping shows both.
        """
        rows = [self.lines[index].form for index in self.filled_rows()]
        skus = skus_by_code(row.sku.data.strip() for row in rows)
        errors, lines = {}, []
        for position, row in enumerate(rows):
            sku = skus.get((row.sku.data or "").strip())
            if sku is None:
                errors[f"lines[{position}].sku"] = _("商品 %(code)s 不存在", code=row.sku.data or "")
            if not row.quantity.data:
                errors[f"lines[{position}].qty"] = _("请填写数量")
            lines.append((sku, row.quantity.data))
        if not rows:
            errors["lines"] = _("至少要填一行")
        if errors:
            raise ValidationError(errors)
        return lines


class CountForm(FlaskForm):
    warehouse_id = SelectField(_l("仓库"), coerce=optional_int, validators=[REQUIRED])
    sku = StringField(_l("商品编码"), validators=[REQUIRED, Length(max=64)])
    counted = IntegerField(_l("实盘数量"), validators=[REQUIRED, NOT_NEGATIVE], render_kw={"inputmode": "numeric"})
    reason = StringField(_l("原因"), default=_l("盘点"), validators=[REQUIRED, Length(max=200)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.warehouse_id.choices = [("", _l("请选择"))] + warehouse_choices()

    def warehouse(self) -> Warehouse:
        return db.session.get(Warehouse, self.warehouse_id.data)

    def validate_sku(self, field):
        field.data = (field.data or "").strip()
        if field.data and self.sku_row() is None:
            raise FieldError(_("商品 %(code)s 不存在", code=field.data))

    def sku_row(self) -> Sku | None:
        return skus_by_code([self.sku.data]).get(self.sku.data)


class SafetyOverrideForm(FlaskForm):
    safety = IntegerField(_l("安全库存"), validators=[Optional(), NOT_NEGATIVE], render_kw={"inputmode": "numeric"})
    reorder_point = IntegerField(_l("补货点"), validators=[Optional(), NOT_NEGATIVE],
                                 render_kw={"inputmode": "numeric"})
    reason = StringField(_l("原因"), validators=[Optional(), Length(max=200)])
