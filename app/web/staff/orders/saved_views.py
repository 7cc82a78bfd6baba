"""常用筛选: each member of staff saves the order list's current filters under a name, and deletes them."""

from urllib.parse import urlencode

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth import role_required
from app.auth.roles import Area
from app.db import db
from app.domain.errors import DomainError, ValidationError
from app.domain.workbench import saved_views
from app.web.errors import error_message, field_messages
from app.web.staff import bp

#: The list's filter parameters (OrderFilterForm's fields): only these are kept in a view.
FILTERS = ("q", "status", "channel", "warehouse", "created_from", "created_to", "sla")


def filters_query(args) -> str:
    """The query string of the list's filters in ``args`` (paging and the rest left out)."""
    return urlencode([(name, value) for name in FILTERS for value in args.getlist(name) if value])


@bp.post("/orders/views")
@role_required(Area.ORDERS)
def save_view():
    """Save the filters the list was showing (they come with the form's URL) under the name typed."""
    query = filters_query(request.args)
    try:
        view = saved_views.save(current_user.actor, request.form.get("name", ""), query)
    except ValidationError as error:
        db.session.rollback()
        flash(next(iter(field_messages(error).values()), error_message(error)), "error")
    except DomainError as error:
        db.session.rollback()
        flash(error_message(error), "error")
    else:
        db.session.commit()
        flash(_("已保存视图「%(name)s」", name=view.name), "success")
    return redirect(url_for("staff.list_orders") + (f"?{query}" if query else ""), 303)


@bp.post("/orders/views/<int:view_id>/delete")
@role_required(Area.ORDERS)
def delete_view(view_id: int):
    try:
        saved_views.delete(current_user.actor, view_id)
    except DomainError as error:
        db.session.rollback()
        flash(error_message(error), "error")
    else:
        db.session.commit()
        flash(_("已删除视图"), "success")
    return redirect(url_for("staff.list_orders"), 303)
