"""POST/GET /orders/{no}/invoices and GET /invoices/{id}/pdf: requests through the same service as the
portal's, refusals naming the field (or the amount still invoiceable), another channel's order hidden, and
a partial refund by ``line_id`` after issue reversing exactly that line (红冲)."""

from datetime import UTC, datetime

import pytest

from app.domain.invoicing import issuing, pdf, sweep
from app.domain.invoicing.models import Invoice
from app.domain.invoicing.platforms.base import IssueResult
from app.domain.invoicing.rules import InvoicingRules
from app.domain.orders import services
from app.extensions import db
from tests import factories
from tests.api.conftest import VALID_TAX_ID, count, receive
from tests.api.test_order_actions import create, pay, ship_and_sign

COMPANY = {"title_type": "company", "title": "某某科技有限公司", "tax_id": VALID_TAX_ID, "email": "a@b.cn"}
SPECIAL = COMPANY | {"kind": "special", "address": "上海市浦东新区世纪大道 100 号", "phone": "021-58881234",
                     "bank": "中国工商银行上海浦东支行", "account": "1001234567890123456"}


def paid_order(api, **overrides) -> str:
    order = create(api, **overrides)
    assert pay(api, order).status_code == 200
    return order["order_no"]


def completed(order_no: str) -> None:
    ship_and_sign(order_no)
    services.complete(services.get_order(order_no, for_update=True), "user:kefu")
    db.session.commit()


def test_an_invoice_is_requested_for_what_was_paid_and_waits_for_completion(api, sku):
    order_no = paid_order(api)

    response = api.post(f"/orders/{order_no}/invoices", json=COMPANY, key="inv-1")
    replay = api.post(f"/orders/{order_no}/invoices", json=COMPANY, key="inv-1")

    assert response.status_code == 201, response.json
    body = response.json
    assert (body["status"], body["kind"], body["title"], body["tax_id"]) == ("waiting", "normal", COMPANY["title"],
                                                                             VALID_TAX_ID)
    assert body["amounts"] == {"excluding_tax": "95.58", "tax": "12.42", "total": "108.00"}
    assert body["lines"] == [{"name": "*日用杂品*保温杯", "tax_code": "1060512990000000000", "rate": "0.13", "qty": 2,
                              "amount_incl": "108.00", "amount_excl": "95.58", "tax": "12.42"}]
    assert (body["number"], body["pdf_url"], body["reverses"], body["reversed_by"]) == (None, None, None, None)
    assert replay.json == body
    assert api.get(f"/orders/{order_no}/invoices").json == {"invoices": [body]}
    assert db.session.get(Invoice, body["id"]).source == "api"


def test_completing_the_order_through_the_api_sends_its_waiting_invoice_to_the_platform(api, sku):
    order_no = paid_order(api)
    invoice_id = api.post(f"/orders/{order_no}/invoices", json=COMPANY).json["id"]
    ship_and_sign(order_no)

    response = api.post(f"/orders/{order_no}/complete")

    assert response.status_code == 200, response.json
    [invoice] = api.get(f"/orders/{order_no}/invoices").json["invoices"]
    assert (invoice["id"], invoice["status"]) == (invoice_id, "requested")
    assert [event.action for event in db.session.get(Invoice, invoice_id).events] == ["request", "release"]


def test_a_second_request_while_one_is_active_is_409_invoice_exists(api, sku):
    order_no = paid_order(api)
    api.post(f"/orders/{order_no}/invoices", json=COMPANY)

    response = api.post(f"/orders/{order_no}/invoices", json={"title_type": "personal", "title": "张三"})

    assert response.status_code == 409
    assert response.json["error"]["code"] == "invoice_exists"
    assert count(Invoice) == 1


@pytest.mark.parametrize(("body", "field"), [
    (COMPANY | {"tax_id": "91350100M000100Y44"}, "tax_id"),  # the check character is wrong
    (COMPANY | {"title": ""}, "title"),
    (COMPANY | {"title_type": "someone"}, "title_type"),
    (SPECIAL | {"bank": ""}, "bank"),
    (SPECIAL | {"account": "account"}, "account"),
    ({"title_type": "personal", "title": "张三", "kind": "special"}, "kind"),
])
def test_a_bad_title_is_422_naming_the_field_and_nothing_is_saved(api, sku, body, field):
    order_no = paid_order(api)

    response = api.post(f"/orders/{order_no}/invoices", json=body)

    assert response.status_code == 422, response.json
    assert field in response.json["error"]["details"]["fields"]
    assert count(Invoice) == 0


