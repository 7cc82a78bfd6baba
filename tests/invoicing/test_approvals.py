"""The approval matrix: above T1 one 财务 approval, above T2 a 财务主管 approval as well by someone
else; nobody approves their own request; a rejection carries its reason to the customer."""

import pytest

from app.domain.errors import Conflict, PermissionDenied, ValidationError
from app.domain.invoicing import approvals, services
from app.domain.invoicing import rules as invoice_rules
from app.domain.invoicing.states import InvoiceStatus
from app.domain.invoicing.titles import Title
from app.domain.notifications.models import Message
from app.extensions import db
from app.jobs import get_queue

TITLE = Title("personal", "张三", email="zhang@example.cn")
FINANCE, SUPERVISOR = approvals.FINANCE, approvals.FINANCE_SUPERVISOR


@pytest.fixture
def request_for(shop, rules):
    """An invoice of ``total_fen`` requested by ``by``, its order complete (thresholds lowered to 100.00
    and 500.00 so that small orders cross them)."""
    invoice_rules.save_thresholds(10000, 50000, "user:zhuguan")

    def make(total_fen: int, by: str = "user:kefu"):
        quantity, rest = divmod(total_fen, shop.cup.price_fen)
        assert rest == 0
        order = shop.completed([(shop.cup.code, quantity)])
        [invoice] = services.request_invoice([order], TITLE, by, "staff", rules)
        return invoice

    return make


@pytest.mark.parametrize(("total", "levels"), [(5900, 0), (11800, 1), (53100, 2)])
def test_levels_needed_by_amount(request_for, total, levels):
    invoice = request_for(total)
    assert invoice.approvals_needed == levels
    assert invoice.status == (InvoiceStatus.REQUESTED if levels == 0 else InvoiceStatus.PENDING_APPROVAL)


def test_exactly_the_threshold_needs_no_approval(shop, rules):
    invoice_rules.save_thresholds(5900, 50000, "user:zhuguan")
    [invoice] = services.request_invoice([shop.completed()], TITLE, "user:kefu", "staff", rules)
    assert invoice.approvals_needed == 0


def test_one_finance_approval_releases_a_level_one_invoice(request_for):
    invoice = request_for(11800)
    approvals.approve(invoice, "user:caiwu", FINANCE)
    assert invoice.status == InvoiceStatus.REQUESTED
    db.session.commit()
    assert [job.args[0] for job in get_queue("einvoice").get_jobs()] == [invoice.id]


def test_level_two_needs_a_supervisor_after_finance(request_for):
    invoice = request_for(53100)
    approvals.approve(invoice, "user:caiwu", FINANCE)
    assert invoice.status == InvoiceStatus.PENDING_APPROVAL and approvals.next_level(invoice) == 2
    with pytest.raises(PermissionDenied):
        approvals.approve(invoice, "user:caiwu2", FINANCE)  # level 2 is a supervisor's
    with pytest.raises(PermissionDenied):
        approvals.approve(invoice, "user:caiwu", SUPERVISOR)  # and someone else's
    approvals.approve(invoice, "user:zhuguan", SUPERVISOR)
    assert invoice.status == InvoiceStatus.REQUESTED
    assert [(each.level, each.actor) for each in invoice.approvals] == [(1, "user:caiwu"), (2, "user:zhuguan")]


def test_a_supervisor_may_give_the_first_level_too_but_not_both(request_for):
    invoice = request_for(53100)
    approvals.approve(invoice, "user:zhuguan", SUPERVISOR)
    assert not approvals.may_approve(invoice, "user:zhuguan", SUPERVISOR)
    assert approvals.may_approve(invoice, "user:zhuguan2", SUPERVISOR)


def test_nobody_approves_their_own_request(request_for):
    invoice = request_for(11800, by="user:caiwu")
    with pytest.raises(PermissionDenied):
        approvals.approve(invoice, "user:caiwu", FINANCE)
    assert invoice.status == InvoiceStatus.PENDING_APPROVAL and invoice.approvals == []


def test_other_roles_cannot_approve(request_for):
    invoice = request_for(11800)
    assert not approvals.may_approve(invoice, "user:kefu2", "customer_service")


def test_an_invoice_not_waiting_for_approval_cannot_be_approved(request_for):
    invoice = request_for(5900)
    with pytest.raises(Conflict):
        approvals.approve(invoice, "user:caiwu", FINANCE)


def test_a_rejection_needs_a_reason_and_tells_the_customer(request_for):
    invoice = request_for(11800, by="customer:13900139000")
    with pytest.raises(ValidationError):
        approvals.reject(invoice, "user:caiwu", FINANCE, " ")
    approvals.reject(invoice, "user:caiwu", FINANCE, "抬头与付款人不符")
    assert invoice.status == InvoiceStatus.REJECTED and invoice.rejection_reason == "抬头与付款人不符"
    messages = db.session.query(Message).filter_by(template="invoice_rejected").all()
    assert {message.channel for message in messages} == {"email", "sms"}
    assert all(message.params["reason"] == "抬头与付款人不符" for message in messages)


def test_thresholds_must_rise(app_context):
    with pytest.raises(ValidationError):
        invoice_rules.save_thresholds(50000, 10000, "user:zhuguan")
