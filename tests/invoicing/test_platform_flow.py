"""Issuing against the e-invoice simulator: async issue and polling, platform refusals, timeouts and a
worker killed mid-request (never two blue invoices), reissue, and the red-letter flow after a refund."""

import json
import threading
import time

import requests
from werkzeug.serving import make_server

from app.domain.invoicing import issuing, platforms, reversal, services, sweep
from app.domain.invoicing.states import InvoiceStatus
from app.domain.invoicing.titles import Title
from app.domain.orders import refunds
from app.extensions import db
from app.jobs import get_queue
from tests.invoicing.conftest import ACTOR, COMPANY, fresh
from tests.invoicing.test_special_vat import SPECIAL
from workers import einvoice as jobs

TITLE = Title(*COMPANY, email="finance@example.cn")


def requested(shop, rules, **order_options):
    order = shop.completed(**order_options)
    [invoice] = services.request_invoice([order], TITLE, ACTOR, "staff", rules)
    db.session.commit()
    return invoice.id


def platform_invoices(platform) -> list[dict]:
    return requests.get(f"{platform.url}/_simulator/invoices", timeout=5).json()["invoices"]


def fault(platform, code: str, times: int = 1) -> None:
    requests.post(f"{platform.url}/_simulator/faults", json={"code": code, "times": times}, timeout=5)


def issue_and_poll(invoice_id: int) -> str:
    jobs.issue_invoice(invoice_id)
    return jobs.poll_invoice(invoice_id)


def test_a_requested_invoice_is_issued_with_a_20_digit_number(shop, rules, platform, monkeypatch):
    rendered = []
    monkeypatch.setattr(jobs, "render_pdf", lambda invoice_id: rendered.append(invoice_id))
    invoice_id = requested(shop, rules)

    assert jobs.issue_invoice(invoice_id) == "accepted"
    invoice = fresh(invoice_id)
    assert invoice.status == InvoiceStatus.REQUESTED and invoice.serial_no
    assert jobs.poll_invoice(invoice_id) == "issued"

    invoice = fresh(invoice_id)
    assert invoice.status == InvoiceStatus.ISSUED
    assert len(invoice.number) == 20 and invoice.number.isdigit() and invoice.issued_at is not None
    assert [event.action for event in invoice.events] == ["request", "release", "submit", "accepted", "issued"]
    [sent] = platform_invoices(platform)
    assert sent["order_no"] == invoice.request_no and sent["total_fen"] == 5900


def test_a_platform_refusal_fails_the_invoice_with_its_code_and_finance_can_reissue(shop, rules, platform):
    requests.put(f"{platform.url}/_simulator/quota", json={"fen": 100}, timeout=5)
    invoice_id = requested(shop, rules)

    assert jobs.issue_invoice(invoice_id) == "failed"
    invoice = fresh(invoice_id)
    assert invoice.status == InvoiceStatus.FAILED
    assert (invoice.failure_code, invoice.failure_message) == ("E2002", "开具金额总额度不足")

    requests.put(f"{platform.url}/_simulator/quota", json={"fen": 10**8}, timeout=5)
    services.reissue(invoice, "user:caiwu")
    db.session.commit()
    assert issue_and_poll(invoice_id) == "issued"


def test_a_bad_buyer_tax_id_fails_asynchronously(shop, rules, platform):
    invoice_id = requested(shop, rules)
    invoice = fresh(invoice_id)
    invoice.tax_id = "91310115MA1K4Q6N6X"  # as a platform order might carry it: the check character is wrong
    db.session.commit()

    assert issue_and_poll(invoice_id) == "failed"
    invoice = fresh(invoice_id)
    assert invoice.status == InvoiceStatus.FAILED and "税号" in invoice.failure_message
    assert invoice.number is None


def test_a_timeout_after_the_platform_took_the_request_does_not_issue_twice(shop, rules, platform):
    invoice_id = requested(shop, rules)
    fault(platform, "timeout")

    assert jobs.issue_invoice(invoice_id) == "no answer"
    invoice = fresh(invoice_id)
    assert invoice.status == InvoiceStatus.REQUESTED and invoice.serial_no is None
    assert invoice.next_check_at is not None

    assert jobs.issue_invoice(invoice_id) == "issued"  # looks the request number up first
    assert len(platform_invoices(platform)) == 1


