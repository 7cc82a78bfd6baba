"""Choosing one's own new password, which an admin's reset makes the first thing after signing in: until
it is done, every staff and finance page leads here (app.auth.send_to_change_password)."""

from flask import render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user
from flask_wtf import FlaskForm
from wtforms import PasswordField

from app.auth import role_required
from app.auth import services as accounts
from app.auth.roles import Area
from app.auth.views import safe_next
from app.domain.audit.models import AuditAction
from app.web.staff import bp
from app.web.staff.audit import trail
from app.web.staff.forms import REQUIRED
from app.web.staff.pages import form_status, save_form, saved


class ChangePasswordForm(FlaskForm):
    password = PasswordField(_l("新密码"), validators=[REQUIRED])
    repeated = PasswordField(_l("再次输入新密码"), validators=[REQUIRED])


@bp.route("/password", methods=["GET", "POST"])
@role_required(Area.HOME)
def change_password():
    form = ChangePasswordForm()
    response = save_form(form, lambda: _change(form), lambda _result: _signed_in_again())
    return response or (render_template("staff/password.html", form=form, forced=current_user.must_change_password),
                        form_status(form))


def _change(form: ChangePasswordForm) -> None:
    accounts.change_own_password(current_user, form.password.data, form.repeated.data)
    trail.record(AuditAction.CHANGE_PASSWORD, current_user.actor, "changed by the user")


def _signed_in_again():
    """The new password ended every session, this one too: carry on in a fresh one."""
    login_user(current_user._get_current_object())
    return saved(_("密码已修改"), safe_next(request.args.get("next")))
