"""Orders for customer service and the warehouse: the searchable list, one order's page, manual orders.

The actions on an order (approve, ship, refund, …) are in order_actions.py.
"""

from functools import wraps

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth import role_required
from app.auth.roles import CREATE_ORDER, Area, may_act
from app.domain.audit.models import AuditAction
from app.domain.orders import deadlines, queries, services
from app.domain.orders.states import STATUS_LABELS
from app.errors import OutOfStock, ValidationError
from app.extensions import db
from app.web.htmx import is_partial, render_page_or_partial
from app.web.staff import bp
from app.web.staff.audit import trail
from app.web.staff.order_actions import panel_context
from app.web.staff.order_forms import (
    MAX_LINE_ROWS,
    ManualOrderForm,
    OrderFilterForm,
    shortage_messages,
    show_domain_errors,
)


@bp.get("/orders")
@role_required(Area.ORDERS)
def list_orders():
    form = OrderFilterForm(request.args)
    filters = form.filters()
    pagination = db.paginate(queries.search_orders(filters), page=request.args.get("page", 1, type=int),
                             per_page=current_app.config["STAFF_PAGE_SIZE"], error_out=False)
    return render_page_or_partial(
        "staff/orders/list.html", "staff/orders/_results.html",
        form=form, pagination=pagination, counts=queries.status_counts(filters), status_labels=STATUS_LABELS,
        rule_labels=deadlines.RULE_LABELS, args=_filter_args(), tab_args=_filter_args(without="status"),
        may_create=may_act(current_user.role, CREATE_ORDER),
    )


@bp.get("/orders/<order_no>")
@role_required(Area.ORDERS)
def show_order(order_no: str):
    order = services.get_order(order_no)
    trail.record(AuditAction.VIEW_PERSONAL_DATA, f"order:{order.order_no}")  # full name, phone, address
    db.session.commit()
    return render_page_or_partial("staff/orders/detail.html", "staff/orders/_panel.html", **panel_context(order))


def order_right_required(action: str):
    """Inside the orders area, also require the right to ``action`` (roles.may_act); 403 otherwise.

    The view carries ``required_action`` (beside role_required's ``required_area``) for the role tests.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not may_act(current_user.role, action):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_action = action
        return wrapped

    return decorator


@bp.route("/orders/new", methods=["GET", "POST"])
@role_required(Area.ORDERS)
@order_right_required(CREATE_ORDER)
def create_order():
    form = ManualOrderForm()
    # Past this point a submitted form has failed: line errors live on rows, outside form.errors.
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        data, line_rows = form.order_input()
        try:
            order, _created = services.create_order(form.channel(), data, current_user.actor)
        except ValidationError as error:
            db.session.rollback()
            show_domain_errors(form, error, line_rows)
        except OutOfStock as error:
            db.session.rollback()
            form.form_errors.extend(shortage_messages(error))
            status = 409
        else:
            db.session.commit()
            flash(_("已创建订单 %(order_no)s，等待付款", order_no=order.order_no), "success")
            return redirect(url_for("staff.show_order", order_no=order.order_no), 303)
    return render_template("staff/orders/new.html", form=form, max_rows=MAX_LINE_ROWS), status


@bp.get("/orders/new/line")
@role_required(Area.ORDERS)
@order_right_required(CREATE_ORDER)
def new_order_line():
    """One more empty line row for the manual order form (and the "add line" button, moved on)."""
    if not is_partial():
        return redirect(url_for("staff.create_order"))
    index = request.args.get("index", 0, type=int)
    if not 0 <= index < MAX_LINE_ROWS:
        abort(400)
    form = ManualOrderForm(formdata=None)
    while len(form.lines) <= index:
        form.lines.append_entry()
    return render_template("staff/orders/_new_line.html", line=form.lines[index], index=index,
                           max_rows=MAX_LINE_ROWS)


def _filter_args(without: str = "") -> dict[str, str]:
    """The current filters as query arguments (for page links and status tabs), less ``without``."""
    return {key: value for key, value in request.args.items() if value and key not in ("page", without)}
