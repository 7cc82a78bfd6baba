"""GET /orders with ``cursor``: keyset pages that new orders do not disturb, and bad cursors refused."""

import base64
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from app.domain.orders.models import Order
from app.extensions import db
from app.web.api.cursors import after, read_cursor
from tests.api.conftest import Api, order_body


def _create(api: Api, n: int) -> str:
    body = order_body(external_id=f"MP-{n}", lines=[{"sku": "SKU-001", "qty": 1}], discount="0.00")
    response = api.post("/orders", json=body)
    assert response.status_code == 201, response.json
    return response.json["order_no"]


def _walk(api: Api, first: str) -> tuple[list[list[str]], list]:
    """Every page from ``first`` on, following next_cursor: the order numbers and next_page of each."""
    pages, next_pages, response = [], [], api.get(first)
    while True:
        assert response.status_code == 200, response.json
        pages.append([order["order_no"] for order in response.json["orders"]])
        next_pages.append(response.json["next_page"])
        if response.json["next_cursor"] is None:
            return pages, next_pages
        response = api.get("/orders", query_string={"per_page": 2, "cursor": response.json["next_cursor"]})


def test_following_next_cursor_lists_every_order_once_newest_first(api, sku):
    numbers = [_create(api, n) for n in range(5)]

    pages, next_pages = _walk(api, "/orders?per_page=2")

    assert pages == [numbers[::-1][:2], numbers[::-1][2:4], numbers[:1]]
    assert next_pages == [2, 3, None]  # the cursor knows which page it leads to


def test_orders_created_while_paging_neither_repeat_nor_push_orders_past_the_cursor(api, sku):
    numbers = [_create(api, n) for n in range(4)]
    first = api.get("/orders?per_page=2").json

    newer = [_create(api, n) for n in range(4, 6)]
    by_cursor = api.get("/orders", query_string={"per_page": 2, "cursor": first["next_cursor"]}).json
    by_page = api.get("/orders?per_page=2&page=2").json

    assert [o["order_no"] for o in first["orders"]] == numbers[::-1][:2]
    assert [o["order_no"] for o in by_cursor["orders"]] == numbers[::-1][2:]  # exactly where page 1 ended
    assert by_cursor["next_cursor"] is None
    # The offset page shifted by the two new orders and shows page 1's orders again; the new ones are
    # the next walk's first page.
    assert [o["order_no"] for o in by_page["orders"]] == numbers[::-1][:2]
    assert [o["order_no"] for o in api.get("/orders?per_page=2").json["orders"]] == newer[::-1]


def test_orders_with_the_same_creation_time_are_split_by_id_without_a_miss(api, sku, app):
    numbers = [_create(api, n) for n in range(5)]
    with app.app_context():  # a platform's batch: one creation time for all
        db.session.execute(update(Order).values(created_at=datetime(2026, 11, 11, 0, 0, tzinfo=UTC)))
        db.session.commit()

    pages, _next_pages = _walk(api, "/orders?per_page=2")

    assert [number for page in pages for number in page] == numbers[::-1]


def test_the_cursor_keeps_the_filters_and_the_channel(api, sku, make_token, other_channel):
    numbers = [_create(api, n) for n in range(3)]
    other = Api(api.client, make_token(["orders"], other_channel))
    first = api.get("/orders?per_page=1&status=01").json

    rest = api.get("/orders", query_string={"per_page": 5, "status": "01", "cursor": first["next_cursor"]}).json
    elsewhere = other.get("/orders", query_string={"cursor": first["next_cursor"]}).json

    assert [o["order_no"] for o in rest["orders"]] == numbers[::-1][1:]
    assert elsewhere["orders"] == []  # another channel's token lists only its own orders
    assert api.get("/orders", query_string={"status": "02", "cursor": first["next_cursor"]}).json["orders"] == []


def test_the_cursor_wins_over_page(api, sku):
    numbers = [_create(api, n) for n in range(3)]
    first = api.get("/orders?per_page=2").json

    response = api.get("/orders", query_string={"per_page": 2, "page": 7, "cursor": first["next_cursor"]})

    assert [o["order_no"] for o in response.json["orders"]] == numbers[:1]


def _encoded(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(("cursor", "reason"), [
    ("not a cursor!", "无法解码"),
    ("%%%", "无法解码"),
    (_encoded({"id": 3}), "内容不完整"),
    (_encoded(["2026-11-11T00:00:00+00:00", "3", 2]), "内容不完整"),
    (_encoded(["yesterday", 3, 2]), "时间无效"),
    (_encoded(["2026-11-11T00:00:00", 3, 2]), "时间缺少时区"),
    (_encoded(["2026-11-11T00:00:00+00:00", 0, 2]), "位置无效"),
    (_encoded(["2026-11-11T00:00:00+00:00", 3, 1]), "位置无效"),
    (_encoded(["2026-11-11T00:00:00+00:00", 2**40, 2]), "位置无效"),
    ("A" * 201, "过长"),
])
def test_a_bad_cursor_is_422_with_the_reason(api, cursor, reason):
    response = api.get("/orders", query_string={"cursor": cursor})

    assert response.status_code == 422
    error = response.json["error"]
    assert set(error["details"]["fields"]) == {"cursor"}
    assert reason in error["details"]["fields"]["cursor"]
    assert "next_cursor" in error["details"]["fields"]["cursor"]


def test_a_cursor_reads_back_what_it_was_written_with():
    created = datetime(2026, 11, 11, 8, 30, 15, 123456, tzinfo=UTC)

    cursor = read_cursor(after(created, 42, 3))

    assert (cursor.created_at, cursor.order_id, cursor.page) == (created, 42, 3)
    assert "=" not in after(created, 42, 3)  # safe in a query string as it is
