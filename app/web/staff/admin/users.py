"""Staff accounts (admin only)."""

from flask import render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import Length

from app.auth import role_required
from app.auth import services as accounts
from app.auth.roles import ROLE_LABELS, Area
from app.domain.audit.models import AuditAction
from app.web.staff import bp
from app.web.staff.audit import trail
from app.web.staff.forms import REQUIRED
from app.web.staff.pages import form_status, save_form, saved


class UserForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[REQUIRED, Length(max=64)])
    display_name = StringField(_l("姓名"), validators=[Length(max=64)])
    role = SelectField(_l("角色"), choices=[(str(role), label) for role, label in ROLE_LABELS.items()])
    password = PasswordField(_l("初始密码"), validators=[REQUIRED])


@bp.route("/users", methods=["GET", "POST"])
@role_required(Area.USERS)
def list_users():
    form = UserForm()
    response = save_form(
        form, lambda: _create_user(form),
        lambda user: saved(_("已创建账号 %(name)s", name=user.username), url_for("staff.list_users")))
    if response:
        return response
    users = accounts.list_users()
    return render_template("staff/admin/users.html", users=users, form=form), form_status(form)


def _create_user(form: UserForm):
    user = accounts.create_user(form.username.data, form.role.data, form.password.data, form.display_name.data)
    trail.record(AuditAction.CREATE_USER, f"user:{user.username}", f"role={user.role}")
    return user
