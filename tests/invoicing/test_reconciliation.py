"""对账: per channel and day, with each difference naming its orders; the page and its Excel export."""

import json
import re
from datetime import timedelta
from io import BytesIO

from openpyxl import load_workbook

from app.db import utcnow
from app.domain.invoicing import reconciliation, services
from app.domain.invoicing.states import InvoiceStatus
from app.domain.invoicing.titles import Title
from app.domain.orders import refunds
from app.extensions import db
from tests.invoicing.conftest import ACTOR

TITLE = Title("personal", "张三")


def issue(invoice, number):
    invoice.status, invoice.number, invoice.issued_at = InvoiceStatus.ISSUED, number, utcnow()


def test_a_day_adds_up_and_names_the_orders_behind_each_difference(shop, rules):
    plain = shop.completed()  # no invoice asked for: not a difference
    fine = shop.completed()
    stuck = shop.completed()
    refunded = shop.completed([(shop.cup.code, 2)])
    [fine_invoice] = services.request_invoice([fine], TITLE, ACTOR, "staff", rules)
    issue(fine_invoice, "26310000000000000001")
    services.request_invoice([stuck], TITLE, ACTOR, "staff", rules)
    [refunded_invoice] = services.request_invoice([refunded], TITLE, ACTOR, "staff", rules)
    issue(refunded_invoice, "26310000000000000002")
    refunds.refund(refunded, 5900, [refunds.RefundLine(shop.cup.code, 1)], restock=False, reason="退一件", actor=ACTOR)
    db.session.flush()

    later = utcnow() + timedelta(days=8)
    [row] = reconciliation.reconcile(reconciliation.shanghai_today(plain.paid_at), later, stale_days=7)
    assert (row.orders, row.paid_fen, row.refunded_fen) == (4, 5 * 5900, 5900)
    assert (row.blue_fen, row.red_fen, row.not_requested_fen) == (5900 + 11800, 0, 5900)
    assert row.differences == {"not_issued": [stuck.order_no], "above_paid": [],
                               "not_reversed": [refunded.order_no]}
    assert row.unexplained == 2

    again = reconciliation.reconcile(row.day, later, stale_days=7)
    assert [each.id for each in again] == [row.id]  # recomputed in place


def test_the_page_draws_the_trend_and_exports_excel(app, client, login_as, shop, rules):
    today, yesterday = shop.completed(), shop.completed()
    yesterday.paid_at = today.paid_at - timedelta(days=1)
    reconciliation.reconcile(reconciliation.shanghai_today(today.paid_at), utcnow(), stale_days=7)
    db.session.commit()
    login_as("finance")
    page = client.get("/finance/reconciliation").text
    assert "无差异" in page and 'data-testid="chart-reconciliation-trend"' not in page  # one day draws no line

    reconciliation.reconcile(reconciliation.shanghai_today(yesterday.paid_at), utcnow(), stale_days=7)
    db.session.commit()
    page = client.get("/finance/reconciliation").text
    options = json.loads(re.search(r'<script type="application/json" id="reconciliation-trend-options">(.*?)</script>',
                                   page, re.S).group(1))
    assert [series["data"] for series in options["series"]] == [["59.00", "59.00"], ["0.00", "0.00"]]
    assert len(options["xAxis"]["data"]) == 2
    export = client.get("/finance/reconciliation.xlsx")
    sheet = load_workbook(BytesIO(export.data)).active
    assert sheet["A1"].value == "日期" and [sheet["E2"].value, sheet["E3"].value] == [59.0, 59.0]


def test_an_invoice_waiting_for_its_order_to_complete_is_not_a_difference(shop, rules):
    on_its_way = shop.paid()
    [invoice] = services.request_invoice([on_its_way], TITLE, ACTOR, "staff", rules)
    db.session.flush()

    later = utcnow() + timedelta(days=30)
    [row] = reconciliation.reconcile(reconciliation.shanghai_today(on_its_way.paid_at), later, stale_days=7)

    assert invoice.status == InvoiceStatus.WAITING and row.unexplained == 0
