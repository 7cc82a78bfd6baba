"""Planning stock: purchase reminders and the safety stock behind them (with manual overrides)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth import role_required
from app.auth.roles import Area
from app.domain.errors import ValidationError
from app.domain.inventory import reorder, safety
from app.domain.inventory.models import PurchaseReminder, StockLevel
from app.extensions import db
from app.web.htmx import is_partial, render_page_or_partial
from app.web.staff import bp, stock_queries
from app.web.staff.order_display import actor_label
from app.web.staff.order_forms import show_domain_errors
from app.web.staff.stock import page_args, paginate
from app.web.staff.stock_forms import SafetyFilterForm, SafetyOverrideForm


@bp.get("/stock/reminders")
@role_required(Area.STOCK)
def list_reminders():
    show_all = request.args.get("show") == "all"
    pagination = paginate(stock_queries.reminders(show_all))
    return render_page_or_partial(
        "staff/stock/reminders.html", "staff/stock/_reminders.html", pagination=pagination, show_all=show_all,
        args=page_args(), open_count=stock_queries.open_reminder_count(),
        levels=stock_queries.levels_for((r.warehouse_id, r.sku_id) for r in pagination.items),
        actor_label=actor_label,
    )


@bp.post("/stock/reminders/<int:reminder_id>/dismiss")
@role_required(Area.STOCK)
def dismiss_reminder(reminder_id: int):
    reminder = db.get_or_404(PurchaseReminder, reminder_id)
    reorder.dismiss(reminder, current_user.actor)
    db.session.commit()
    flash(_("已忽略 %(sku)s（%(warehouse)s）的补货提醒", sku=reminder.sku.code, warehouse=reminder.warehouse.name),
          "success")
    if is_partial():
        # The row disappears (the main swap is empty); the counter and the flash update out of band.
        return render_template("staff/stock/_reminder_dismissed.html", open_count=stock_queries.open_reminder_count())
    return redirect(url_for("staff.list_reminders"), 303)


@bp.get("/stock/safety")
@role_required(Area.STOCK)
def list_safety():
    form = SafetyFilterForm(request.args)
    query = stock_queries.stock_levels(form.warehouse.data, (form.q.data or "").strip())
    if form.overridden.data:
        query = stock_queries.overridden_only(query)
    pagination = paginate(query)
    return render_page_or_partial("staff/stock/safety.html", "staff/stock/_safety_rows.html", form=form,
                                  pagination=pagination, args=page_args(), actor_label=actor_label,
                                  figures=stock_queries.figures_for(pagination.items))


@bp.get("/stock/safety/<int:warehouse_id>/<int:sku_id>")
@role_required(Area.STOCK)
def show_safety(warehouse_id: int, sku_id: int):
    """One row of the safety list (what "cancel" in the inline edit swaps back in)."""
    level = _level_or_404(warehouse_id, sku_id)
    if not is_partial():
        return redirect(url_for("staff.list_safety", warehouse=warehouse_id, q=level.sku.code))
    return _safety_row(level)


@bp.route("/stock/safety/<int:warehouse_id>/<int:sku_id>/edit", methods=["GET", "POST"])
@role_required(Area.STOCK)
def edit_safety(warehouse_id: int, sku_id: int):
    level = _level_or_404(warehouse_id, sku_id)
    figure = stock_queries.figure(warehouse_id, sku_id)
    form = SafetyOverrideForm(data=_override_values(figure))
    if form.validate_on_submit():
        try:
            figure = safety.override(safety.figure_for(warehouse_id, sku_id), form.safety.data,
                                     form.reorder_point.data, form.reason.data or "", current_user.actor)
        except ValidationError as error:
            db.session.rollback()
            show_domain_errors(form, error)
        else:
            db.session.commit()
            return _saved(level, _("已更新 %(sku)s（%(warehouse)s）的安全库存设置",
                                   sku=level.sku.code, warehouse=level.warehouse.name))
    return render_page_or_partial("staff/stock/safety_form.html", "staff/stock/_safety_edit_row.html",
                                  422 if form.errors else 200, form=form, level=level, figure=figure)


@bp.post("/stock/safety/<int:warehouse_id>/<int:sku_id>/clear")
@role_required(Area.STOCK)
def clear_safety(warehouse_id: int, sku_id: int):
    """Back to the computed figures."""
    level = _level_or_404(warehouse_id, sku_id)
    safety.override(safety.figure_for(warehouse_id, sku_id), None, None, "", current_user.actor)
    db.session.commit()
    return _saved(level, _("%(sku)s（%(warehouse)s）已恢复为计算值", sku=level.sku.code, warehouse=level.warehouse.name))


def _saved(level: StockLevel, message: str):
    flash(message, "success")
    if is_partial():
        return _safety_row(level, oob_flash=True)
    return redirect(url_for("staff.list_safety", warehouse=level.warehouse_id, q=level.sku.code), 303)


def _safety_row(level: StockLevel, oob_flash: bool = False):
    db.session.refresh(level)
    return render_template("staff/stock/_safety_row.html", level=level, oob_flash=oob_flash, actor_label=actor_label,
                           figure=stock_queries.figure(level.warehouse_id, level.sku_id))


def _level_or_404(warehouse_id: int, sku_id: int) -> StockLevel:
    level = stock_queries.levels_for([(warehouse_id, sku_id)]).get((warehouse_id, sku_id))
    if level is None:
        abort(404)
    return level


def _override_values(figure) -> dict:
    """What the override form starts with: the current manual values, if any."""
    if figure is None:
        return {}
    return {"safety": figure.override_safety, "reorder_point": figure.override_reorder_point,
            "reason": figure.override_reason}
