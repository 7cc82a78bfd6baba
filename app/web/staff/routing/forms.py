"""Forms of the routing pages."""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, SelectField, StringField, TextAreaField, ValidationError
from wtforms.validators import Length, NumberRange

from app.domain.reference.models import PLATFORM_LABELS
from app.domain.routing.services import MOMENT_LABELS, PAID, ROUTE_MOMENTS, STRATEGY_LABELS
from app.web.staff.forms import REQUIRED, warehouse_choices


def strategy_choices() -> list[tuple[str, str]]:
    return [(name, _l(label)) for name, label in STRATEGY_LABELS.items() if name != "manual"]


class StrategyForm(FlaskForm):
    """The strategy and its balanced weights (the strategy page saves them, a back-test tries them)."""

    strategy = SelectField(_l("分仓策略"))
    cost = DecimalField(_l("运费权重"), places=2, default=1, validators=[REQUIRED, NumberRange(min=0, max=100)])
    distance = DecimalField(_l("距离权重"), places=2, default=1, validators=[REQUIRED, NumberRange(min=0, max=100)])
    eta = DecimalField(_l("时效权重"), places=2, default=1, validators=[REQUIRED, NumberRange(min=0, max=100)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.strategy.choices = strategy_choices()

    def weights(self) -> dict[str, float]:
        return {"cost": float(self.cost.data), "distance": float(self.distance.data), "eta": float(self.eta.data)}


#: "key: value, value" — either colon, and commas, Chinese commas or spaces between values.
RULE_LINE = re.compile(r"^\s*([^:：]+?)\s*[:：]\s*(.*?)\s*$")
VALUE_SEPARATORS = re.compile(r"[,，、\s]+")


def rule_lines(text: str) -> dict[str, list[str]]:
    """One rule per line, ``key: value, value`` → {key: [values]}; ValueError names a line without a colon."""
    rules: dict[str, list[str]] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        match = RULE_LINE.match(line)
        if match is None:
            raise ValueError(number)
        rules.setdefault(match.group(1), []).extend(value for value in VALUE_SEPARATORS.split(match.group(2)) if value)
    return rules


def rule_text(rules: dict) -> str:
    return "\n".join(f"{key}: {', '.join(values) if isinstance(values, list) else values}"
                     for key, values in rules.items())


class RuleField(TextAreaField):
    """A textarea of ``key: values`` lines, checked for shape here (the service checks the names)."""

    def pre_validate(self, form):
        try:
            rule_lines(self.data)
        except ValueError as error:
            raise ValidationError(_l("第 %(line)s 行应写成“名称: 值”", line=error.args[0])) from error


class RulesForm(FlaskForm):
    channel_carriers = RuleField(_l("渠道指定快递"), render_kw={"rows": 3, "placeholder": "jd: jd"},
                                 description=_l("每行一条：渠道平台: 快递公司代码（可多个）"))
    reserved_warehouses = RuleField(_l("渠道专用仓库"), render_kw={"rows": 3, "placeholder": "WH-JD: jd"},
                                    description=_l("每行一条：仓库代码: 渠道平台（该仓只发这个渠道的订单）"))
    restricted_regions = RuleField(_l("限购地区"), render_kw={"rows": 3, "placeholder": "SKU-001: 新疆, 西藏"},
                                   description=_l("每行一条：商品编码: 不销售的省份（可多个）"))

    def fill(self, rules: dict) -> None:
        for name in ("channel_carriers", "reserved_warehouses", "restricted_regions"):
            getattr(self, name).data = rule_text(rules.get(name) or {})

    def rules(self) -> dict:
        """The rules as the routing services take them."""
        reserved = rule_lines(self.reserved_warehouses.data)
        return {"channel_carriers": rule_lines(self.channel_carriers.data),
                "reserved_warehouses": {code: values[-1] if values else "" for code, values in reserved.items()},
                "restricted_regions": rule_lines(self.restricted_regions.data)}


class MomentsForm(FlaskForm):
    """When each channel platform's orders are routed: one choice per platform."""

    def moments(self) -> dict[str, str]:
        return {platform.value: self[platform.value].data for platform in PLATFORM_LABELS}


for _platform, _label in PLATFORM_LABELS.items():
    setattr(MomentsForm, _platform.value, SelectField(_l(_label), default=PAID,
                                                      choices=[(m, _l(MOMENT_LABELS[m])) for m in ROUTE_MOMENTS]))


def moments_form(moments: dict[str, str], formdata=None) -> MomentsForm:
    return MomentsForm(formdata=formdata, prefix="moment",
                       data={platform.value: moments.get(platform.value, PAID) for platform in PLATFORM_LABELS})


class BacktestForm(RulesForm, StrategyForm):
    """A candidate rule set (strategy, weights, rules) and the shipping days to replay it on."""

    period_from = DateField(_l("发货日期从"), validators=[REQUIRED])
    period_to = DateField(_l("至"), validators=[REQUIRED])

    def candidate(self) -> dict:
        return {"strategy": self.strategy.data, "weights": self.weights(), **self.rules()}


class AssignForm(FlaskForm):
    warehouse_id = SelectField(_l("仓库"), coerce=int)
    carrier_id = SelectField(_l("快递公司"), coerce=int)
    reason = StringField(_l("原因"), validators=[REQUIRED, Length(max=200)])

    def __init__(self, carriers, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.warehouse_id.choices = warehouse_choices()
        self.carrier_id.choices = [(c.id, c.name) for c in carriers]
