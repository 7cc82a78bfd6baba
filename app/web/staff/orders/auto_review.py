"""/staff/auto-review: the auto-review (自动审单) rules switched on or off, the amount limit, and the
receiver blacklist, for operations; the rules themselves are app/domain/workbench/review.py."""

from decimal import Decimal

from flask import render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, SelectMultipleField, StringField, widgets
from wtforms.validators import Length, NumberRange

from app.auth import role_required
from app.auth.roles import Area
from app.db import db
from app.domain.workbench import review
from app.money import fen_to_yuan, yuan_to_fen
from app.web.errors import error_message
from app.web.staff import bp
from app.web.staff.forms import REQUIRED
from app.web.staff.pages import form_status, save_form, saved


class RulesForm(FlaskForm):
    enabled = BooleanField(_l("启用自动审单"))
    rules = SelectMultipleField(_l("启用的规则"), option_widget=widgets.CheckboxInput(),
                                widget=widgets.ListWidget(prefix_label=False))
    max_amount = DecimalField(_l("金额上限（元）"), places=2, validators=[REQUIRED, NumberRange(min=0.01, max=10_000_000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rules.choices = [(rule, _(label)) for rule, label in review.RULE_LABELS.items()]


class BlacklistForm(FlaskForm):
    phone = StringField(_l("手机号"), validators=[REQUIRED, Length(max=20)])
    name = StringField(_l("姓名"), validators=[Length(max=64)])
    reason = StringField(_l("原因"), validators=[Length(max=200)])


@bp.route("/auto-review", methods=["GET", "POST"])
@role_required(Area.SETTINGS)
def auto_review_rules():
    setting = review.current_setting()
    form = RulesForm(prefix="rules", data={"enabled": setting.enabled, "rules": review.enabled_rules(setting),
                                           "max_amount": Decimal(fen_to_yuan(setting.max_amount_fen))})
    response = save_form(form, lambda: review.save_setting(form.enabled.data, set(form.rules.data or ()), yuan_to_fen(form.max_amount.data),
                                                           current_user.actor),
                         lambda _setting: saved(_("审单规则已保存"), url_for("staff.auto_review_rules")))
    return response or _page(form, BlacklistForm(prefix="blacklist", formdata=None), form_status(form))


@bp.post("/auto-review/blacklist")
@role_required(Area.SETTINGS)
def add_blacklisted_receiver():
    form = BlacklistForm(prefix="blacklist")
    response = save_form(form, lambda: review.add_to_blacklist(form.phone.data, form.name.data, form.reason.data,
                                                               current_user.actor),
                         lambda _entry: saved(_("已加入黑名单"), url_for("staff.auto_review_rules")),
                         refused=lambda form, error: form.phone.errors.append(error_message(error)))
    if response:
        return response
    setting = review.current_setting()
    rules_form = RulesForm(prefix="rules", formdata=None, data={
        "enabled": setting.enabled, "rules": review.enabled_rules(setting), "max_amount": Decimal(fen_to_yuan(setting.max_amount_fen))})
    return _page(rules_form, form, form_status(form))


@bp.post("/auto-review/blacklist/<int:entry_id>/remove")
@role_required(Area.SETTINGS)
def remove_blacklisted_receiver(entry_id: int):
    review.remove_from_blacklist(entry_id)
    db.session.commit()
    return saved(_("已移出黑名单"), url_for("staff.auto_review_rules"))


def _page(form: RulesForm, blacklist_form: BlacklistForm, status: int):
    return render_template("staff/orders/auto_review.html", form=form, blacklist_form=blacklist_form,
                           blacklist=review.blacklist(), labels=review.RULE_LABELS), status


def review_stops(order_ids: list[int]) -> dict[int, list[str]]:
    """Order id → the names of the rules that stopped it, in the reader's language (list and order page)."""
    return {order_id: [_(review.STOP_LABELS[rule]) for rule in rules]
            for order_id, rules in review.stopped_rules(order_ids).items()}
