"""Staff roles, the areas of the staff pages, and who may open which.

One table answers both "may this user open that page" (the decorator) and "which links does the
navigation show" (the menu), so a role never sees a link it would get a 403 behind.
"""

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Role(StrEnum):
    ADMIN = "admin"
    CUSTOMER_SERVICE = "customer_service"
    WAREHOUSE = "warehouse"
    OPERATIONS = "operations"
    FINANCE = "finance"
    FINANCE_SUPERVISOR = "finance_supervisor"


ROLE_LABELS = {
    Role.ADMIN: _l("管理员"),
    Role.CUSTOMER_SERVICE: _l("客服"),
    Role.WAREHOUSE: _l("仓库"),
    Role.OPERATIONS: _l("运营"),
    Role.FINANCE: _l("财务"),
    Role.FINANCE_SUPERVISOR: _l("财务主管"),
}


class Area(StrEnum):
    HOME = "home"
    CATALOG = "catalog"  # SKUs and bundles
    SETTINGS = "settings"  # warehouses, channels, carriers
    JOBS = "jobs"
    USERS = "users"


AREA_ROLES: dict[Area, frozenset[Role]] = {
    Area.HOME: frozenset(Role),
    Area.CATALOG: frozenset({Role.ADMIN, Role.OPERATIONS}),
    Area.SETTINGS: frozenset({Role.ADMIN, Role.OPERATIONS}),
    Area.JOBS: frozenset({Role.ADMIN, Role.OPERATIONS}),
    Area.USERS: frozenset({Role.ADMIN}),
}


def may_open(role: str, area: Area) -> bool:
    return role in AREA_ROLES[area]
