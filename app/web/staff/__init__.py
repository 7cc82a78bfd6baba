"""Staff pages (/staff): every view needs a login and a role that may open its area.

One package per area (orders/, stock/, channels/, catalog/, notifications/, settings/, admin/), each
with its views and forms, all on this one blueprint so endpoint names stay ``staff.<view>``. Shared
pieces sit beside them: forms.py (form helpers), pages.py (paging, the form-save helper),
resources.py (list / search / create / inline edit for simple tables), home.py.
"""

from flask import Blueprint

from app.auth import send_to_change_password

bp = Blueprint("staff", __name__, url_prefix="/staff")

# The view modules register their routes on bp when imported.
from app.web.staff import (  # noqa: E402, F401
    admin,
    audit,
    catalog,
    channels,
    home,
    logistics,
    notifications,
    orders,
    password,
    routing,
    settings,
    stock,
)

bp.before_request(send_to_change_password)
