"""The Baiwang-style adapter against the simulator's Baiwang dialect, chosen by EINVOICE_PROVIDER=baiwang:
the signature and token, issuing and polling, refusals with Baiwang's own codes, a timeout and a repeat
that never yield a second blue invoice, an expired token, and the red-letter flow after a refund, with the
red confirmation form a 专票's buyer must confirm (or deny)."""

import hashlib

import pytest
import requests

from app.domain.invoicing import issuing, platforms, reversal, services, sweep
from app.domain.invoicing.platforms.baiwang import Baiwang, sign
from app.domain.invoicing.platforms.base import Rejected
from app.domain.invoicing.states import InvoiceStatus
from app.domain.orders import refunds
from app.extensions import db
from tests.invoicing.conftest import ACTOR, fresh
from tests.invoicing.test_platform_flow import fault, issue_and_poll, platform_invoices, requested
from tests.invoicing.test_special_vat import SPECIAL
from workers import einvoice as jobs


@pytest.fixture
def baiwang(app, platform, monkeypatch):
    """The same simulator, OrderHub configured for Baiwang and pointed at its dialect."""
    monkeypatch.setitem(app.config, "EINVOICE_PROVIDER", "baiwang")
    monkeypatch.setitem(app.config, "BAIWANG_ENDPOINT", f"{platform.url}/router/rest")
    monkeypatch.setattr(jobs, "render_pdf", lambda invoice_id: None)
    return platform


def test_the_signature_is_md5_of_secret_sorted_params_body_secret():
    params = {"method": "baiwang.output.invoice.issue", "appKey": "K", "token": "", "version": "6.0"}
    expected = hashlib.md5(b'SappKeyKmethodbaiwang.output.invoice.issueversion6.0{"a":1}S').hexdigest().upper()
    assert sign("S", params, '{"a":1}') == expected


def test_baiwang_is_chosen_by_configuration(app, baiwang):
    assert isinstance(platforms.build(app.config), Baiwang)


def test_a_requested_invoice_is_issued_with_a_20_digit_number(shop, rules, baiwang):
    invoice_id = requested(shop, rules)

    assert jobs.issue_invoice(invoice_id) == "accepted"
    invoice = fresh(invoice_id)
    assert invoice.serial_no == invoice.request_no  # Baiwang's serialNo is our request number
    assert jobs.poll_invoice(invoice_id) == "issued"
    invoice = fresh(invoice_id)
    assert invoice.status == InvoiceStatus.ISSUED and len(invoice.number) == 20 and invoice.number.isdigit()
    assert invoice.issued_at is not None and invoice.verify_content
    [sent] = platform_invoices(baiwang)
    assert (sent["order_no"], sent["total_fen"]) == (invoice.request_no, 5900)


def test_an_exhausted_quota_fails_the_invoice_with_baiwangs_code(shop, rules, baiwang):
    requests.put(f"{baiwang.url}/_simulator/quota", json={"fen": 100}, timeout=5)
    invoice_id = requested(shop, rules)

    assert jobs.issue_invoice(invoice_id) == "failed"
    invoice = fresh(invoice_id)
    assert (invoice.status, invoice.failure_code, invoice.failure_message) == (
        InvoiceStatus.FAILED, "70401", "开具金额总额度不足")


def test_a_bad_buyer_tax_id_fails_when_polled(shop, rules, baiwang):
    invoice_id = requested(shop, rules)
    fresh(invoice_id).tax_id = "91310115MA1K4Q6N6X"
    db.session.commit()

    assert issue_and_poll(invoice_id) == "failed"
    assert "税号" in fresh(invoice_id).failure_message and fresh(invoice_id).number is None


def test_a_timeout_after_the_platform_took_the_request_does_not_issue_twice(shop, rules, baiwang):
    invoice_id = requested(shop, rules)
    fault(baiwang, "timeout")

    assert jobs.issue_invoice(invoice_id) == "no answer"
    assert jobs.issue_invoice(invoice_id) == "issued"  # looks the serialNo up first
    assert len(platform_invoices(baiwang)) == 1


def test_the_same_request_sent_twice_is_refused_and_found(shop, rules, baiwang, app):
    invoice_id = requested(shop, rules)
    request = issuing.issue_request(fresh(invoice_id), issuing.Seller.from_config(app.config))
    platforms.build(app.config).issue(request)  # a first attempt nobody recorded

    assert jobs.issue_invoice(invoice_id) == "issued"
    assert len(platform_invoices(baiwang)) == 1


def test_an_expired_token_is_renewed_and_the_call_repeated(app, shop, rules, baiwang):
    adapter = platforms.build(app.config)
    assert adapter.find("INV-NONE") is None
    fault(baiwang, "token_expired")

    assert adapter.find("INV-NONE") is None  # 100002, a new token, the same call again


