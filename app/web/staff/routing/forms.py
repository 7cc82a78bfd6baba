"""Forms of the routing pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, SelectField, StringField
from wtforms.validators import Length, NumberRange

from app.domain.routing.services import STRATEGY_LABELS
from app.web.staff.forms import REQUIRED, warehouse_choices


def strategy_choices() -> list[tuple[str, str]]:
    return [(name, _l(label)) for name, label in STRATEGY_LABELS.items() if name != "manual"]


class StrategyForm(FlaskForm):
    strategy = SelectField(_l("分仓策略"))
    cost = DecimalField(_l("运费权重"), places=2, default=1, validators=[REQUIRED, NumberRange(min=0, max=100)])
    distance = DecimalField(_l("距离权重"), places=2, default=1, validators=[REQUIRED, NumberRange(min=0, max=100)])
    eta = DecimalField(_l("时效权重"), places=2, default=1, validators=[REQUIRED, NumberRange(min=0, max=100)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.strategy.choices = strategy_choices()

    def weights(self) -> dict[str, float]:
        return {"cost": float(self.cost.data), "distance": float(self.distance.data), "eta": float(self.eta.data)}


class AssignForm(FlaskForm):
    warehouse_id = SelectField(_l("仓库"), coerce=int)
    carrier_id = SelectField(_l("快递公司"), coerce=int)
    reason = StringField(_l("原因"), validators=[REQUIRED, Length(max=200)])

    def __init__(self, carriers, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.warehouse_id.choices = warehouse_choices()
        self.carrier_id.choices = [(c.id, c.name) for c in carriers]
