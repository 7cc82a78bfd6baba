"""The finance pages: the queue with filters, bulk approval, an invoice's page with its timeline,
approve / reject / reissue / reverse, the thresholds; finance roles only."""

import pytest
from flask_babel import refresh
from sqlalchemy import func, select

from app.db import utcnow
from app.domain.invoicing import issuing, services
from app.domain.invoicing import rules as invoice_rules
from app.domain.invoicing.models import Invoice
from app.domain.invoicing.platforms.base import PlatformError
from app.domain.invoicing.states import InvoiceStatus
from app.domain.invoicing.titles import Title
from app.extensions import db
from tests import factories
from tests.conftest import htmx_headers
from tests.invoicing.conftest import BUYER_PHONE, fresh

TITLE = Title("personal", "张三", email="zhang@example.cn")


@pytest.fixture
def queue(app, shop, rules):
    """Three invoices: 59.00 (no approval), 118.00 and 177.00 (one level: T1 lowered to 100.00)."""
    invoice_rules.save_thresholds(10000, 50000, "user:zhuguan")
    ids = []
    for quantity in (1, 2, 3):
        [invoice] = services.request_invoice([shop.completed([(shop.cup.code, quantity)])], TITLE, "user:kefu",
                                             "staff", rules)
        ids.append(invoice.id)
    db.session.commit()
    return ids


def test_only_finance_roles_open_the_finance_pages(client, login_as, queue):
    login_as("customer_service")
    assert client.get("/finance/invoices").status_code == 403
    assert client.post(f"/finance/invoices/{queue[1]}/approve").status_code == 403


def test_anonymous_visitors_are_sent_to_login(client, queue):
    response = client.get("/finance/invoices")
    assert response.status_code == 302 and "/login" in response.location


def test_the_queue_filters_by_status_and_amount(client, login_as, queue):
    login_as("finance")
    page = client.get("/finance/invoices?status=pending_approval").text
    assert page.count('name="invoice_ids"') == 2 and "¥118.00" in page and "¥59.00" not in page
    fragment = client.get("/finance/invoices?min_amount=150", headers=htmx_headers())
    assert "<html" not in fragment.text and "¥177.00" in fragment.text and "¥118.00" not in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]


def test_bulk_approval_releases_what_the_user_may_approve(client, login_as, queue, app_context):
    login_as("finance")
    response = client.post("/finance/invoices/approve", data={"invoice_ids": [str(queue[1]), str(queue[2])]})
    assert response.status_code == 303
    assert [fresh(invoice_id).status for invoice_id in queue[1:]] == [InvoiceStatus.REQUESTED] * 2


def test_rejecting_needs_a_reason(client, login_as, queue, app_context):
    login_as("finance")
    response = client.post(f"/finance/invoices/{queue[1]}/reject", data={"reason": ""}, headers=htmx_headers())
    assert response.status_code == 422 and "此项必填" in response.text
    assert fresh(queue[1]).status == InvoiceStatus.PENDING_APPROVAL

    response = client.post(f"/finance/invoices/{queue[1]}/reject", data={"reason": "抬头有误"}, headers=htmx_headers())
    assert response.status_code == 200 and "抬头有误" in response.text
    assert fresh(queue[1]).status == InvoiceStatus.REJECTED


def test_self_approval_is_refused_on_the_page(client, login_as, shop, rules, app_context):
    invoice_rules.save_thresholds(1000, 50000, "user:zhuguan")
    [invoice] = services.request_invoice([shop.completed()], TITLE, "user:caiwu", "staff", rules)
    db.session.commit()
    login_as("finance", username="caiwu")
    response = client.post(f"/finance/invoices/{invoice.id}/approve", headers=htmx_headers())
    assert response.status_code == 403 and "不能审批自己提交的开票申请" in response.text
    assert fresh(invoice.id).status == InvoiceStatus.PENDING_APPROVAL


