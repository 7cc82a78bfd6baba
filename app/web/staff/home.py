"""The staff shell's landing page, the 工作台: for each role, how much of what it handles waits, each
count a link to the list it counts, with charts of the day (dashboard_charts.py), refreshed by htmx polling."""

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.auth import role_required
from app.auth.roles import Area, may_open, works_on_orders
from app.db import utcnow
from app.domain.workbench import dashboard, review
from app.web.htmx import render_page_or_partial
from app.web.staff import bp
from app.web.staff.dashboard_charts import charts_for


@dataclass(frozen=True)
class Tile:
    name: str  # a dashboard.COUNTS name
    label: str
    area: Area  # who sees it: the roles that may open the list it links to
    endpoint: str
    args: dict

    @property
    def url(self) -> str:
        return url_for(self.endpoint, **self.args)


TILES = (
    Tile("pending_review", _l("待审核"), Area.ORDERS, "staff.list_orders", {"status": "02"}),
    Tile("to_pack", _l("待打包"), Area.ORDERS, "staff.list_orders", {"status": "03"}),
    Tile("overdue", _l("超时"), Area.ORDERS, "staff.list_orders", {"sla": "any"}),
    Tile("exceptions", _l("异常"), Area.ORDERS, "staff.list_orders", {"status": "E1"}),
    Tile("short_stock", _l("缺货"), Area.STOCK, "staff.list_reminders", {}),
    Tile("sync_errors", _l("同步错误"), Area.SYNC, "staff.sync_health", {}),
    Tile("to_invoice", _l("待开票"), Area.FINANCE, "finance.list_invoices", {"status": "requested"}),
    Tile("to_approve", _l("待审批"), Area.FINANCE, "finance.list_invoices", {"status": "pending_approval"}),
)


SHANGHAI = ZoneInfo("Asia/Shanghai")


def start_of_today(now: datetime) -> datetime:
    """Midnight of the merchant's day (Asia/Shanghai), in UTC like every stored time."""
    return datetime.combine(now.astimezone(SHANGHAI).date(), time(), SHANGHAI).astimezone(now.tzinfo)


@bp.get("/")
@role_required(Area.HOME)
def home():
    tiles = [tile for tile in TILES if may_open(current_user.role, tile.area)
             and (tile.area != Area.ORDERS or works_on_orders(current_user.role))]  # finance only reads orders
    counts = dashboard.counts([tile.name for tile in tiles])
    now = utcnow()
    # How much of today's paid orders the auto-review rules approved: for those who review orders.
    review_share = review.auto_approved_share(start_of_today(now)) if works_on_orders(current_user.role) else None
    return render_page_or_partial("staff/home.html", "staff/_dashboard.html", user=current_user, tiles=tiles,
                                  counts=counts, charts=charts_for(current_user.role, now),
                                  review_share=review_share, may_edit_rules=may_open(current_user.role, Area.SETTINGS))
