"""Staff accounts (admin only)."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import InputRequired, Length

from app.auth import role_required
from app.auth.models import User
from app.auth.roles import ROLE_LABELS, Area
from app.auth.services import create_user
from app.domain.audit.models import AuditAction
from app.errors import ValidationError
from app.extensions import db
from app.web.forms import apply_domain_errors
from app.web.staff import bp
from app.web.staff.audit import trail


class UserForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[InputRequired(_l("此项必填")), Length(max=64)])
    display_name = StringField(_l("姓名"), validators=[Length(max=64)])
    role = SelectField(_l("角色"), choices=[(str(role), label) for role, label in ROLE_LABELS.items()])
    password = PasswordField(_l("初始密码"), validators=[InputRequired(_l("此项必填"))])


@bp.route("/users", methods=["GET", "POST"])
@role_required(Area.USERS)
def list_users():
    form = UserForm()
    if form.validate_on_submit():
        try:
            user = create_user(form.username.data, form.role.data, form.password.data, form.display_name.data)
        except ValidationError as error:
            apply_domain_errors(form, error)
        else:
            trail.record(AuditAction.CREATE_USER, f"user:{user.username}", f"role={user.role}")
            db.session.commit()
            flash(_("已创建账号 %(name)s", name=user.username), "success")
            return redirect(url_for("staff.list_users"), 303)
    users = db.session.scalars(select(User).order_by(User.username)).all()
    return render_template("staff/users.html", users=users, form=form), 422 if form.errors else 200
