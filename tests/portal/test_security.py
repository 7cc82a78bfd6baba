"""Security of the public portal: enumeration, IDOR, expiring links, rate limits, CSRF, masking."""

import re
import time
from types import SimpleNamespace

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import event

from app.domain.orders import portal_queries
from app.extensions import db
from app.web.customer import links
from tests.conftest import csrf_token_from, htmx_headers
from tests.portal import orders
from tests.portal.conftest import look_up, order_link, without_csrf
from tests.portal.test_code_login import challenge_in, request_code, sent_code, verify

FULL_MOBILE = re.compile(r"(?<![\dA-Za-z])1[3-9]\d{9}(?![\dA-Za-z])")
UNKNOWN_ORDER_NO = "OH26010100000000"


# ---- enumeration ---------------------------------------------------------------------------------

@pytest.mark.parametrize("htmx", [False, True])
def test_unknown_order_and_wrong_phone_get_identical_answers(client, order, htmx):
    headers = htmx_headers() if htmx else {}
    wrong_phone = look_up(client, order.order_no, "13700001111", headers=headers)
    unknown_order = look_up(client, UNKNOWN_ORDER_NO, "13700001111", headers=headers)

    assert wrong_phone.status_code == unknown_order.status_code == 422
    # The typed order number is echoed in both; put the same one in so only the verdict is compared.
    assert without_csrf(wrong_phone.text).replace(order.order_no, "N") == \
        without_csrf(unknown_order.text).replace(UNKNOWN_ORDER_NO, "N")
    assert comparable_headers(wrong_phone) == comparable_headers(unknown_order)


def comparable_headers(response) -> dict:
    """Headers minus those that differ between any two requests (the session cookie on the first one,
    the limiter's running count, the request's own id)."""
    return {name: value for name, value in response.headers.items()
            if name not in ("Set-Cookie", "X-Request-ID") and not name.startswith("X-RateLimit")}


def test_the_right_phone_of_another_order_gets_the_same_answer_too(client, make_order):
    mine, other = make_order("paid"), make_order("paid", receiver_phone="13622223333", buyer_phone="13622223333")

    crossed = look_up(client, mine.order_no, "13622223333")
    unknown = look_up(client, UNKNOWN_ORDER_NO, "13622223333")

    assert crossed.status_code == unknown.status_code == 422
    assert without_csrf(crossed.text).replace(mine.order_no, "N") == without_csrf(unknown.text).replace(
        UNKNOWN_ORDER_NO, "N")
    assert other.order_no not in crossed.text


def record_work(monkeypatch):
    """Capture the SQL statements and constant-time comparisons a lookup makes."""
    statements, comparisons = [], []
    real_compare = portal_queries.hmac.compare_digest

    def counting_compare(a, b):
        comparisons.append((len(a), len(b)))
        return real_compare(a, b)

    def on_execute(conn, cursor, statement, parameters, context, executemany):
        if not statement.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):  # the test's transaction plumbing
            statements.append(statement)

    # Only the lookup's own comparisons (the session cookie check uses hmac too).
    monkeypatch.setattr(portal_queries, "hmac", SimpleNamespace(compare_digest=counting_compare))
    event.listen(db.engine, "before_cursor_execute", on_execute)
    return statements, comparisons, lambda: event.remove(db.engine, "before_cursor_execute", on_execute)


def test_both_failure_paths_do_the_same_database_and_comparison_work(app, client, order, monkeypatch):
    with app.app_context():
        statements, comparisons, stop = record_work(monkeypatch)
        try:
            look_up(client, order.order_no, "13700001111")
            wrong_phone = (list(statements), list(comparisons))
            statements.clear(), comparisons.clear()
            look_up(client, UNKNOWN_ORDER_NO, "13700001111")
            unknown_order = (list(statements), list(comparisons))
        finally:
            stop()

    assert wrong_phone == unknown_order
    assert any("FROM orders" in statement for statement in wrong_phone[0])
    assert len(wrong_phone[1]) == 2  # the receiver's and the buyer's phone, always both
    assert all(a == b == 32 for a, b in wrong_phone[1])  # digests: equal lengths, nothing to time


