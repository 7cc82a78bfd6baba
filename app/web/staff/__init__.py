"""Staff pages (/staff): every view needs a login and a role that may open its area."""

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

# The view modules register their routes on bp when imported.
from app.web.staff import (  # noqa: E402, F401
    api_tokens,
    audit,
    catalog,
    channels_import,
    channels_setup,
    channels_sync,
    home,
    jobs,
    notifications,
    order_actions,
    orders,
    settings,
    stock,
    stock_planning,
    users,
)
