"""The back-test pages: start one from the form (rules in force filled in), the job replays it, the result
page shows the comparison and its charts, and the Excel export holds a row per order."""

from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.db import utcnow
from app.domain.routing import backtest
from app.domain.routing.models import Backtest
from app.extensions import db
from tests.conftest import run_worker
from tests.web.test_staff_routing import cards_for_shop  # noqa: F401  (fixture)


def today() -> str:
    return utcnow().astimezone(backtest.SHANGHAI).date().isoformat()


def form(**changes) -> dict:
    return {"period_from": today(), "period_to": today(), "strategy": "nearest", "cost": "1", "distance": "1",
            "eta": "1", "channel_carriers": "", "reserved_warehouses": "", "restricted_regions": "", **changes}


@pytest.fixture
def shipped(make_order, cards_for_shop):  # noqa: F811
    return [make_order("05"), make_order("05", lines=(("SN-002", 1),))]


def test_a_back_test_runs_as_a_job_and_shows_its_comparison(client, login_as, app, shipped):
    login_as("operations")
    page = client.get("/staff/routing/backtests")
    assert page.status_code == 200 and 'data-testid="backtest-form"' in page.text

    answer = client.post("/staff/routing/backtests", data=form())
    assert answer.status_code == 303
    result_url = answer.headers["Location"]
    running = client.get(result_url)
    assert "排队中" in running.text and 'hx-trigger="every 1s"' in running.text

    with app.app_context():
        run_worker()
        run = db.session.scalar(select(Backtest))
        assert (run.status, run.done, run.summary["compared"]) == (backtest.FINISHED, 2, 2)
    done = client.get(result_url)
    assert "every 1s" not in done.text
    assert 'data-testid="backtest-summary"' in done.text and "¥16.00" in done.text  # 2 orders × ¥8, both sides
    assert 'data-testid="chart-backtest-freight"' in done.text and 'data-testid="chart-backtest-sites"' in done.text
    assert all(number in done.text for number in shipped)

    sheet = client.get(f"{result_url}.xlsx")
    assert sheet.status_code == 200
    book = load_workbook(BytesIO(sheet.data))
    assert [row[0] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)] == sorted(
        shipped, key=lambda number: shipped.index(number))
    assert book.worksheets[1]["B2"].value == "16.00"


def test_the_result_page_reads_in_english(client, login_as, app, shipped):
    login_as("operations")
    client.post("/language/en", data={"next": "/staff/"})
    location = client.post("/staff/routing/backtests", data=form()).headers["Location"]
    with app.app_context():
        run_worker()
    page = client.get(location)
    assert "Back-test" in page.text and "Total freight" in page.text and "Nearest" in page.text


def test_bad_rules_or_an_empty_period_are_refused_on_the_form(client, login_as, shipped):
    login_as("operations")
    bad_line = client.post("/staff/routing/backtests", data=form(channel_carriers="jd jd"))
    assert bad_line.status_code == 422 and "第 1 行" in bad_line.text
    unknown = client.post("/staff/routing/backtests", data=form(restricted_regions="SN-001: 火星"))
    assert unknown.status_code == 422 and "无法识别的省份：火星" in unknown.text
    empty = client.post("/staff/routing/backtests", data=form(period_from="2020-01-01", period_to="2020-01-02"))
    assert empty.status_code == 422 and "该时段没有已发货的订单" in empty.text
    with_nothing_started = client.get("/staff/routing/backtests")
    assert "还没有回测" in with_nothing_started.text