def test_a_worker_killed_during_the_call_never_yields_a_second_blue_invoice(shop, rules, platform, app):
    invoice_id = requested(shop, rules)
    invoice = fresh(invoice_id)
    # The killed worker: it claimed the invoice, committed, and its call reached the platform; then it died.
    issuing.claim(invoice, invoice.created_at)
    request = issuing.issue_request(invoice, issuing.Seller.from_config(app.config))
    db.session.commit()
    platforms.build(app.config).issue(request)

    assert jobs.issue_invoice(invoice_id) == "issued"
    assert len(platform_invoices(platform)) == 1
    assert fresh(invoice_id).number == platform_invoices(platform)[0]["number"]


def test_the_same_request_sent_twice_is_refused_by_the_platform_and_found(shop, rules, platform, app):
    invoice_id = requested(shop, rules)
    request = issuing.issue_request(fresh(invoice_id), issuing.Seller.from_config(app.config))
    platforms.build(app.config).issue(request)  # a first attempt nobody recorded (not even its claim)

    assert jobs.issue_invoice(invoice_id) == "issued"
    assert len(platform_invoices(platform)) == 1


def test_a_refund_naming_lines_after_issue_reverses_just_those_lines(shop, rules, platform, monkeypatch):
    monkeypatch.setattr(jobs, "render_pdf", lambda invoice_id: None)
    cup = shop.cup.code  # (the jobs end their sessions: rows loaded before are detached)
    invoice_id = requested(shop, rules, lines=[(cup, 2)])
    issue_and_poll(invoice_id)
    refunds.refund(fresh(invoice_id).orders[0], 5900, [refunds.RefundLine(cup, 1)], restock=True, reason="退货",
                   actor=ACTOR)
    db.session.commit()

    [red_id] = sweep.reverse_refunded(rules)
    db.session.commit()
    assert fresh(invoice_id).status == InvoiceStatus.RED_PENDING
    assert jobs.issue_invoice(red_id) == "red form confirmed"
    assert issue_and_poll(red_id) == "issued"
    red = fresh(red_id)
    assert red.total_fen == -5900 and red.number and red.reverses_id == invoice_id and red.red_reason == "1"
    assert [(line.position, line.quantity, line.amount_fen) for line in red.lines] == [(1, -1, -5900)]

    assert jobs.finish_reversal(red_id) == "reversed"  # the blue invoice stays valid for the other cup
    blue = fresh(invoice_id)
    assert blue.status == InvoiceStatus.REVERSED
    assert [invoice["red_of"] for invoice in platform_invoices(platform)] == ["", blue.number]
    assert sweep.reverse_refunded(rules) == []  # settled: 118.00 − 59.00 = what was paid net

    refunds.refund(blue.orders[0], 5900, None, restock=True, reason="再退一件", actor=ACTOR)
    db.session.commit()
    [second_id] = sweep.reverse_refunded(rules)
    assert [(line.quantity, line.amount_fen) for line in fresh(second_id).lines] == [(-1, -5900)]


def test_a_refund_that_a_partial_red_cannot_express_reverses_all_and_invoices_the_rest(shop, rules, platform,
                                                                                      monkeypatch):
    monkeypatch.setattr(jobs, "render_pdf", lambda invoice_id: None)
    cup, book = shop.cup.code, shop.book.code
    # 2 × 59.00 + 45.00 − 10.00 = 153.00: cup 110.76, book 42.24 on the blue invoice.
    invoice_id = requested(shop, rules, lines=[(cup, 2), (book, 1)], discount_fen=1000)
    issue_and_poll(invoice_id)
    # 10.00 back for one cup: the cup line goes down but the book's discount share would go, its line up.
    refunds.refund(fresh(invoice_id).orders[0], 1000, [refunds.RefundLine(cup, 1)], restock=True, reason="补偿",
                   actor=ACTOR)
    db.session.commit()

    [red_id] = sweep.reverse_refunded(rules)
    db.session.commit()
    jobs.issue_invoice(red_id)
    issue_and_poll(red_id)
    assert fresh(red_id).total_fen == -15300
    assert jobs.finish_reversal(red_id).startswith("reversed; new invoice")
    [_, _, replacement] = services.invoices_of(fresh(invoice_id).orders[0])
    assert replacement.total_fen == 5900 + 4500 and replacement.status == InvoiceStatus.REQUESTED


