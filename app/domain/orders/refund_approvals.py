"""Refund approval (退款审批): a refund above the approval amount, or any refund once the order has
shipped, waits for finance; smaller refunds before shipping go through at once (refunds.py).

The request keeps what was asked (amount, lines, restock) so that the approval performs exactly that
refund; nobody approves their own request, and a rejection needs a reason. Each step is an order event.
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Fen, UTCDateTime, db, utcnow
from app.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from app.domain.orders import refunds
from app.domain.orders.models import Order
from app.domain.orders.refunds import RefundLine
from app.domain.orders.services import MAX_REASON_LENGTH, add_event
from app.domain.orders.states import Action, next_status
from app.text import N_

DEFAULT_APPROVAL_ABOVE_FEN = 20_000  # ¥200


class RequestStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


STATUS_LABELS = {RequestStatus.PENDING: N_("待审批"), RequestStatus.APPROVED: N_("已批准"),
                 RequestStatus.REJECTED: N_("已驳回")}
EVENT_LABELS = {"refund_requested": N_("申请退款"), "refund_rejected": N_("退款被驳回")}


class RefundRequest(db.Model):
    """A refund waiting for (or decided by) finance."""

    __tablename__ = "refund_requests"
    __table_args__ = (Index("ix_refund_requests_status", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(Fen)
    #: [{"sku", "qty"}] of the goods refunded; None: all of them; []: money only.
    lines: Mapped[list | None] = mapped_column(JSON)
    restock: Mapped[bool] = mapped_column(default=True)
    damaged: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str] = mapped_column(String(200))
    after_shipping: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default=RequestStatus.PENDING)
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str] = mapped_column(String(200), default="")

    order: Mapped[Order] = relationship()

    @property
    def status_name(self) -> str:
        return STATUS_LABELS[RequestStatus(self.status)]


def needs_approval(order: Order, amount_fen: int, approval_above_fen: int) -> bool:
    return amount_fen > approval_above_fen or order.shipped_at is not None


def request_refund(order: Order, amount_fen: int, lines: list[RefundLine] | None, restock: bool, reason: str,
                   actor: str, approval_above_fen: int, damaged: bool = False) -> Order | RefundRequest:
    """Refund at once when the amount is within ``approval_above_fen`` and the order has not shipped;
    otherwise record a request for finance (the refund's own checks run first, so a request finance
    sees is one that could be performed)."""
    if not needs_approval(order, amount_fen, approval_above_fen):
        return refunds.refund(order, amount_fen, lines, restock, reason, actor, damaged=damaged)
    next_status(order.status, Action.REFUND)  # InvalidTransition where no refund is possible
    refunds.check(order, amount_fen, lines)
    if pending_request(order) is not None:
        raise Conflict(N_("该订单已有待审批的退款申请"))
    if not (reason or "").strip() or len(reason) > MAX_REASON_LENGTH:
        raise ValidationError({"reason": N_("请填写原因")})
    request = RefundRequest(order=order, amount_fen=amount_fen, restock=restock, damaged=damaged, reason=reason,
                            lines=None if lines is None else [{"sku": line.sku, "qty": line.quantity} for line in lines],
                            after_shipping=order.shipped_at is not None, requested_by=actor, requested_at=utcnow())
    db.session.add(request)
    add_event(order, "refund_requested", actor, order.status, order.status, reason,
              details={"amount_fen": amount_fen, "lines": request.lines or []})
    db.session.flush()
    return request


def approve(request: RefundRequest, actor: str) -> RefundRequest:
    """Perform the requested refund (its checks again: the order may have moved since)."""
    _decide(request, actor)
    lines = None if request.lines is None else [RefundLine(line["sku"], line["qty"]) for line in request.lines]
    refunds.refund(request.order, request.amount_fen, lines, request.restock, request.reason, actor,
                   damaged=request.damaged)
    request.status = RequestStatus.APPROVED
    db.session.flush()
    return request


def reject(request: RefundRequest, reason: str, actor: str) -> RefundRequest:
    if not (reason or "").strip() or len(reason) > MAX_REASON_LENGTH:
        raise ValidationError({"reason": N_("请填写原因")})
    _decide(request, actor)
    request.status, request.decision_reason = RequestStatus.REJECTED, reason.strip()
    add_event(request.order, "refund_rejected", actor, request.order.status, request.order.status, reason,
              details={"amount_fen": request.amount_fen})
    db.session.flush()
    return request


def _decide(request: RefundRequest, actor: str) -> None:
    if request.status != RequestStatus.PENDING:
        raise Conflict(N_("该退款申请已处理"))
    if request.requested_by == actor:
        raise PermissionDenied(N_("不能审批自己提交的退款申请"))
    request.decided_by, request.decided_at = actor, utcnow()


# ---- reads ---------------------------------------------------------------------------------------

def get_request(request_id: int, for_update: bool = False) -> RefundRequest:
    query = select(RefundRequest).where(RefundRequest.id == request_id)
    request = db.session.scalar(query.with_for_update() if for_update else query)
    if request is None:
        raise NotFound(N_("退款申请不存在"))
    return request


def pending_request(order: Order) -> RefundRequest | None:
    return db.session.scalar(select(RefundRequest).where(RefundRequest.order_id == order.id,
                                                         RefundRequest.status == RequestStatus.PENDING))


def requests(status: str | None = RequestStatus.PENDING):
    """The queue (oldest first) or, for a decided status, the latest decisions first."""
    query = select(RefundRequest)
    if status:
        query = query.where(RefundRequest.status == status)
    if status == RequestStatus.PENDING:
        return query.order_by(RefundRequest.id)
    return query.order_by(RefundRequest.id.desc())


def pending_count() -> int:
    """How many refunds wait for finance (the dashboard's 待审批 退款)."""
    return db.session.scalar(select(func.count(RefundRequest.id))
                             .where(RefundRequest.status == RequestStatus.PENDING))
