"""Demo invoicing for 小满生活: thresholds low enough for the demo's small orders to need approval, a
saved title for the demo's first customer phone, an invoice request on the completed store order, so
that 财务 (caiwu) finds one to approve, and today's reconciliation rows, so that the 对账 page has a day
to show before the daily job runs. Idempotent; it only flushes, the caller commits."""

from flask import current_app
from sqlalchemy import select

from app.db import utcnow
from app.domain.invoicing import profiles, reconciliation
from app.domain.invoicing import rules as invoice_rules
from app.domain.invoicing import services as invoices
from app.domain.invoicing.models import InvoiceSettings
from app.domain.invoicing.titles import Title
from app.domain.orders.models import Order
from app.domain.orders.states import OrderStatus
from app.domain.reference.models import Channel
from app.extensions import db

#: ¥100 and ¥300: the demo's orders are small; a real merchant keeps ¥10,000 / ¥50,000 or sets its own.
DEMO_THRESHOLDS_FEN = (10_000, 30_000)
DEMO_PHONE = "13800138000"
DEMO_TITLE = Title("company", "上海青浦小满餐饮管理有限公司", "91310115MA1K4Q6N6T", "caiwu@qingpu-xiaoman.example.cn")


def seed_invoices() -> int:
    """Returns how many invoices were requested this time (0 on a rerun)."""
    if db.session.scalar(select(InvoiceSettings.id)) is None:
        invoice_rules.save_thresholds(*DEMO_THRESHOLDS_FEN, "user:caiwuzhuguan")
    profiles.save_profile(DEMO_PHONE, DEMO_TITLE)
    store_order = db.session.scalar(
        select(Order).join(Channel).where(Channel.code == "pos", Order.status == OrderStatus.COMPLETED)
        .order_by(Order.id).limit(1))
    requested = 0
    if store_order is not None and not invoices.invoices_of(store_order):
        rules = invoice_rules.InvoicingRules.from_config(current_app.config)
        requested = len(invoices.request_invoice([store_order], DEMO_TITLE, "user:kefu", "staff", rules))
    now = utcnow()
    reconciliation.reconcile(reconciliation.shanghai_today(now), now, current_app.config["INVOICE_RECONCILE_STALE_DAYS"])
    return requested