def test_finance_reverses_by_hand_with_a_reason(shop, rules, platform, monkeypatch):
    monkeypatch.setattr(jobs, "render_pdf", lambda invoice_id: None)
    invoice_id = requested(shop, rules)
    issue_and_poll(invoice_id)
    red_id = reversal.reverse(fresh(invoice_id), "2", "user:caiwu", "抬头写错").id
    db.session.commit()
    jobs.issue_invoice(red_id)
    issue_and_poll(red_id)
    assert jobs.finish_reversal(red_id) == "reversed"  # 开票有误: nothing is reissued by itself
    assert fresh(invoice_id).status == InvoiceStatus.REVERSED


def test_the_platforms_callback_only_makes_us_look(shop, rules, client, app):
    invoice_id = requested(shop, rules)
    invoice = fresh(invoice_id)
    invoice.serial_no = "26120400000000000001"
    db.session.commit()
    get_queue("einvoice").empty()

    response = client.post("/hooks/einvoice/nuonuo", json={"orderNo": invoice.request_no, "status": "2",
                                                          "allElectronicInvoiceNumbe": "forged"})
    assert response.status_code == 200 and response.json["code"] == "E0000"
    [job] = get_queue("einvoice").get_jobs()
    assert (job.func_name, list(job.args)) == ("workers.einvoice.poll_invoice", [invoice_id])
    assert fresh(invoice_id).number is None  # the callback's word is not taken
    assert client.post("/hooks/einvoice/nuonuo", json={"orderNo": "INV-unknown"}).status_code == 404
    assert client.post("/hooks/einvoice/nuonuo", json={}).status_code == 400


def test_the_simulator_calls_back_once_the_invoice_has_its_answer(shop, rules, platform, app, monkeypatch):
    received = []
    server = make_server("127.0.0.1", 0, lambda environ, start: _record_call(environ, start, received))
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    monkeypatch.setitem(app.config, "EINVOICE_CALLBACK_URL", f"http://127.0.0.1:{server.server_port}/cb")
    try:
        invoice_id = requested(shop, rules)
        assert jobs.issue_invoice(invoice_id) == "accepted"
        deadline = time.monotonic() + 5
        while not received and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        server.shutdown()
    invoice = fresh(invoice_id)
    assert received == [{"orderNo": invoice.request_no, "serialNo": invoice.serial_no}]


def _record_call(environ, start_response, received):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    received.append(json.loads(environ["wsgi.input"].read(length)))
    start_response("200 OK", [("Content-Type", "application/json")])
    return [b'{"code": "E0000"}']


def test_a_special_invoices_red_form_waits_for_the_buyer_on_nuonuo_too(shop, rules, platform, monkeypatch):
    monkeypatch.setattr(jobs, "render_pdf", lambda invoice_id: None)
    order = shop.completed()
    [invoice] = services.request_invoice([order], SPECIAL, ACTOR, "staff", rules)
    db.session.commit()
    blue_id = invoice.id
    assert issue_and_poll(blue_id) == "issued"
    red_id = reversal.reverse(fresh(blue_id), "2", "user:caiwu", "税号写错").id
    db.session.commit()

    assert jobs.issue_invoice(red_id) == "red form waiting"
    bill_no = fresh(red_id).request_no
    assert requests.post(f"{platform.url}/_simulator/red-forms/{bill_no}", json={"answer": "confirm"},
                         timeout=5).status_code == 204
    assert jobs.issue_invoice(red_id) == "red form confirmed"
    assert issue_and_poll(red_id) == "issued"
    assert [event.details["platform_state"] for event in fresh(red_id).events if event.action == "red_form"] == [
        "02", "04"]
