"""Batch work from the order list: batch approve / pack / ship (typed waybills or the waybill pool) /
mark exception, run as a job with a result per order; refused orders say why and the others go through."""

import re
from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import func, select

from app.domain.workbench.models import OrderBatch, PoolWaybill
from app.extensions import db
from tests.conftest import htmx_headers, run_worker
from tests.web.conftest import assert_stock_consistent, order_state


def start(client, action: str, orders: list[str] = (), query: str = "", **fields):
    data = {"action": action, "order_no": list(orders), **fields}
    return client.post(f"/staff/orders/batch{query}", data=data)


def run_batch(app, response) -> int:
    assert response.status_code == 303, response.text
    batch_id = int(response.location.rsplit("/", 1)[-1])
    with app.app_context():
        run_worker()
    return batch_id


def batch_row(app, batch_id: int) -> OrderBatch:
    with app.app_context():
        batch = db.session.get(OrderBatch, batch_id)
        db.session.expunge(batch)
        return batch


def test_batch_approve_goes_through_for_the_paid_orders_and_says_why_the_unpaid_one_is_refused(
        app, client, login_as, make_order):
    login_as("customer_service")
    paid, other_paid, unpaid = make_order("02"), make_order("02"), make_order("01")

    batch_id = run_batch(app, start(client, "approve", [paid, unpaid, other_paid]))

    assert order_state(app, paid).status == "03" and order_state(app, other_paid).status == "03"
    assert order_state(app, unpaid).status == "01"
    batch = batch_row(app, batch_id)
    assert (batch.status, batch.total, batch.done, batch.refused) == ("finished", 3, 2, 1)
    page = client.get(f"/staff/orders/batches/{batch_id}")
    assert page.status_code == 200 and "<html" in page.text
    assert re.search(rf"{unpaid}</code></a></td>\s*<td>订单当前状态为「待支付」", page.text)
    fragment = client.get(f"/staff/orders/batches/{batch_id}", headers=htmx_headers())
    assert "<html" not in fragment.text and 'id="batch-progress"' in fragment.text
    assert 'hx-trigger="every 1s"' not in fragment.text  # finished: the page stops polling
    english = client.get(f"/staff/orders/batches/{batch_id}?lang=en")
    assert "The order is “Pending payment”" in english.text


def test_batch_ship_from_the_waybill_pool_uses_each_number_once_and_refuses_when_it_runs_out(
        app, client, login_as, make_order, shop):
    login_as("warehouse")
    first, second = make_order("04"), make_order("04")
    loaded = client.post("/staff/waybills", data={"carrier_id": shop.carrier_id, "numbers": "SF900001\nSF900001"})
    assert loaded.status_code == 303
    assert "顺丰速运" in client.get("/staff/waybills").text

    batch_id = run_batch(app, start(client, "ship_out", [first, second], carrier_id=shop.carrier_id,
                                    waybills="pool"))

    shipped = order_state(app, first)
    assert shipped.status == "05" and shipped.waybill_no == "SF900001"
    assert order_state(app, second).status == "04"
    batch = batch_row(app, batch_id)
    assert (batch.done, batch.refused) == (1, 1)
    assert batch.results[1]["message"]["template"] == "%(carrier)s 的面单号已用完，请先补充"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PoolWaybill)
                                 .where(PoolWaybill.order_id.is_(None))) == 0
    assert_stock_consistent(app)


def test_typed_waybills_must_match_the_orders_and_nothing_starts_otherwise(app, client, login_as, make_order, shop):
    login_as("warehouse")
    first, second = make_order("04"), make_order("04")

    refused = start(client, "ship_out", [first, second], carrier_id=shop.carrier_id, waybills="typed",
                    numbers="YT1")

    assert refused.status_code == 422
    assert "选了 2 个订单，但填了 1 个快递单号" in refused.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OrderBatch)) == 0

    batch_id = run_batch(app, start(client, "ship_out", [first, second], carrier_id=shop.carrier_id,
                                    waybills="typed", numbers="YT1 YT2"))
    assert [order_state(app, n).waybill_no for n in (first, second)] == ["YT1", "YT2"]
    assert batch_row(app, batch_id).done == 2


