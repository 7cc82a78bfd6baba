"""Staff accounts (admin only)."""

from flask import render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import Length

from app.auth import role_required
from app.auth import services as accounts
from app.auth.models import User
from app.auth.roles import ROLE_LABELS, Area
from app.db import db
from app.domain.audit.models import AuditAction
from app.web.staff import bp
from app.web.staff.audit import trail
from app.web.staff.forms import REQUIRED
from app.web.staff.pages import form_status, save_form, saved

ROLE_CHOICES = [("", _l("请选择角色"))] + [(str(role), label) for role, label in ROLE_LABELS.items()]


class UserForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[REQUIRED, Length(max=64)])
    display_name = StringField(_l("姓名"), validators=[Length(max=64)])
    # No default role: the first choice is blank, so an admin picks one on purpose (not 管理员 by accident).
    role = SelectField(_l("角色"), choices=ROLE_CHOICES, validators=[REQUIRED])
    password = PasswordField(_l("初始密码"), validators=[REQUIRED])


class EditUserForm(FlaskForm):
    display_name = StringField(_l("姓名"), validators=[Length(max=64)])
    role = SelectField(_l("角色"), choices=ROLE_CHOICES[1:], validators=[REQUIRED])
    active = BooleanField(_l("启用（可以登录）"))


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("新密码"), validators=[REQUIRED])


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


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required(Area.USERS)
def edit_user(user_id: int):
    """Edit one account (name, role, enabled); resetting its password is a form of its own below."""
    user = db.get_or_404(User, user_id)
    form = EditUserForm(obj=user)
    response = save_form(
        form, lambda: _update_user(user, form),
        lambda changes: saved(_("已保存账号 %(name)s", name=user.username), url_for("staff.list_users")))
    return response or (render_template("staff/admin/user_edit.html", user=user, form=form,
                                        reset_form=ResetPasswordForm(formdata=None)), form_status(form))


@bp.post("/users/<int:user_id>/password")
@role_required(Area.USERS)
def reset_password(user_id: int):
    """Give the user a new password (to tell them in person); every session they have ends."""
    user = db.get_or_404(User, user_id)
    reset_form = ResetPasswordForm()
    response = save_form(
        reset_form, lambda: _reset_password(user, reset_form.password.data),
        lambda _result: saved(_("已重置 %(name)s 的密码，其所有登录已退出", name=user.username),
                              url_for("staff.list_users")))
    return response or (render_template("staff/admin/user_edit.html", user=user, form=EditUserForm(obj=user, formdata=None),
                                        reset_form=reset_form), form_status(reset_form))


def _update_user(user: User, form: EditUserForm) -> list[str]:
    changes = accounts.update_user(user, (form.display_name.data or "").strip(), form.role.data, form.active.data,
                                   current_user.id)
    if changes:
        trail.record(AuditAction.UPDATE_USER, f"user:{user.username}",
                     " ".join(f"{name}={getattr(user, name)}" for name in changes))
    return changes


def _reset_password(user: User, password: str) -> None:
    accounts.reset_password(user, password)
    trail.record(AuditAction.CHANGE_PASSWORD, f"user:{user.username}", "reset by an admin")
