"""Stock for the warehouse and operations: levels, the ledger, goods received and stock counts.

Reminders and safety stock are in stock_planning.py.
"""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth import role_required
from app.auth.roles import Area
from app.domain.errors import Conflict, ValidationError
from app.domain.inventory import services as inventory
from app.domain.inventory.ledger import Change
from app.extensions import db
from app.web.errors import error_message
from app.web.htmx import is_partial, render_page_or_partial
from app.web.staff import bp, stock_queries
from app.web.staff.order_display import actor_label, movement_deltas
from app.web.staff.order_forms import show_domain_errors
from app.web.staff.stock_forms import (
    MAX_RECEIPT_ROWS,
    CountForm,
    MovementFilterForm,
    ReceiptForm,
    StockFilterForm,
)


def page_args(without: str = "") -> dict[str, str]:
    """The current query arguments (filters) for page links, less the page number and ``without``."""
    return {key: value for key, value in request.args.items() if value and key not in ("page", without)}


def paginate(query):
    return db.paginate(query, page=request.args.get("page", 1, type=int),
                       per_page=current_app.config["STAFF_PAGE_SIZE"], error_out=False)


@bp.get("/stock")
@role_required(Area.STOCK)
def list_stock():
    form = StockFilterForm(request.args)
    query = stock_queries.stock_levels(form.warehouse.data, (form.q.data or "").strip(), form.low.data)
    return render_page_or_partial("staff/stock/levels.html", "staff/stock/_levels.html", form=form,
                                  pagination=paginate(query), args=page_args(), is_low=stock_queries.is_low)


@bp.get("/stock/movements")
@role_required(Area.STOCK)
def list_movements():
    form = MovementFilterForm(request.args)
    query = stock_queries.movements(form.warehouse.data, (form.sku.data or "").strip(), form.kind.data or "",
                                    (form.order_no.data or "").strip())
    pagination = paginate(query)
    return render_page_or_partial(
        "staff/stock/movements.html", "staff/stock/_movements.html", form=form, pagination=pagination,
        args=page_args(), order_numbers=stock_queries.order_numbers(m.order_id for m in pagination.items),
        deltas=movement_deltas, actor_label=actor_label,
    )


@bp.route("/stock/receive", methods=["GET", "POST"])
@role_required(Area.STOCK)
def receive_stock():
    form = ReceiptForm()
    # Past this point a submitted form has failed: line errors live on rows, outside form.errors.
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        line_rows = []
        try:
            lines, line_rows = form.receipt_lines()
            change = Change(current_user.actor, form.reason.data or _("采购入库"), reference=form.reference.data or "")
            inventory.receive(form.warehouse(), lines, change)
        except ValidationError as error:
            db.session.rollback()
            show_domain_errors(form, error, line_rows)
        else:
            db.session.commit()
            flash(_("已入库 %(count)s 个商品，共 %(units)s 件", count=len(lines), units=sum(quantity for _sku, quantity in lines)),
                  "success")
            return redirect(url_for("staff.list_stock", warehouse=form.warehouse_id.data), 303)
    return render_template("staff/stock/receive.html", form=form, max_rows=MAX_RECEIPT_ROWS), status


@bp.get("/stock/receive/line")
@role_required(Area.STOCK)
def receipt_line():
    """One more empty row for the receipt form (and the "add line" button, moved on)."""
    if not is_partial():
        return redirect(url_for("staff.receive_stock"))
    index = request.args.get("index", 0, type=int)
    if not 0 <= index < MAX_RECEIPT_ROWS:
        abort(400)
    form = ReceiptForm(formdata=None)
    while len(form.lines) <= index:
        form.lines.append_entry()
    return render_template("staff/stock/_receipt_line.html", line=form.lines[index], index=index,
                           max_rows=MAX_RECEIPT_ROWS)


@bp.route("/stock/count", methods=["GET", "POST"])
@role_required(Area.STOCK)
def count_stock():
    form = CountForm(data=None if request.method == "POST" else _count_defaults())
    status = 200
    if form.validate_on_submit():
        sku = form.sku_row()
        try:
            level = inventory.adjust_to_count(form.warehouse(), sku, form.counted.data,
                                              Change(current_user.actor, form.reason.data))
        except ValidationError as error:
            db.session.rollback()
            show_domain_errors(form, error)
        except Conflict as error:
            db.session.rollback()
            form.form_errors.append(error_message(error))
            status = 409
        else:
            db.session.commit()
            flash(_("盘点已记录：%(sku)s 在库 %(on_hand)s 件", sku=sku.code, on_hand=level.on_hand), "success")
            return redirect(url_for("staff.list_stock", warehouse=form.warehouse_id.data, q=sku.code), 303)
    if status == 200 and form.errors:
        status = 422
    return render_template("staff/stock/count.html", form=form, level=_current_level(form)), status


def _count_defaults() -> dict:
    """A count opened from a stock row comes with its warehouse and SKU filled in."""
    return {"warehouse_id": request.args.get("warehouse_id", type=int), "sku": request.args.get("sku", "")}


def _current_level(form: CountForm):
    """The level the count is about, to show the book figure next to the form (None if not chosen)."""
    sku = form.sku_row() if form.sku.data else None
    if sku is None or not form.warehouse_id.data:
        return None
    return stock_queries.levels_for([(form.warehouse_id.data, sku.id)]).get((form.warehouse_id.data, sku.id))
