"""The seeded demo, run as ``make run`` runs it (the sweep's automatic requests, the simulated platform
issuing, 财务 and 财务主管 approving what needs them), reconciles with no unexplained difference: today,
and after the days an invoice may take to be issued."""

from datetime import timedelta

from sqlalchemy import select

from app.auth.roles import Role
from app.db import utcnow
from app.demo import seed_demo
from app.domain.invoicing import approvals, reconciliation, sweep
from app.domain.invoicing.models import Invoice, ReconciliationDay
from app.domain.invoicing.rules import InvoicingRules
from app.domain.invoicing.states import InvoiceStatus
from app.extensions import db
from workers import einvoice as jobs

APPROVERS = (("user:caiwu", Role.FINANCE), ("user:caiwuzhuguan", Role.FINANCE_SUPERVISOR))


def invoices_in(status: InvoiceStatus) -> list[int]:
    return list(db.session.scalars(select(Invoice.id).where(Invoice.status == status).order_by(Invoice.id)))


def run_the_demo(rules: InvoicingRules) -> None:
    """What the workers do, and what finance does on /finance, until nothing is left to move."""
    sweep.request_from_order_details(rules)
    sweep.advance_waiting(rules)
    for invoice_id in invoices_in(InvoiceStatus.PENDING_APPROVAL):
        invoice = db.session.get(Invoice, invoice_id)
        for actor, role in APPROVERS[:invoice.approvals_needed]:
            approvals.approve(invoice, actor, role)
    db.session.commit()
    for invoice_id in invoices_in(InvoiceStatus.REQUESTED):
        assert jobs.issue_invoice(invoice_id) == "accepted"
        assert jobs.poll_invoice(invoice_id) == "issued"
    db.session.commit()


def test_the_seeded_demo_reconciles_with_no_difference(app, app_context, platform, monkeypatch):
    monkeypatch.setattr(jobs, "render_pdf", lambda invoice_id: None)
    seed_demo()
    db.session.commit()
    assert db.session.scalars(select(ReconciliationDay)).all()  # the page has today's rows at once
    run_the_demo(InvoicingRules.from_config(app.config))

    issued = db.session.scalars(select(Invoice).where(Invoice.status == InvoiceStatus.ISSUED)).all()
    assert issued and not invoices_in(InvoiceStatus.FAILED) and not invoices_in(InvoiceStatus.PENDING_APPROVAL)
    now, stale_days = utcnow(), app.config["INVOICE_RECONCILE_STALE_DAYS"]
    for when in (now, now + timedelta(days=stale_days + 1)):
        rows = reconciliation.reconcile(reconciliation.shanghai_today(now), when, stale_days)
        assert rows and [row.differences for row in rows if row.unexplained] == []
        assert sum(row.blue_fen for row in rows) == sum(invoice.total_fen for invoice in issued)
        assert all(row.net_invoiced_fen <= row.paid_fen - row.refunded_fen for row in rows)