def test_all_matching_takes_every_order_the_filters_find(app, client, login_as, make_order):
    login_as("warehouse")
    approved = [make_order("03"), make_order("03")]
    make_order("02")

    batch_id = run_batch(app, start(client, "pack", query="?status=03", all_matching="y"))

    assert sorted(batch_row(app, batch_id).order_nos) == sorted(approved)
    assert all(order_state(app, number).status == "04" for number in approved)


def test_mark_exception_needs_a_reason_and_roles_only_get_their_own_actions(app, client, login_as, make_order):
    login_as("warehouse")
    number = make_order("02")
    assert start(client, "mark_exception", [number]).status_code == 422
    run_batch(app, start(client, "mark_exception", [number], reason="地址不全"))
    assert order_state(app, number).status == "E1"

    client.post("/logout")
    login_as("customer_service", username="kefu-batch")
    assert start(client, "pack", [make_order("03")]).status_code == 422  # not among its choices
    listing = client.get("/staff/orders")
    assert 'value="approve"' in listing.text and 'value="pack"' not in listing.text
    assert client.get("/staff/waybills").status_code == 403


def test_export_writes_the_filtered_orders_to_an_excel_file(app, client, login_as, make_order):
    login_as("customer_service")
    paid = make_order("02")
    make_order("01")

    started = client.post("/staff/orders/export?status=02")
    batch_id = run_batch(app, started)

    page = client.get(f"/staff/orders/batches/{batch_id}")
    assert "下载 Excel" in page.text
    download = client.get(f"/staff/orders/batches/{batch_id}/orders.xlsx")
    assert download.status_code == 200
    rows = list(load_workbook(BytesIO(download.data)).active.iter_rows(values_only=True))
    assert rows[0][0] == "订单号" and [row[0] for row in rows[1:]] == [paid]
    assert rows[1][3] == "已支付" and rows[1][12] == "199.80"
    assert client.post("/staff/orders/export?status=07").status_code == 422  # nothing matches: nothing queued


def test_batch_hand_over_moves_the_shipped_orders_and_refuses_the_others(app, client, login_as, make_order):
    login_as("warehouse")
    shipped, packing = make_order("05"), make_order("04")

    batch_id = run_batch(app, start(client, "hand_over", [shipped, packing]))

    assert order_state(app, shipped).status == "06" and order_state(app, packing).status == "04"
    assert (batch_row(app, batch_id).done, batch_row(app, batch_id).refused) == (1, 1)


def test_batch_change_of_warehouse_and_carrier_moves_the_stock_of_each_order_it_can(app, client, login_as,
                                                                                   make_order, shop):
    login_as("warehouse")
    fits, too_big = make_order("02", lines=(("SN-001", 1),)), make_order("02", lines=(("SN-001", 2),))  # WH-B holds 1
    assert start(client, "edit_shipping", [fits], warehouse_id=shop.spare_warehouse_id,
                 carrier_id=shop.carrier_id).status_code == 422  # no reason: nothing starts

    batch_id = run_batch(app, start(client, "edit_shipping", [fits, too_big], warehouse_id=shop.spare_warehouse_id,
                                    carrier_id=shop.carrier_id, reason="就近发货"))

    assert order_state(app, fits).warehouse_id == shop.spare_warehouse_id
    assert order_state(app, too_big).warehouse_id == shop.warehouse_id
    batch = batch_row(app, batch_id)
    assert (batch.done, batch.refused) == (1, 1)
    assert "更换仓库或快递" in client.get(f"/staff/orders/batches/{batch_id}").text
    assert_stock_consistent(app)
