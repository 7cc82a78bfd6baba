"""Finance pages (/finance): the invoice queue with filters and bulk approval, each invoice with its
timeline, approvals, reissue after a failure, manual red-letter reversal, 合并开票 (several orders of one
buyer on one invoice), and the approval thresholds.
Finance roles only (财务, 财务主管): every view is guarded by ``role_required(Area.FINANCE)``."""

from flask import Blueprint

from app.auth import send_to_change_password

bp = Blueprint("finance", __name__, url_prefix="/finance")

from app.web.finance import invoices, merge, reconciliation, refunds, settings  # noqa: E402, F401  (views register on bp)

bp.before_request(send_to_change_password)
