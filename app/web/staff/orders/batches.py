"""Batch actions from the order list: start one (the chosen orders, or every order matching the
filters), then watch its progress and per-order results on the batch page (polled while it runs)."""

import io

from flask import abort, flash, redirect, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from app.auth import role_required
from app.auth.roles import Area
from app.db import db
from app.domain.errors import ValidationError
from app.domain.orders import queries
from app.domain.orders.models import Order
from app.domain.workbench import batches, export, printing, reroute
from app.domain.workbench.models import OrderBatch
from app.web.errors import field_messages, translate
from app.web.htmx import render_page_or_partial
from app.web.staff import bp
from app.web.staff.forms import show_domain_errors
from app.web.staff.orders.batch_forms import BatchForm, may_start
from app.web.staff.orders.forms import OrderFilterForm
from app.web.staff.orders.views import list_page


@bp.post("/orders/batch")
@role_required(Area.ORDERS)
def start_batch():
    form = BatchForm(current_user.role)
    if form.validate_on_submit():
        if not may_start(current_user.role, form.action.data):
            abort(403)
        try:
            if form.action.data in printing.DOCUMENTS:
                batch = printing.start(form.action.data, _chosen_orders(form), current_user.actor,
                                       str(get_locale()))
            else:
                batch = batches.start(form.action.data, _chosen_orders(form), form.params(), current_user.actor)
        except ValidationError as error:
            db.session.rollback()
            show_domain_errors(form, error)
        else:
            db.session.commit()
            return redirect(url_for("staff.show_batch", batch_id=batch.id), 303)
    return list_page(batch_form=form, status=422)


def _chosen_orders(form: BatchForm) -> list[str]:
    if form.all_matching.data:
        # One more than allowed, so that the service refuses a selection that is too big instead of cutting it.
        query = queries.search_orders(OrderFilterForm(request.args).filters()).with_only_columns(Order.order_no)
        return list(db.session.scalars(query.limit(batches.MAX_ORDERS + 1)))
    return request.form.getlist("order_no")


@bp.get("/orders/batches/<int:batch_id>")
@role_required(Area.ORDERS)
def show_batch(batch_id: int):
    batch = db.get_or_404(OrderBatch, batch_id)
    results = [(result["order_no"], result["ok"], translate(batches.message_text(result["message"])))
               for result in batch.results]
    return render_page_or_partial("staff/orders/batch.html", "staff/orders/_batch_progress.html",
                                  batch=batch, results=results, label=_(batch_label(batch)),
                                  is_export=batch.action == export.ACTION, is_print=batch.action in printing.DOCUMENTS)


def batch_label(batch: OrderBatch) -> str:
    if batch.action == export.ACTION:
        return export.LABEL
    if batch.action == reroute.ACTION:
        return reroute.LABEL
    return printing.DOCUMENTS.get(batch.action) or batches.ACTIONS[batch.action].label


@bp.post("/orders/export")
@role_required(Area.ORDERS)
def export_orders():
    """Export what the list's filters (in the query string) match, newest first, as a job."""
    query = queries.search_orders(OrderFilterForm(request.args).filters()).with_only_columns(Order.order_no)
    try:
        batch = export.start(list(db.session.scalars(query.limit(export.MAX_ROWS + 1))), current_user.actor)
    except ValidationError as error:
        db.session.rollback()
        flash(field_messages(error)["orders"], "error")
        return list_page(status=422)
    db.session.commit()
    return redirect(url_for("staff.show_batch", batch_id=batch.id), 303)


@bp.get("/orders/batches/<int:batch_id>/orders.xlsx")
@role_required(Area.ORDERS)
def download_export(batch_id: int):
    batch = db.get_or_404(OrderBatch, batch_id)
    if batch.action != export.ACTION or batch.content is None:
        abort(404)
    return send_file(io.BytesIO(batch.content), download_name=f"orders-{batch.id}.xlsx", as_attachment=True,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
