"""Requesting invoices: from the order's own details, merged, split, waiting for completion, capped at
what was paid, and refused with the field named for bad titles."""

import pytest

from app.domain.errors import Conflict, ValidationError
from app.domain.invoicing import services, sweep
from app.domain.invoicing.states import InvoiceStatus
from app.domain.invoicing.titles import Title
from app.domain.orders import refunds
from app.extensions import db
from app.jobs import get_queue
from tests.invoicing.conftest import ACTOR, COMPANY, complete

PERSONAL = Title("personal", "张三", email="zhang@example.cn")


def issue_jobs() -> list[int]:
    return [job.args[0] for job in get_queue("einvoice").get_jobs() if job.func_name.endswith("issue_invoice")]


def test_an_order_with_invoice_details_gets_its_invoice_waiting_until_it_completes(shop, rules):
    order = shop.paid([(shop.cup.code, 2)], shipping_fen=1000, invoice=COMPANY)

    [invoice_id] = sweep.request_from_order_details(rules)
    invoice = db.session.get(services.Invoice, invoice_id)
    assert invoice.status == InvoiceStatus.WAITING and invoice.source == "order"
    assert (invoice.title, invoice.tax_id) == (COMPANY[1], COMPANY[2])
    assert [(line.name, line.amount_fen, line.excluding_fen, line.tax_fen) for line in invoice.lines] == [
        ("*日用杂品*保温杯 500ml", 11800, 10442, 1358), ("*运输服务*运费", 1000, 917, 83)]
    assert sweep.request_from_order_details(rules) == []  # once

    assert sweep.advance_waiting(rules) == []  # not complete yet
    complete(order, shop.carrier)
    assert sweep.advance_waiting(rules) == [invoice_id]
    assert invoice.status == InvoiceStatus.REQUESTED
    db.session.commit()
    assert issue_jobs() == [invoice_id]


def test_a_channel_invoiced_on_payment_does_not_wait_for_completion(shop, rules, monkeypatch):
    rules = type(rules)(**vars(rules) | {"on_payment_channels": frozenset({shop.channel.code})})
    order = shop.paid()
    [invoice] = services.request_invoice([order], PERSONAL, "customer:13900139000", "portal", rules)
    assert invoice.status == InvoiceStatus.REQUESTED


def test_several_orders_of_one_buyer_merge_into_one_invoice(shop, rules):
    first, second = shop.completed([(shop.cup.code, 1)]), shop.completed([(shop.book.code, 2)])
    [invoice] = services.request_invoice([first, second], PERSONAL, ACTOR, "staff", rules)
    assert [order.id for order in invoice.orders] == [first.id, second.id]
    assert invoice.total_fen == 5900 + 9000
    assert [line.position for line in invoice.lines] == [1, 2]


def test_more_lines_than_the_platform_takes_are_split(shop, rules):
    orders = [shop.completed() for _ in range(3)]
    rules = type(rules)(**vars(rules) | {"max_lines": 2})
    invoices = services.request_invoice(orders, PERSONAL, ACTOR, "staff", rules)
    assert [len(invoice.lines) for invoice in invoices] == [2, 1]
    assert [[order.id for order in invoice.orders] for invoice in invoices] == [
        [orders[0].id, orders[1].id], [orders[2].id]]
    assert sum(invoice.total_fen for invoice in invoices) == 3 * 5900


def test_the_invoice_is_net_of_refunds(shop, rules):
    # 2 × 59.00 + 45.00 − 10.00 = 153.00 paid; one cup refunded (59.00): 94.00 left over 59.00 + 45.00,
    # so 10.00 off them: 5.67 and 4.32, the remaining 0.01 to the cup.
    order = shop.completed([(shop.cup.code, 2), (shop.book.code, 1)], discount_fen=1000)
    refunds.refund(order, 5900, [refunds.RefundLine(shop.cup.code, 1)], restock=False, reason="退一件", actor=ACTOR)
    [invoice] = services.request_invoice([order], PERSONAL, ACTOR, "staff", rules)
    assert invoice.total_fen == 15300 - 5900
    assert [(line.quantity, line.amount_fen) for line in invoice.lines] == [(1, 5332), (1, 4068)]


def test_a_second_request_for_a_covered_order_is_refused(shop, rules):
    order = shop.completed()
    services.request_invoice([order], PERSONAL, ACTOR, "staff", rules)
    with pytest.raises(Conflict) as refused:
        services.request_invoice([order], PERSONAL, ACTOR, "staff", rules)
    assert refused.value.details["reason"] == "invoice_exists"


def test_nothing_left_to_invoice_is_refused_naming_the_amount(shop, rules):
    order = shop.completed()
    refunds.refund(order, 5900, None, restock=False, reason="全额退款", actor=ACTOR)
    with pytest.raises(ValidationError) as refused:
        services.request_invoice([order], PERSONAL, ACTOR, "staff", rules)
    assert "0.00" in refused.value.fields["amount"]


@pytest.mark.parametrize(("title", "field"), [
    (Title("company", "某公司", "91310115MA1K4Q6N6X"), "tax_id"),  # wrong check character
    (Title("company", "某公司", ""), "tax_id"),
    (Title("personal", " "), "title"),
    (Title("personal", "张三", email="not-an-address"), "email"),
    (Title("personal", "张三", kind="special"), "kind"),
    (Title("nobody", "张三"), "title_type"),
])
def test_a_bad_title_names_the_field_and_saves_nothing(shop, rules, title, field):
    order = shop.completed()
    with pytest.raises(ValidationError) as refused:
        services.request_invoice([order], title, ACTOR, "staff", rules)
    assert field in refused.value.fields
    assert services.invoices_of(order) == []


def test_orders_of_different_buyers_do_not_merge(shop, rules):
    first, second = shop.completed(), shop.completed(phone="13700137000")
    with pytest.raises(ValidationError):
        services.request_invoice([first, second], PERSONAL, ACTOR, "staff", rules)


def test_an_order_closed_before_its_invoice_went_out_cancels_it(shop, rules):
    order = shop.paid()
    [invoice] = services.request_invoice([order], PERSONAL, ACTOR, "staff", rules)
    refunds.refund(order, order.paid_fen, None, restock=False, reason="不要了", actor=ACTOR)
    sweep.advance_waiting(rules)
    assert invoice.status == InvoiceStatus.CANCELLED


def test_tax_data_is_kept_when_a_sku_is_edited_without_it(shop):
    from app.domain.catalog.services import SkuData, update_sku

    update_sku(shop.cup, SkuData(shop.cup.code, "保温杯 750ml", price_fen=6900))
    assert (shop.cup.tax_code, shop.cup.tax_name) == ("1060512990000000000", "日用杂品")


@pytest.mark.parametrize(("code", "name", "field"), [("123", "日用杂品", "tax_code"), ("1060512990000000000", "", "tax_name"),
                                                     ("", "日用杂品", "tax_code"), ("1060512990000000000", "*日用*", "tax_name")])
def test_bad_tax_data_on_a_sku_is_refused(shop, code, name, field):
    from app.domain.catalog.services import SkuData, update_sku

    with pytest.raises(ValidationError) as refused:
        update_sku(shop.cup, SkuData(shop.cup.code, shop.cup.name, price_fen=5900, tax_code=code, tax_name=name))
    assert field in refused.value.fields
