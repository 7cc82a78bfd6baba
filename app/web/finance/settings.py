"""The approval thresholds (T1, T2): everyone in finance sees them, finance supervisors change them."""

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth import role_required
from app.auth.roles import Area, Role
from app.domain.errors import ValidationError
from app.domain.invoicing import rules
from app.extensions import db
from app.web.finance import bp
from app.web.finance.forms import ThresholdsForm
from app.web.forms import apply_domain_errors


@bp.route("/settings", methods=["GET", "POST"])
@role_required(Area.FINANCE)
def edit_thresholds():
    current = rules.thresholds(rules.InvoicingRules.from_config(current_app.config))
    form = ThresholdsForm(data={"level1": current.level1_above_fen, "level2": current.level2_above_fen})
    may_edit = current_user.role == Role.FINANCE_SUPERVISOR
    if form.is_submitted():
        if not may_edit:
            abort(403)
        if form.validate():
            try:
                rules.save_thresholds(form.level1.data, form.level2.data, current_user.actor)
            except ValidationError as error:
                db.session.rollback()
                apply_domain_errors(form, error)
            else:
                db.session.commit()
                flash(_("审批金额已保存"), "success")
                return redirect(url_for("finance.edit_thresholds"), 303)
    return render_template("finance/settings.html", form=form, may_edit=may_edit), 422 if form.errors else 200