# ---- IDOR and links ------------------------------------------------------------------------------

def test_an_order_number_alone_shows_nothing(client, order):
    nonsense = client.get("/portal/o/nonsense").text.replace("/portal/o/nonsense", "PATH")
    for path in (f"/portal/o/{order.order_no}", f"/portal/o/{order.id}"):
        response = client.get(path)
        assert response.status_code == 404
        # The page is the one any nonsense link gets (the language switch echoes the path itself).
        assert response.text.replace(path, "PATH") == nonsense
    response = client.get(f"/portal/{order.order_no}")
    assert response.status_code == 404
    assert "收货信息" not in response.text and "138****8000" not in response.text


def test_the_link_for_order_a_never_opens_order_b(app, client, make_order):
    order_a, order_b = make_order("paid"), make_order("shipped_out")
    link_a = order_link(client, order_a.order_no)

    page = client.get(link_a).text
    assert order_a.order_no in page and order_b.order_no not in page

    token_a = link_a.rsplit("/", 1)[1]
    payload_a, _, signature_a = token_a.partition(".")
    with app.test_request_context():
        token_b = links.issue(order_b.id, portal_queries.RECEIVER)
    payload_b = token_b.partition(".")[0]
    spliced = f"{payload_b}.{signature_a}"  # B's id under A's signature
    assert client.get(f"/portal/o/{spliced}").status_code == 404


@pytest.mark.parametrize("forge", ["wrong_key", "wrong_salt", "unsigned", "truncated", "garbage"])
def test_forged_or_tampered_links_are_refused_and_reveal_nothing(app, client, order, forge):
    genuine = order_link(client, order.order_no).rsplit("/", 1)[1]
    payload = {"o": order.id, "v": "r"}
    token = {
        "wrong_key": lambda: URLSafeTimedSerializer("not-our-secret", salt=links.SALT).dumps(payload),
        "wrong_salt": lambda: URLSafeTimedSerializer(app.secret_key, salt="another-purpose").dumps(payload),
        "unsigned": lambda: genuine.split(".")[0],
        "truncated": lambda: genuine[:-3],
        "garbage": lambda: "x" * 40,
    }[forge]()

    response = client.get(f"/portal/o/{token}")

    assert response.status_code == 404
    assert "链接已失效" in response.text
    assert order.order_no not in response.text and "138****8000" not in response.text


def test_a_link_with_the_wrong_shape_is_refused(app, client, order):
    with app.test_request_context():
        serializer = URLSafeTimedSerializer(app.secret_key, salt=links.SALT)
        for payload in ({"o": str(order.id), "v": "r"}, {"o": order.id, "v": "x"}, [order.id]):
            assert client.get(f"/portal/o/{serializer.dumps(payload)}").status_code == 404


def test_a_link_to_an_order_that_is_gone_is_refused_like_any_bad_link(app, client):
    with app.test_request_context():
        token = links.issue(987654321, portal_queries.RECEIVER)
    assert client.get(f"/portal/o/{token}").status_code == 404


@pytest.mark.parametrize("htmx", [False, True])
def test_an_expired_link_is_refused_with_410_and_reveals_nothing(client, order, monkeypatch, htmx):
    link = order_link(client, order.order_no)
    two_hours_later = int(time.time()) + 2 * 3600 + 1
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: two_hours_later)

    response = client.get(link, headers=htmx_headers() if htmx else {})

    assert response.status_code == 410
    assert "链接已失效" in response.text
    assert order.order_no not in response.text and "138****8000" not in response.text
    assert ("<html" in response.text) is not htmx
    assert client.post(f"{link}/reminders/stop").status_code == 410


