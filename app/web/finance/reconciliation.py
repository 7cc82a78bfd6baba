"""对账: the daily reconciliation rows (per channel and day), their trend, the orders behind every
difference, an Excel export, and a button that computes the recent days again now."""

from io import BytesIO

from flask import flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from openpyxl import Workbook

from app.auth import role_required
from app.auth.roles import Area
from app.db import utcnow
from app.domain.invoicing import reconciliation
from app.extensions import db
from app.jobs import enqueue_now
from app.money import fen_to_yuan
from app.text import N_
from app.web.finance import bp

DAYS_SHOWN = 30
DIFFERENCE_LABELS = {"not_issued": N_("已申请未开票"), "above_paid": N_("开票高于实付"), "not_reversed": N_("退款未红冲")}


@bp.get("/reconciliation")
@role_required(Area.FINANCE)
def show_reconciliation():
    rows = reconciliation.recent(DAYS_SHOWN, reconciliation.shanghai_today(utcnow()))
    return render_template("finance/reconciliation.html", rows=rows, trend=_trend(rows),
                           difference_labels={key: _(label) for key, label in DIFFERENCE_LABELS.items()})


@bp.post("/reconciliation")
@role_required(Area.FINANCE)
def recompute_reconciliation():
    enqueue_now("workers.einvoice.reconcile_invoices", queue="einvoice", job_timeout=1800)
    flash(_("已开始重新对账，稍后刷新查看"), "success")
    return redirect(url_for("finance.show_reconciliation"), 303)


@bp.get("/reconciliation.xlsx")
@role_required(Area.FINANCE)
def export_reconciliation():
    rows = reconciliation.recent(DAYS_SHOWN, reconciliation.shanghai_today(utcnow()))
    book = Workbook()
    sheet = book.active
    sheet.title = "对账"
    sheet.append(["日期", "渠道", "订单数", "应付", "实付", "退款", "蓝票", "红票", "净开票", "未申请开票",
                  *DIFFERENCE_LABELS.values()])
    for row in rows:
        sheet.append([row.day.isoformat(), row.channel.shop_name, row.orders, *(
            float(fen_to_yuan(value)) for value in (row.payable_fen, row.paid_fen, row.refunded_fen, row.blue_fen,
                                                   row.red_fen, row.net_invoiced_fen, row.not_requested_fen)),
                      *(" ".join(row.differences.get(key, [])) for key in DIFFERENCE_LABELS)])
    output = BytesIO()
    book.save(output)
    output.seek(0)
    db.session.rollback()  # read-only
    return send_file(output, as_attachment=True, download_name="reconciliation.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _trend(rows) -> dict | None:
    """ECharts options: per day, paid net of refunds against net invoiced (yuan), oldest day on the left;
    None with fewer than two days to draw."""
    by_day: dict = {}
    for row in rows:
        paid, invoiced = by_day.get(row.day, (0, 0))
        by_day[row.day] = (paid + row.paid_fen - row.refunded_fen, invoiced + row.net_invoiced_fen)
    days = sorted(by_day)
    if len(days) < 2:
        return None
    series = [{"name": name, "type": "line", "data": [fen_to_yuan(by_day[day][index]) for day in days]}
              for index, name in enumerate((_("实付（减退款）"), _("净开票")))]
    return {"tooltip": {"trigger": "axis"}, "legend": {"top": 0}, "grid": {"left": 64, "right": 16, "top": 32, "bottom": 32},
            "xAxis": {"type": "category", "data": [day.isoformat() for day in days]},
            "yAxis": {"type": "value", "name": _("元")}, "series": series}
