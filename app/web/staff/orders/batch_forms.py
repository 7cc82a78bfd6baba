"""The batch bar of the order list: which action, for which orders, with what (carrier, waybills, reason)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from app.auth.roles import may_act
from app.domain.orders.states import Action
from app.domain.reference import queries as reference
from app.domain.workbench import batches, printing, waybills
from app.domain.workbench.edits import EDIT_SHIPPING
from app.web.staff.forms import REQUIRED, optional_int, warehouse_choices


def may_print(role: str) -> bool:
    """Labels, slips and pick lists are the warehouse's paper: whoever may pack may print them."""
    return may_act(role, Action.PACK)


def may_start(role: str, action: str) -> bool:
    return may_print(role) if action in printing.DOCUMENTS else may_act(role, action)


class BatchForm(FlaskForm):
    action = SelectField(_l("批量操作"), validators=[REQUIRED])
    #: Every order the list's filters match (they come with the form's URL, as on the list).
    all_matching = BooleanField(_l("选择全部符合筛选条件的订单"))
    warehouse_id = SelectField(_l("发货仓"), coerce=optional_int, validators=[Optional()])
    carrier_id = SelectField(_l("快递公司"), coerce=optional_int, validators=[Optional()])
    waybills = RadioField(_l("快递单号"), default=batches.WAYBILLS_FROM_POOL, choices=[
        (batches.WAYBILLS_FROM_POOL, _l("从面单池分配")), (batches.WAYBILLS_TYPED, _l("逐个填写或扫描"))])
    numbers = TextAreaField(_l("快递单号（按所选订单的顺序，一行一个）"), validators=[Optional()],
                            render_kw={"rows": 3})
    reason = StringField(_l("原因"), validators=[Optional(), Length(max=200)])

    def __init__(self, role: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.action.choices = [(name, _l(spec.label)) for name, spec in batches.ACTIONS.items() if may_act(role, name)] + [
            (name, _l(label)) for name, label in printing.DOCUMENTS.items() if may_print(role)]
        self.carrier_id.choices = [("", _l("请选择"))] + [
            (c.id, c.name) for c in reference.carriers(active_only=True)]
        self.warehouse_id.choices = [("", _l("请选择")), *warehouse_choices()]

    @property
    def offered(self) -> bool:
        return bool(self.action.choices)

    def params(self) -> dict:
        """What the batch's action needs, as stored on the batch."""
        if self.action.data == Action.SHIP_OUT:
            return {"carrier_id": self.carrier_id.data, "waybills": self.waybills.data,
                    "numbers": waybills.parse_numbers(self.numbers.data or "")}
        if self.action.data == Action.MARK_EXCEPTION:
            return {"reason": (self.reason.data or "").strip()}
        if self.action.data == EDIT_SHIPPING:  # 换仓换快递: every order to one warehouse and carrier
            return {"warehouse_id": self.warehouse_id.data, "carrier_id": self.carrier_id.data,
                    "reason": (self.reason.data or "").strip()}
        return {}
