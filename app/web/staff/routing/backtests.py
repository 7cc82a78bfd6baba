"""/staff/routing/backtests: start a back-test (回测) of a candidate rule set over a period of shipped
orders, watch its progress, read the result with its charts, and download it as Excel."""

from datetime import timedelta
from io import BytesIO

from flask import abort, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from openpyxl import Workbook

from app.auth import role_required
from app.auth.roles import Area
from app.db import utcnow
from app.domain.routing import backtest, services
from app.domain.routing.models import Backtest
from app.extensions import db
from app.money import fen_to_yuan
from app.web.htmx import render_page_or_partial
from app.web.staff import bp
from app.web.staff.pages import form_status, save_form, saved
from app.web.staff.routing.forms import BacktestForm

ROWS_SHOWN = 200
DEFAULT_DAYS = 30


@bp.route("/routing/backtests", methods=["GET", "POST"])
@role_required(Area.SETTINGS)
def backtests():
    form = BacktestForm()
    if not form.is_submitted():
        _fill_with_rules_in_force(form)
    response = save_form(form, lambda: backtest.start(form.period_from.data, form.period_to.data, form.candidate(),
                                                      current_user.actor),
                         lambda run: saved(_("回测已开始"), url_for("staff.show_backtest", backtest_id=run.id)))
    return response or (render_template("staff/routing/backtests.html", form=form, runs=backtest.recent(),
                                        labels=services.STRATEGY_LABELS, status_labels=backtest.STATUS_LABELS),
                        form_status(form))


def _fill_with_rules_in_force(form: BacktestForm) -> None:
    rules = services.rules_in_force()
    today = utcnow().astimezone(backtest.SHANGHAI).date()
    form.period_from.data, form.period_to.data = today - timedelta(days=DEFAULT_DAYS), today
    form.strategy.data = rules["strategy"]
    form.cost.data, form.distance.data, form.eta.data = (rules["weights"][name] for name in ("cost", "distance", "eta"))
    form.fill(rules)


@bp.get("/routing/backtests/<int:backtest_id>")
@role_required(Area.SETTINGS)
def show_backtest(backtest_id: int):
    run = db.get_or_404(Backtest, backtest_id)
    return render_page_or_partial("staff/routing/backtest.html", "staff/routing/_backtest_result.html",
                                  run=run, rows=run.rows[:ROWS_SHOWN] if not run.active else [],
                                  charts=_charts(run.summary) if run.summary else None,
                                  labels=services.STRATEGY_LABELS, reason_labels=services.REASON_LABELS,
                                  status_labels=backtest.STATUS_LABELS)


def _charts(summary: dict) -> dict:
    """ECharts options: freight per shipping day, and parcels per warehouse, what shipped vs the candidate."""
    shipped, candidate = _("实际发货"), _("候选方案")
    days = summary["days"]
    sites = sorted(set(summary["sites"]["actual"]) | set(summary["sites"]["replay"]))
    return {
        "freight": {
            "tooltip": {"trigger": "axis"}, "legend": {"data": [shipped, candidate]},
            "xAxis": {"type": "category", "data": [day["day"] for day in days]},
            "yAxis": {"type": "value", "name": _("运费（元）")},
            "series": [{"name": shipped, "type": "line", "data": [day["actual_fen"] / 100 for day in days]},
                       {"name": candidate, "type": "line", "data": [day["replay_fen"] / 100 for day in days]}],
        },
        "sites": {
            "tooltip": {"trigger": "axis"}, "legend": {"data": [shipped, candidate]},
            "xAxis": {"type": "category", "data": sites},
            "yAxis": {"type": "value", "name": _("包裹数")},
            "series": [{"name": shipped, "type": "bar", "data": [summary["sites"]["actual"].get(s, 0) for s in sites]},
                       {"name": candidate, "type": "bar", "data": [summary["sites"]["replay"].get(s, 0) for s in sites]}],
        },
    }


@bp.get("/routing/backtests/<int:backtest_id>.xlsx")
@role_required(Area.SETTINGS)
def export_backtest(backtest_id: int):
    run = db.get_or_404(Backtest, backtest_id)
    if run.status != backtest.FINISHED:
        abort(404)
    book = Workbook()
    sheet = book.active
    sheet.title = _("订单")
    sheet.append([_("订单号"), _("发货日期"), _("实际仓库/快递"), _("实际运费（元）"), _("实际时效（小时）"),
                  _("实际距离（公里）"), _("回测仓库/快递"), _("回测运费（元）"), _("回测时效（小时）"),
                  _("回测距离（公里）"), _("无法分仓原因")])
    for row in run.rows:
        actual, replay = row["actual"] or {}, row["replay"] or {}
        sheet.append([row["order_no"], row["shipped_on"], *_side_cells(actual), *_side_cells(replay),
                      "、".join(_(services.REASON_LABELS[reason]) for reason in row["reasons"])])
    _summary_sheet(book.create_sheet(_("汇总")), run)
    content = BytesIO()
    book.save(content)
    content.seek(0)
    return send_file(content, download_name=f"backtest-{run.id}.xlsx", as_attachment=True,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _side_cells(side: dict) -> list:
    cost = side.get("cost_fen")
    return [side.get("sites", ""), fen_to_yuan(cost) if cost is not None else "", side.get("eta_hours", ""),
            side.get("distance_km", "")]


def _summary_sheet(sheet, run: Backtest) -> None:
    summary = run.summary
    sheet.append([_("项目"), _("实际发货"), _("候选方案")])
    for label, key, money in ((_("运费合计（元）"), "cost_fen", True), (_("单均运费（元）"), "average_cost_fen", True),
                              (_("平均时效（小时）"), "average_eta_hours", False),
                              (_("平均距离（公里）"), "average_distance_km", False),
                              (_("拆单率（%）"), "split_pct", False)):
        values = [summary[side][key] for side in ("actual", "replay")]
        sheet.append([label, *(fen_to_yuan(value) if money else value for value in values)])
    sheet.append([_("订单数"), summary["orders"], summary["orders"]])
    sheet.append([_("无法分仓"), "", summary["unroutable"]])
    sheet.append([_("分仓不同"), "", summary["changed"]])
