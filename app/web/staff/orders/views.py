"""Orders for customer service and the warehouse: the searchable list, one order's page, manual orders.

The actions on an order (approve, ship, refund, …) are in actions.py.
"""

from functools import partial, wraps

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.auth import role_required
from app.auth.roles import CREATE_ORDER, Area, may_act
from app.domain.audit.models import AuditAction
from app.domain.catalog.models import Sku
from app.domain.errors import ValidationError
from app.domain.inventory import queries as inventory_queries
from app.domain.orders import deadlines, queries, services
from app.domain.orders.models import Order, OrderLine
from app.domain.orders.states import STATUS_LABELS
from app.domain.reference import places
from app.domain.workbench import merging, saved_views
from app.domain.workbench.edits import MERGE_ORDERS
from app.extensions import db
from app.web.errors import error_message, field_messages
from app.web.htmx import is_partial, render_page_or_partial
from app.web.staff import bp
from app.web.staff.audit import trail
from app.web.staff.forms import show_domain_errors
from app.web.staff.orders.actions import panel_context
from app.web.staff.orders.auto_review import review_stops
from app.web.staff.orders.batch_forms import BatchForm
from app.web.staff.orders.forms import MAX_LINE_ROWS, ManualOrderForm, OrderFilterForm, shortage_messages
from app.web.staff.pages import (
    count_label,
    extra_line_row,
    form_status,
    keyset_page,
    page_args,
    save_form,
    saved,
)


@bp.get("/orders")
@role_required(Area.ORDERS)
def list_orders():
    return list_page()


def list_page(batch_form=None, status: int = 200):
    """The order list for the query string's filters, with the batch bar (``batch_form`` when it is
    shown again with its errors)."""
    form = OrderFilterForm(request.args)
    filters = form.filters()
    page = keyset_page(lambda after: queries.orders_after(queries.search_orders(filters), after))
    counts = queries.status_counts(filters, queries.COUNT_CAP)
    batch_form = batch_form or BatchForm(current_user.role, formdata=None)
    return render_page_or_partial(
        "staff/orders/list.html", "staff/orders/_results.html", status,
        form=form, orders=page, counts=counts, status_labels=STATUS_LABELS,
        count_label=partial(count_label, cap=queries.COUNT_CAP),
        matching=[counts.get(filters.status, 0)] if filters.status else counts.values(),
        rule_labels=deadlines.RULE_LABELS, args=page_args(), tab_args=page_args(without="status"),
        may_create=may_act(current_user.role, CREATE_ORDER), batch_form=batch_form,
        review_stops=review_stops([order.id for order in page.items]),
        mergeable=merging.suggestions(page.items) if may_act(current_user.role, MERGE_ORDERS) else set(),
        saved_views=saved_views.views_of(current_user.actor),
    )


@bp.get("/orders/<order_no>")
@role_required(Area.ORDERS)
def show_order(order_no: str):
    order = services.get_order(order_no)
    trail.record(AuditAction.VIEW_PERSONAL_DATA, f"order:{order.order_no}")  # full name, phone, address
    db.session.commit()
    # Read again after the commit with what the panel shows of every line (its SKU, and whether that is
    # a bundle), rather than one SKU and one bundle query per line.
    order = db.session.scalar(select(Order).where(Order.order_no == order_no).options(
        selectinload(Order.lines).selectinload(OrderLine.sku).selectinload(Sku.components)))
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
    response = save_form(
        form, lambda: services.create_order(form.channel(), form.order_input()[0], current_user.actor)[0],
        lambda order: saved(_("已创建订单 %(order_no)s，等待付款", order_no=order.order_no),
                            url_for("staff.show_order", order_no=order.order_no)),
        show_errors=lambda form, error: show_domain_errors(form, error, form.order_input()[1]),
        refused=lambda form, error: form.form_errors.extend(shortage_messages(error)))
    return response or (render_template("staff/orders/new.html", form=form, max_rows=MAX_LINE_ROWS,
                                        products=inventory_queries.product_choices(""),
                                        divisions=places.divisions(form.receiver_province.data or "",
                                                                   form.receiver_city.data or "")),
                        form_status(form))


@bp.get("/orders/new/line")
@role_required(Area.ORDERS)
@order_right_required(CREATE_ORDER)
def new_order_line():
    """One more empty line row for the manual order form."""
    return extra_line_row(ManualOrderForm, MAX_LINE_ROWS, "staff/orders/_new_line.html", "staff.create_order")


@bp.get("/orders/new/products")
@role_required(Area.ORDERS)
@order_right_required(CREATE_ORDER)
def product_picker():
    """The manual order form's product picker: matching SKUs with each warehouse's available stock."""
    if not is_partial():
        return redirect(url_for("staff.create_order"))
    return render_template("staff/orders/_products.html",
                           products=inventory_queries.product_choices(request.args.get("q", "")[:64]))


@bp.post("/orders/new/address")
@role_required(Area.ORDERS)
@order_right_required(CREATE_ORDER)
def recognise_address():
    """识别: the receiver's fields filled from the pasted text, or the paste's error naming what is missing."""
    form = ManualOrderForm()
    try:
        form.fill_receiver(places.recognise(form.address_text.data or ""))
    except ValidationError as error:
        form.address_text.errors = [error_message(error), *field_messages(error).values()]
    return render_template("staff/orders/_receiver_fields.html", form=form,
                           divisions=places.divisions(form.receiver_province.data, form.receiver_city.data))


@bp.get("/orders/new/places")
@role_required(Area.ORDERS)
@order_right_required(CREATE_ORDER)
def place_options():
    """The pickers' choices after a province or city was chosen."""
    return render_template("staff/orders/_place_options.html", divisions=places.divisions(
        request.args.get("receiver_province", "")[:32], request.args.get("receiver_city", "")[:32]))
