"""Staff pages (/staff): every view needs a login and a role that may open its area."""

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

from app.web.staff import catalog, home, jobs, settings, users  # noqa: E402, F401  (views register on bp)
