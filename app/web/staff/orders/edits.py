"""POST /staff/orders/<order_no>/edit/<edit>: the edits of edit_forms.py, answered with the order panel."""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth import role_required
from app.auth.roles import Area, may_act
from app.domain.orders import services
from app.web.errors import error_message
from app.web.htmx import is_partial
from app.web.staff import bp
from app.web.staff.forms import show_domain_errors
from app.web.staff.orders.actions import panel_response
from app.web.staff.orders.edit_forms import EDITS_BY_NAME
from app.web.staff.pages import form_status, save_form


@bp.post("/orders/<order_no>/edit/<edit>")
@role_required(Area.ORDERS)
def edit_order(order_no: str, edit: str):
    spec = EDITS_BY_NAME.get(edit) or abort(404)
    if not may_act(current_user.role, spec.name):
        abort(403)
    order = services.get_order(order_no, for_update=True)
    form = spec.form_for(order, request.form)
    response = save_form(form, lambda: spec.perform(order, form, current_user.actor),
                         lambda _result: _done(spec, order), show_errors=show_domain_errors,
                         refused=lambda form, error: flash(error_message(error), "error"))
    return response or panel_response(order, form_status(form), {spec.name: form})


def _done(spec, order):
    flash(_("已完成「%(action)s」", action=_(spec.label)), "success")
    if is_partial():
        return panel_response(order, 200)
    return redirect(url_for("staff.show_order", order_no=order.order_no), 303)