def test_link_lifetime_comes_from_config(app, client, order, monkeypatch):
    link = order_link(client, order.order_no)
    monkeypatch.setitem(app.config, "PORTAL_LINK_MAX_AGE", 60)
    later = int(time.time()) + 61
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later)

    assert client.get(link).status_code == 410


# ---- rate limits ---------------------------------------------------------------------------------

def test_lookups_per_phone_are_limited_with_a_friendly_429(client, order):
    for number in range(10):
        assert look_up(client, f"OH2601010000{number:04d}", "13700001111").status_code == 422

    blocked = look_up(client, order.order_no, "13700001111")
    assert blocked.status_code == 429
    assert "查询太频繁了" in blocked.text and "<html" in blocked.text
    assert blocked.headers.get("Retry-After")
    # The limit is the phone's: another phone from the same address still gets an answer.
    assert look_up(client, order.order_no, orders.RECEIVER_PHONE).status_code == 303


def test_lookups_per_ip_are_limited_across_phones(client, order):
    elsewhere = {"REMOTE_ADDR": "198.51.100.7"}
    for number in range(30):
        phone = f"137{number:08d}"
        assert look_up(client, order.order_no, phone, environ_base=elsewhere).status_code == 422

    assert look_up(client, order.order_no, "13600001111", environ_base=elsewhere).status_code == 429
    assert look_up(client, order.order_no, orders.RECEIVER_PHONE).status_code == 303  # another address


def test_a_limited_htmx_lookup_gets_the_friendly_panel(client, order):
    for _ in range(10):
        look_up(client, UNKNOWN_ORDER_NO, "13700001111")

    blocked = look_up(client, UNKNOWN_ORDER_NO, "13700001111", headers=htmx_headers())

    assert blocked.status_code == 429
    assert "<html" not in blocked.text and "查询太频繁了" in blocked.text


def test_code_requests_per_phone_are_limited(client):
    for _ in range(5):
        assert request_code(client).status_code == 200

    blocked = request_code(client)
    assert blocked.status_code == 429
    assert "查询太频繁了" in blocked.text
    assert request_code(client, "13622223333").status_code == 200


def test_code_checks_per_ip_are_limited(client):
    for _ in range(30):
        assert verify(client, "A" * 32, "123456").status_code == 422
    assert verify(client, "A" * 32, "123456").status_code == 429


def test_limits_come_from_config(app, client, order, monkeypatch):
    monkeypatch.setitem(app.config, "PORTAL_LOOKUP_LIMIT_PER_PHONE", "2 per hour")

    look_up(client, UNKNOWN_ORDER_NO, "13700001111")
    look_up(client, UNKNOWN_ORDER_NO, "13700001111")
    assert look_up(client, UNKNOWN_ORDER_NO, "13700001111").status_code == 429


def test_limiter_keys_hold_no_phone_numbers(app, client, order):
    # A failed lookup: only failures are counted per phone (a right answer writes no per-phone key).
    look_up(client, UNKNOWN_ORDER_NO, orders.RECEIVER_PHONE)
    from app.redis_conn import get_redis

    with app.app_context():
        keys = b" ".join(get_redis().keys("*"))
    assert b"portal-phone:" in keys
    assert orders.RECEIVER_PHONE.encode() not in keys


# ---- CSRF ----------------------------------------------------------------------------------------

@pytest.fixture
def csrf_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


@pytest.mark.parametrize("htmx", [False, True])
def test_lookup_without_csrf_token_is_refused_with_a_portal_page(client, order, csrf_on, htmx):
    response = look_up(client, order.order_no, orders.RECEIVER_PHONE, headers=htmx_headers() if htmx else {})

    assert response.status_code == 400
    assert "页面已过期" in response.text
    assert ("<html" in response.text) is not htmx


def test_lookup_with_the_pages_csrf_token_works(client, order, csrf_on):
    token = csrf_token_from(client.get("/portal/").text)

    response = client.post("/portal/lookup", data={
        "order_no": order.order_no, "phone": orders.RECEIVER_PHONE, "csrf_token": token})

    assert response.status_code == 303


