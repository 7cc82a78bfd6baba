"""The staff menu, filtered by the same role table that guards the pages."""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.auth.roles import Area


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    area: Area


NAVIGATION = (
    NavItem(_l("工作台"), "staff.home", Area.HOME),
    # Orders first: what customer service and the warehouse open all day.
    NavItem(_l("订单"), "staff.list_orders", Area.ORDERS),
    NavItem(_l("物流跟踪"), "staff.list_parcels", Area.ORDERS),
    NavItem(_l("待人工分仓"), "staff.parked_orders", Area.ORDERS),
    NavItem(_l("库存"), "staff.list_stock", Area.STOCK),
    NavItem(_l("库存流水"), "staff.list_movements", Area.STOCK),
    NavItem(_l("补货提醒"), "staff.list_reminders", Area.STOCK),
    NavItem(_l("安全库存"), "staff.list_safety", Area.STOCK),
    NavItem(_l("商品"), "staff.list_skus", Area.CATALOG),
    NavItem(_l("组合装"), "staff.list_bundles", Area.CATALOG),
    NavItem(_l("仓库"), "staff.list_warehouses", Area.SETTINGS),
    NavItem(_l("渠道"), "staff.list_channels", Area.SETTINGS),
    NavItem(_l("快递公司"), "staff.list_carriers", Area.SETTINGS),
    NavItem(_l("分仓策略"), "staff.routing_strategy", Area.SETTINGS),
    NavItem(_l("自动审单"), "staff.auto_review_rules", Area.SETTINGS),
    NavItem(_l("商品对应"), "staff.list_sku_mappings", Area.SETTINGS),
    NavItem(_l("渠道同步"), "staff.sync_health", Area.SYNC),
    NavItem(_l("开放接口"), "staff.list_api_tokens", Area.SETTINGS),
    NavItem(_l("消息通知"), "staff.list_notifications", Area.NOTIFICATIONS),
    NavItem(_l("消息模拟器"), "staff.show_message_simulator", Area.NOTIFICATIONS),
    NavItem(_l("发票"), "finance.list_invoices", Area.FINANCE),
    NavItem(_l("对账"), "finance.show_reconciliation", Area.FINANCE),
    NavItem(_l("退款审批"), "finance.list_refunds", Area.FINANCE),
    NavItem(_l("后台任务"), "staff.list_jobs", Area.JOBS),
    NavItem(_l("员工账号"), "staff.list_users", Area.USERS),
    NavItem(_l("审计日志"), "staff.list_audit_entries", Area.AUDIT),
)


def navigation_for(user) -> list[NavItem]:
    return [item for item in NAVIGATION if user.may(item.area)]
