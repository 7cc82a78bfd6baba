"""Approving large invoices: above T1 a 财务 (finance) approval, above T2 a 财务主管 (finance supervisor)
approval as well, by someone else; nobody approves an invoice they requested; a rejection carries a
reason that the requester (the customer) is told.

Roles are passed in as strings (the domain knows no logged-in user); the two that matter are named here.
"""

from app.db import db
from app.domain.errors import Conflict, PermissionDenied, ValidationError
from app.domain.invoicing import notify
from app.domain.invoicing.models import Invoice, InvoiceApproval
from app.domain.invoicing.services import add_event, get_invoice, release, transition
from app.domain.invoicing.states import InvoiceAction, InvoiceStatus
from app.text import N_, Text

FINANCE = "finance"
FINANCE_SUPERVISOR = "finance_supervisor"
#: Who may give the approval of each level.
LEVEL_ROLES = {1: frozenset({FINANCE, FINANCE_SUPERVISOR}), 2: frozenset({FINANCE_SUPERVISOR})}
MAX_REASON = 200


def next_level(invoice: Invoice) -> int:
    """The level of the approval the invoice waits for (1 or 2)."""
    return sum(1 for approval in invoice.approvals if approval.approved) + 1


def may_approve(invoice: Invoice, actor: str, role: str) -> bool:
    """Whether ``actor`` (with ``role``) may give the invoice its next approval (buttons ask this)."""
    try:
        _check(invoice, actor, role)
    except (Conflict, PermissionDenied):
        return False
    return True


def approve(invoice: Invoice, actor: str, role: str) -> Invoice:
    """Record the next approval; the last one needed sends the invoice to the platform."""
    level = _check(invoice, actor, role)
    db.session.add(InvoiceApproval(invoice=invoice, level=level, actor=actor, approved=True))
    if level >= invoice.approvals_needed:
        release(invoice, InvoiceAction.APPROVE, actor, details_note(level))
    else:
        add_event(invoice, "approve_level", actor, invoice.status, invoice.status, details_note(level),
                  {"level": level})
    db.session.flush()
    return invoice


def approve_many(invoice_ids: list[int], actor: str, role: str) -> tuple[list[int], list[int]]:
    """Bulk approval: each invoice ``actor`` may approve gets their approval, the others are left as they
    are; returns (approved ids, skipped ids)."""
    approved, skipped = [], []
    for invoice_id in invoice_ids:
        invoice = get_invoice(invoice_id, for_update=True)
        if may_approve(invoice, actor, role):
            approve(invoice, actor, role)
            approved.append(invoice_id)
        else:
            skipped.append(invoice_id)
    return approved, skipped


def reject(invoice: Invoice, actor: str, role: str, reason: str) -> Invoice:
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_REASON:
        raise ValidationError({"reason": N_("请填写驳回原因（最多 200 字）")})
    level = _check(invoice, actor, role)
    db.session.add(InvoiceApproval(invoice=invoice, level=level, actor=actor, approved=False, reason=reason))
    invoice.rejection_reason = reason
    transition(invoice, InvoiceAction.REJECT, actor, reason, {"level": level})
    notify.invoice_rejected(invoice)
    db.session.flush()
    return invoice


def details_note(level: int) -> Text:
    return Text(N_("%(level)s级审批通过"), level=level)


def _check(invoice: Invoice, actor: str, role: str) -> int:
    """The level ``actor`` would approve at; raises Conflict / PermissionDenied saying why not."""
    if invoice.status != InvoiceStatus.PENDING_APPROVAL:
        raise Conflict(N_("发票不在待审批状态"), details={"status": invoice.status})
    if actor == invoice.requested_by:
        raise PermissionDenied(N_("不能审批自己提交的开票申请"))
    if any(approval.actor == actor for approval in invoice.approvals):
        raise PermissionDenied(N_("同一张发票的两级审批须由不同的人完成"))
    level = next_level(invoice)
    if role not in LEVEL_ROLES.get(level, frozenset()):
        raise PermissionDenied(N_("第 %(level)s 级审批需要财务主管") % {"level": level})
    return level