def test_the_invoice_page_shows_lines_and_timeline(client, login_as, queue):
    login_as("finance_supervisor")
    page = client.get(f"/finance/invoices/{queue[0]}").text
    assert "*日用杂品*保温杯 500ml" in page and "申请开票" in page and "提交开票" in page


def test_timeline_notes_are_stored_as_data_and_read_in_the_readers_language(client, login_as, queue, app_context):
    invoice = fresh(queue[0])
    issuing.claim(invoice, utcnow())
    issuing.record_failure(invoice, PlatformError("E2002", "开具金额总额度不足"))
    db.session.commit()
    fail = fresh(queue[0]).events[-1]
    assert (fail.note, fail.note_params) == ("平台答复 %(code)s：%(message)s",
                                             {"code": "E2002", "message": "开具金额总额度不足"})
    login_as("finance")

    chinese = client.get(f"/finance/invoices/{invoice.id}").text
    client.post("/language/en", data={"next": "/finance/"})
    refresh()  # the test's own app context kept the Chinese catalogue of the first request
    english = client.get(f"/finance/invoices/{invoice.id}").text

    assert "第 1 次提交开票平台" in chinese and "平台答复 E2002：开具金额总额度不足" in chinese
    assert "Submission 1 to the e-invoice platform" in english
    assert "The platform answered E2002: 开具金额总额度不足" in english  # the platform's own words stay
    assert "提交开票平台" not in english


def test_a_failed_invoice_can_be_reissued_and_an_issued_one_reversed(client, login_as, queue, app_context):
    failed, issued = fresh(queue[0]), fresh(queue[1])
    failed.status, failed.failure_code = InvoiceStatus.FAILED, "E2002"
    issued.status, issued.number = InvoiceStatus.ISSUED, "26310000000000000001"
    db.session.commit()
    login_as("finance")
    assert client.post(f"/finance/invoices/{failed.id}/reissue").status_code == 303
    assert fresh(failed.id).status == InvoiceStatus.REQUESTED

    response = client.post(f"/finance/invoices/{issued.id}/reverse", data={"reason": "2", "note": ""},
                           headers=htmx_headers())
    assert response.status_code == 422
    response = client.post(f"/finance/invoices/{issued.id}/reverse", data={"reason": "2", "note": "抬头写错"},
                           headers=htmx_headers())
    assert response.status_code == 200
    assert fresh(issued.id).status == InvoiceStatus.RED_PENDING


def test_only_supervisors_change_the_thresholds(client, login_as, app_context):
    login_as("finance")
    assert client.post("/finance/settings", data={"level1": "200.00", "level2": "900.00"}).status_code == 403
    client.post("/logout")
    login_as("finance_supervisor")
    assert client.post("/finance/settings", data={"level1": "900.00", "level2": "200.00"}).status_code == 422
    assert client.post("/finance/settings", data={"level1": "200.00", "level2": "900.00"}).status_code == 303
    assert invoice_rules.thresholds(invoice_rules.InvoicingRules(1, "", "", 0, frozenset(), 0, 0)).level1_above_fen == 20000


def test_operations_set_a_skus_tax_classification_on_its_form(client, login_as, shop, app_context):
    login_as("operations")
    sku_id = shop.book.id
    data = {"code": shop.book.code, "name": "儿童绘本", "weight_g": "300", "price_fen": "45.00", "tax_rate_bp": "900",
            "active": "y", "tax_code": "1060201010000000000", "tax_name": "图书"}
    assert client.post(f"/staff/skus/{sku_id}/edit", data=data | {"tax_code": "12"}).status_code == 422
    response = client.post(f"/staff/skus/{sku_id}/edit", data=data | {"tax_name": "书籍"})
    assert response.status_code in (200, 303)
    db.session.expire_all()
    assert db.session.get(type(shop.book), sku_id).tax_name == "书籍"


