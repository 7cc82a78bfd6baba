"""Stock for the warehouse and operations: levels, the ledger, goods received and stock counts.

Reminders and safety stock are in planning.py.
"""

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth import role_required
from app.auth.roles import Area
from app.domain.inventory import queries
from app.domain.inventory import services as inventory
from app.domain.inventory.ledger import Change
from app.domain.orders import queries as order_queries
from app.web.errors import error_message
from app.web.htmx import render_page_or_partial
from app.web.staff import bp
from app.web.staff.forms import show_domain_errors
from app.web.staff.orders.display import actor_label, movement_deltas
from app.web.staff.pages import (
    extra_line_row,
    form_status,
    keyset_page,
    page_args,
    paginate,
    save_form,
    saved,
)
from app.web.staff.stock.forms import (
    MAX_RECEIPT_ROWS,
    CountForm,
    MovementFilterForm,
    ReceiptForm,
    StockFilterForm,
)


@bp.get("/stock")
@role_required(Area.STOCK)
def list_stock():
    form = StockFilterForm(request.args)
    query = queries.stock_levels(form.warehouse.data, (form.q.data or "").strip(), form.low.data)
    return render_page_or_partial("staff/stock/levels.html", "staff/stock/_levels.html", form=form,
                                  pagination=paginate(query), args=page_args())


@bp.get("/stock/movements")
@role_required(Area.STOCK)
def list_movements():
    form = MovementFilterForm(request.args)
    order_no = (form.order_no.data or "").strip()
    query = queries.movements(form.warehouse.data, (form.sku.data or "").strip(), form.kind.data or "",
                              order_queries.order_ids_numbered(order_no) if order_no else None)
    movements = keyset_page(lambda after: queries.movements_after(query, after))
    return render_page_or_partial(
        "staff/stock/movements.html", "staff/stock/_movements.html", form=form, movements=movements,
        args=page_args(), order_numbers=order_queries.order_numbers(m.order_id for m in movements.items),
        deltas=movement_deltas, actor_label=actor_label,
    )


@bp.route("/stock/receive", methods=["GET", "POST"])
@role_required(Area.STOCK)
def receive_stock():
    form = ReceiptForm()
    response = save_form(form, lambda: _receive(form), lambda lines: saved(
        _("已入库 %(count)s 个商品，共 %(units)s 件", count=len(lines), units=sum(quantity for _sku, quantity in lines)),
        url_for("staff.list_stock", warehouse=form.warehouse_id.data)),
        show_errors=lambda form, error: show_domain_errors(form, error, form.filled_rows()))
    return response or (render_template("staff/stock/receive.html", form=form, max_rows=MAX_RECEIPT_ROWS),
                        form_status(form))


def _receive(form: ReceiptForm):
    lines = form.receipt_lines()
    change = Change(current_user.actor, form.reason.data or _("采购入库"), reference=form.reference.data or "")
    inventory.receive(form.warehouse(), lines, change)
    return lines


@bp.get("/stock/receive/line")
@role_required(Area.STOCK)
def receipt_line():
    """One more empty row for the receipt form."""
    return extra_line_row(ReceiptForm, MAX_RECEIPT_ROWS, "staff/stock/_receipt_line.html", "staff.receive_stock")


@bp.route("/stock/count", methods=["GET", "POST"])
@role_required(Area.STOCK)
def count_stock():
    form = CountForm(data=None if request.method == "POST" else _count_defaults())
    response = save_form(
        form, lambda: inventory.adjust_to_count(form.warehouse(), form.sku_row(), form.counted.data,
                                                Change(current_user.actor, form.reason.data)),
        lambda level: saved(_("盘点已记录：%(sku)s 在库 %(on_hand)s 件", sku=form.sku.data, on_hand=level.on_hand),
                            url_for("staff.list_stock", warehouse=form.warehouse_id.data, q=form.sku.data)),
        show_errors=show_domain_errors, refused=lambda form, error: form.form_errors.append(error_message(error)))
    return response or (render_template("staff/stock/count.html", form=form, level=_current_level(form)),
                        form_status(form))


def _count_defaults() -> dict:
    """A count opened from a stock row comes with its warehouse and SKU filled in."""
    return {"warehouse_id": request.args.get("warehouse_id", type=int), "sku": request.args.get("sku", "")}


def _current_level(form: CountForm):
    """The level the count is about, to show the book figure next to the form (None if not chosen)."""
    sku = form.sku_row() if form.sku.data else None
    if sku is None or not form.warehouse_id.data:
        return None
    return queries.levels_for([(form.warehouse_id.data, sku.id)]).get((form.warehouse_id.data, sku.id))
