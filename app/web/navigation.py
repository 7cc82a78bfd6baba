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
    NavItem(_l("商品"), "staff.list_skus", Area.CATALOG),
    NavItem(_l("组合装"), "staff.list_bundles", Area.CATALOG),
    NavItem(_l("仓库"), "staff.list_warehouses", Area.SETTINGS),
    NavItem(_l("渠道"), "staff.list_channels", Area.SETTINGS),
    NavItem(_l("快递公司"), "staff.list_carriers", Area.SETTINGS),
    NavItem(_l("后台任务"), "staff.list_jobs", Area.JOBS),
    NavItem(_l("员工账号"), "staff.list_users", Area.USERS),
)


def navigation_for(user) -> list[NavItem]:
    return [item for item in NAVIGATION if user.may(item.area)]