MERGE_TITLE = {"title_type": "company", "title": "上海某某科技有限公司", "tax_id": "91310115MA1K4Q6N6T",
               "email": "caiwu@example.cn", "kind": "normal"}


@pytest.fixture
def two_completed(shop, rules):
    """Two completed orders of one buyer (59.00 and 2 × 45.00), a third not complete yet, and a fourth
    whose invoice is already requested."""
    first, second = shop.completed([(shop.cup.code, 1)]), shop.completed([(shop.book.code, 2)])
    shop.paid()
    covered = shop.completed()
    services.request_invoice([covered], TITLE, "user:kefu", "staff", rules)
    db.session.commit()
    return first.order_no, second.order_no, covered.order_no


def merge(client, order_nos, step, **title):
    return client.post(f"/finance/merge?phone={BUYER_PHONE}",
                       data={"order_nos": list(order_nos), "step": step, **(MERGE_TITLE | title)})


def test_merge_lists_the_buyers_completed_orders_without_an_invoice(client, login_as, two_completed):
    first, second, covered = two_completed
    login_as("finance")

    page = client.get(f"/finance/merge?phone={BUYER_PHONE}").text

    assert first in page and second in page and covered not in page
    assert page.count('name="order_nos"') == 2


def test_merging_previews_one_invoice_then_requests_it_for_both_orders(client, login_as, two_completed):
    first, second, _covered = two_completed
    login_as("finance")

    preview = merge(client, (first, second), "preview")
    assert preview.status_code == 200
    assert "预览：1 张发票" in preview.text and "*日用杂品*保温杯 500ml" in preview.text and "*图书*儿童绘本" in preview.text
    assert "¥149.00" in preview.text
    assert db.session.scalar(select(func.count(Invoice.id))) == 1  # only the fourth order's

    response = merge(client, (first, second), "request")
    assert response.status_code == 303
    [invoice] = db.session.scalars(select(Invoice).order_by(Invoice.id.desc()).limit(1))
    assert sorted(order.order_no for order in invoice.orders) == sorted([first, second])
    assert (invoice.total_fen, invoice.title, invoice.source, len(invoice.lines)) == (14900, MERGE_TITLE["title"],
                                                                                     "staff", 2)
    assert response.headers["Location"].endswith(f"/finance/invoices/{invoice.id}")
    assert first not in client.get(f"/finance/merge?phone={BUYER_PHONE}").text


def test_more_lines_than_the_platform_takes_are_split_over_several_invoices(app, client, login_as, two_completed,
                                                                            monkeypatch):
    first, second, _covered = two_completed
    monkeypatch.setitem(app.config, "INVOICE_MAX_LINES", 1)
    login_as("finance")

    assert "预览：2 张发票" in merge(client, (first, second), "preview").text
    assert merge(client, (first, second), "request").status_code == 303
    parts = db.session.scalars(select(Invoice).order_by(Invoice.id.desc()).limit(2)).all()
    assert sorted(invoice.total_fen for invoice in parts) == [5900, 9000]


def test_a_bad_tax_id_names_the_field_and_nothing_is_requested(client, login_as, two_completed):
    first, second, _covered = two_completed
    login_as("finance")

    for step in ("preview", "request"):
        response = merge(client, (first, second), step, tax_id="91310115MA1K4Q6N6X")
        assert response.status_code == 422
        assert 'has-error' in response.text and "预览：" not in response.text
    assert db.session.scalar(select(func.count(Invoice.id))) == 1


def test_orders_of_two_channels_are_refused_with_the_reason(client, login_as, shop, two_completed):
    first, _second, _covered = two_completed
    other = factories.ChannelFactory()
    elsewhere = shop.completed()
    elsewhere.channel_id = other.id
    db.session.commit()
    login_as("finance")

    response = merge(client, (first, elsewhere.order_no), "preview")

    assert response.status_code == 422 and "只有同一渠道、同一买家的订单才能合并开票" in response.text
