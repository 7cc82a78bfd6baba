"""The staff shell's landing page."""

from flask import render_template
from flask_login import current_user

from app.auth import role_required
from app.auth.roles import Area
from app.web.staff import bp


@bp.get("/")
@role_required(Area.HOME)
def home():
    return render_template("staff/home.html", user=current_user)