def test_htmx_posts_carry_csrf_in_the_header(client, order, csrf_on):
    token = csrf_token_from(client.get("/portal/").text)

    response = look_up(client, order.order_no, orders.RECEIVER_PHONE, headers=htmx_headers(**{"X-CSRFToken": token}))

    assert response.status_code == 200 and response.headers["HX-Redirect"]


def test_code_forms_and_opt_out_need_csrf(app, client, order, csrf_on):
    assert request_code(client).status_code == 400
    assert verify(client, "A" * 32, "123456").status_code == 400
    token = csrf_token_from(client.get("/portal/").text)
    link = client.post("/portal/lookup", data={
        "order_no": order.order_no, "phone": orders.RECEIVER_PHONE, "csrf_token": token}).location
    assert client.post(f"{link}/reminders/stop").status_code == 400


# ---- no full phone number on any portal page ------------------------------------------------------

def portal_pages(app, client, make_order):
    """Every kind of portal page, in both languages, as a customer (or a prober) can reach it."""
    from app.domain.orders.inputs import InvoiceRequest

    pages = [client.get("/portal/"), client.get("/portal/code"), client.get("/portal/o/nonsense")]
    for state in ("pending", "in_transit", "completed", "cancelled", "refunded", "exception"):
        placed = make_order(state, invoice=InvoiceRequest("personal", "王小明", email="wang@example.cn"))
        for phone in (orders.RECEIVER_PHONE, orders.BUYER_PHONE):
            link = order_link(client, placed.order_no, phone)
            pages += [client.get(link), client.get(link, headers=htmx_headers())]
    pages.append(look_up(client, placed.order_no, "13700001111"))
    pages.append(look_up(client, placed.order_no, "1370000111"))
    sent = request_code(client)
    pages += [sent, verify(client, challenge_in(sent.text), sent_code(app))]
    pages.append(client.post(f"{link}/reminders/stop", follow_redirects=True))
    for _ in range(10):
        pages.append(look_up(client, UNKNOWN_ORDER_NO, "13700001111"))
    assert pages[-1].status_code == 429
    return pages


def test_no_full_phone_number_appears_on_any_portal_page(app, client, make_order):
    pages = portal_pages(app, client, make_order)
    client.post("/language/en", data={"next": "/portal/"})
    pages += [client.get("/portal/"), client.get(order_link(client, make_order("signed").order_no))]

    for response in pages:
        assert not FULL_MOBILE.findall(response.text), (response.request.path, FULL_MOBILE.findall(response.text))
        assert orders.RECEIVER_PHONE not in response.text and orders.BUYER_PHONE not in response.text


def test_the_limited_page_says_when_to_try_again(client, order):
    for number in range(10):
        look_up(client, f"OH2601010000{number:04d}", "13700001111")

    blocked = look_up(client, order.order_no, "13700001111")

    wait = int(blocked.headers["Retry-After"])
    assert blocked.status_code == 429 and 0 < wait <= 3600
    minutes = -(-wait // 60)
    assert f"请在 {minutes} 分钟后再试。" in blocked.text
    client.post("/language/en", data={"next": "/portal"})
    english = look_up(client, order.order_no, "13700001111")
    assert english.status_code == 429 and "Please try again in" in english.text
    assert "each phone number and network may look orders up" in english.text


def test_another_networks_failures_for_the_same_phone_do_not_block_its_owner(client, order):
    elsewhere = {"REMOTE_ADDR": "198.51.100.7"}
    for number in range(12):
        look_up(client, f"OH2601010000{number:04d}", orders.RECEIVER_PHONE, environ_base=elsewhere)
    assert look_up(client, order.order_no, orders.RECEIVER_PHONE, environ_base=elsewhere).status_code == 429

    at_home = look_up(client, order.order_no, orders.RECEIVER_PHONE, environ_base={"REMOTE_ADDR": "203.0.113.9"})

    assert at_home.status_code == 303