def test_a_special_invoice_keeps_the_buyer_bank_details(api, sku):
    order_no = paid_order(api)

    response = api.post(f"/orders/{order_no}/invoices", json=SPECIAL)

    assert response.status_code == 201, response.json
    invoice = db.session.get(Invoice, response.json["id"])
    assert (invoice.kind, invoice.buyer_bank, invoice.buyer_account, invoice.buyer_tel) == (
        "special", SPECIAL["bank"], SPECIAL["account"], SPECIAL["phone"])


def test_an_order_with_nothing_left_to_invoice_is_refused_with_the_amount_that_still_can_be(api, sku):
    order_no = create(api)["order_no"]  # not paid

    response = api.post(f"/orders/{order_no}/invoices", json=COMPANY)

    assert response.status_code == 422
    assert response.json["error"]["details"]["invoiceable"] == "0.00"
    assert "amount" in response.json["error"]["details"]["fields"]


def test_another_channels_order_and_invoice_are_not_found(api, sku, client, other_channel, make_token):
    order_no = paid_order(api)
    invoice_id = api.post(f"/orders/{order_no}/invoices", json=COMPANY).json["id"]
    other = type(api)(client, make_token(["orders"], for_channel=other_channel))

    assert other.post(f"/orders/{order_no}/invoices", json=COMPANY).status_code == 404
    assert other.get(f"/orders/{order_no}/invoices").status_code == 404
    assert other.get(f"/invoices/{invoice_id}/pdf").status_code == 404
    assert api.get(f"/invoices/{invoice_id}/pdf").status_code == 404  # no PDF yet


@pytest.mark.parametrize("invoice_id", [2**31, 213505172344607630489026560])
def test_an_invoice_id_beyond_any_row_is_not_found_rather_than_a_server_error(api, invoice_id):
    response = api.get(f"/invoices/{invoice_id}/pdf")

    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


def issue(app, invoice_id: int, number: str) -> Invoice:
    """What the worker records when the platform says issued, and the PDF the next job writes."""
    invoice = db.session.get(Invoice, invoice_id)
    issuing.record_result(invoice, IssueResult("SERIAL" + number[-6:], invoice.request_no, "issued", number=number,
                                               issued_at=datetime.now(UTC)), datetime.now(UTC))
    invoice.pdf_path = pdf.write(invoice, issuing.Seller.from_config(app.config),
                                 pdf.storage_dir(app.instance_path), app.template_folder, app.static_folder)
    db.session.commit()
    return invoice


def test_a_refund_by_line_id_after_issue_reverses_that_line(app, api, sku, warehouse):
    gift = factories.SkuFactory(code="SKU-002", name="杯套", price_fen=1000)
    receive(warehouse, gift, 5)
    order_no = paid_order(api, lines=[{"sku": "SKU-001", "qty": 1, "unit_price": "59.00"},
                                      {"sku": "SKU-002", "qty": 1, "unit_price": "10.00"}], discount="0.00")
    completed(order_no)
    blue_id = api.post(f"/orders/{order_no}/invoices", json=COMPANY).json["id"]
    rules = InvoicingRules.from_config(app.config)
    sweep.advance_waiting(rules)
    db.session.commit()
    issue(app, blue_id, "26310000000000000101")

    [listed] = api.get(f"/orders/{order_no}/invoices").json["invoices"]
    assert (listed["status"], listed["number"]) == ("issued", "26310000000000000101")
    download = api.get(listed["pdf_url"].removeprefix("/api/v1"))
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert download.data.startswith(b"%PDF")

    lines = api.get(f"/orders/{order_no}").json["lines"]
    cover = next(line for line in lines if line["sku"] == "SKU-002")
    refund = api.post(f"/orders/{order_no}/refund", json={"amount": "10.00", "lines": [
        {"line_id": cover["line_id"], "qty": 1}], "restock": True, "reason": "杯套退货"})
    assert refund.status_code == 200, refund.json
    [red_id] = sweep.reverse_refunded(rules)
    db.session.commit()

    blue, red = api.get(f"/orders/{order_no}/invoices").json["invoices"]
    assert (blue["status"], blue["reversed_by"]) == ("red_pending", red_id)
    assert (red["id"], red["reverses"], red["status"]) == (red_id, blue_id, "requested")
    assert red["amounts"]["total"] == "-10.00"
    assert [(line["name"], line["qty"], line["amount_incl"]) for line in red["lines"]] == [("*日用杂品*杯套", -1, "-10.00")]


def test_a_refund_line_id_that_is_not_the_orders_is_422_naming_it(api, sku):
    order_no = paid_order(api)

    response = api.post(f"/orders/{order_no}/refund", json={"amount": "10.00", "lines": [{"line_id": 999999, "qty": 1}]})

    assert response.status_code == 422
    assert list(response.json["error"]["details"]["fields"]) == ["lines[0].line_id"]