def test_a_wrong_secret_is_refused_as_a_bad_signature(app, baiwang):
    adapter = platforms.build(app.config)
    adapter.app_secret = "wrong"

    with pytest.raises(Rejected) as refused:
        adapter.find("INV-NONE")
    assert refused.value.code == "100007"


def test_a_refund_after_issue_reverses_the_refunded_line_through_the_red_form(shop, rules, baiwang):
    cup = shop.cup.code
    invoice_id = requested(shop, rules, lines=[(cup, 2)])
    issue_and_poll(invoice_id)
    refunds.refund(fresh(invoice_id).orders[0], 5900, [refunds.RefundLine(cup, 1)], restock=True, reason="退货",
                   actor=ACTOR)
    db.session.commit()

    [red_id] = sweep.reverse_refunded(rules)
    db.session.commit()
    assert jobs.issue_invoice(red_id) == "red form confirmed"
    assert issue_and_poll(red_id) == "issued"
    red = fresh(red_id)
    assert red.total_fen == -5900 and red.number and red.red_form_no == red.request_no
    assert jobs.finish_reversal(red_id) == "reversed"
    blue = fresh(invoice_id)
    assert [(each["red_of"], each["total_fen"]) for each in platform_invoices(baiwang)] == [
        ("", 11800), (blue.number, -5900)]


def special_issued(shop, rules) -> int:
    """A 专票 issued through Baiwang (its buyer, a VAT payer, may have deducted it)."""
    order = shop.completed([(shop.cup.code, 2)])
    [invoice] = services.request_invoice([order], SPECIAL, ACTOR, "staff", rules)
    db.session.commit()
    invoice_id = invoice.id
    assert issue_and_poll(invoice_id) == "issued"
    return invoice_id


def answer_red_form(platform, bill_no: str, answer: str) -> int:
    return requests.post(f"{platform.url}/_simulator/red-forms/{bill_no}", json={"answer": answer},
                         timeout=5).status_code


def test_reversing_a_special_invoice_waits_for_the_buyer_to_confirm_the_red_form(app, shop, rules, baiwang):
    blue_id = special_issued(shop, rules)
    red_id = reversal.reverse(fresh(blue_id), "2", "user:caiwu", "税号写错").id
    db.session.commit()

    assert jobs.issue_invoice(red_id) == "red form waiting"
    assert jobs.issue_invoice(red_id) == "red form waiting"  # asked again, not filed again
    waiting = fresh(red_id)
    assert (waiting.status, waiting.red_form_no, waiting.serial_no) == (InvoiceStatus.REQUESTED, "", None)
    assert waiting.next_check_at is not None
    [form_event] = [event for event in waiting.events if event.action == "red_form"]
    assert (form_event.details["state"], form_event.details["platform_state"]) == ("waiting", "02")
    refused = platforms.build(app.config)
    with pytest.raises(Rejected) as early:  # the platform will not issue on an unconfirmed form
        refused.issue(issuing.issue_request(waiting, issuing.Seller.from_config(app.config), waiting.request_no))
    assert early.value.code == "70035"

    assert answer_red_form(baiwang, fresh(red_id).request_no, "confirm") == 204
    assert jobs.issue_invoice(red_id) == "red form confirmed"
    assert issue_and_poll(red_id) == "issued"
    assert jobs.finish_reversal(red_id) == "reversed"
    assert fresh(blue_id).status == InvoiceStatus.REVERSED
    assert [(event.details["state"], event.details["platform_state"]) for event in fresh(red_id).events
            if event.action == "red_form"] == [("waiting", "02"), ("confirmed", "04")]


def test_a_red_form_the_buyer_denies_fails_the_red_invoice_for_finance(shop, rules, baiwang):
    blue_id = special_issued(shop, rules)
    red_id = reversal.reverse(fresh(blue_id), "2", "user:caiwu", "税号写错").id
    db.session.commit()
    assert jobs.issue_invoice(red_id) == "red form waiting"

    assert answer_red_form(baiwang, fresh(red_id).request_no, "deny") == 204
    assert answer_red_form(baiwang, fresh(red_id).request_no, "confirm") == 409  # denied is final
    assert jobs.issue_invoice(red_id) == "red form void"
    failed = fresh(red_id)
    assert (failed.status, failed.failure_code) == (InvoiceStatus.FAILED, "red_form_void")
    assert fresh(blue_id).status == InvoiceStatus.RED_PENDING
    assert [each["red_of"] for each in platform_invoices(baiwang)] == [""]  # no red invoice was issued


def test_a_red_form_against_a_normal_invoice_needs_no_confirmation(shop, rules, baiwang):
    blue_id = requested(shop, rules)
    issue_and_poll(blue_id)
    red_id = reversal.reverse(fresh(blue_id), "2", "user:caiwu", "抬头写错").id
    db.session.commit()

    assert jobs.issue_invoice(red_id) == "red form confirmed"
    [form_event] = [event for event in fresh(red_id).events if event.action == "red_form"]
    assert form_event.details["platform_state"] == "01"
