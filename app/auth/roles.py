"""Staff roles, the areas of the staff pages, and who may open which.

One table answers both "may this user open that page" (the decorator) and "which links does the
navigation show" (the menu), so a role never sees a link it would get a 403 behind.
"""

from enum import StrEnum

from flask_babel import lazy_gettext as _l

from app.domain.orders.states import Action
from app.domain.workbench.edits import (
    ADD_GIFT,
    ADD_NOTE,
    EDIT_ADDRESS,
    EDIT_LABELS,
    EDIT_SHIPPING,
    MERGE_ORDERS,
    REMOVE_GIFT,
    SHIP_PARCEL,
    SPLIT_SHIP,
)


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
    ORDERS = "orders"  # order list, detail, actions, manual orders
    STOCK = "stock"  # stock levels, ledger, receipts, counts, reminders, safety stock
    NOTIFICATIONS = "notifications"  # customer messages: failed queue, resend, simulator inbox
    SYNC = "sync"  # channel sync health: runs, errors with their payloads and retry, stock drift
    FINANCE = "finance"  # /finance: the invoice queue, approvals, red-letter reversals
    AUDIT = "audit"  # the audit log: who saw personal data, who changed credentials, roles, tokens


AREA_ROLES: dict[Area, frozenset[Role]] = {
    Area.HOME: frozenset(Role),
    Area.CATALOG: frozenset({Role.ADMIN, Role.OPERATIONS}),
    Area.SETTINGS: frozenset({Role.ADMIN, Role.OPERATIONS}),
    Area.JOBS: frozenset({Role.ADMIN, Role.OPERATIONS}),
    Area.USERS: frozenset({Role.ADMIN}),
    # Finance reads orders, their payments and refunds (no order action is theirs: may_act says no).
    Area.ORDERS: frozenset({Role.ADMIN, Role.CUSTOMER_SERVICE, Role.WAREHOUSE, Role.OPERATIONS, Role.FINANCE,
                            Role.FINANCE_SUPERVISOR}),
    Area.STOCK: frozenset({Role.ADMIN, Role.WAREHOUSE, Role.OPERATIONS}),
    Area.NOTIFICATIONS: frozenset({Role.ADMIN, Role.CUSTOMER_SERVICE, Role.OPERATIONS}),
    Area.SYNC: frozenset({Role.ADMIN, Role.CUSTOMER_SERVICE, Role.OPERATIONS}),
    # Finance roles only (DESIGN §3: "finance a finance role"); admins manage users, not money.
    Area.FINANCE: frozenset({Role.FINANCE, Role.FINANCE_SUPERVISOR}),
    Area.AUDIT: frozenset({Role.ADMIN}),
}

#: Creating an order by hand (手工建单) is not a state transition, but it is guarded like one.
CREATE_ORDER = "create_order"
#: 申请开票 on the order page for the customer (the same request the portal makes).
REQUEST_INVOICE = "request_invoice"

# PAY: customer service marks a manual order paid (bank transfer, cash); platforms report their own.
_CUSTOMER_SERVICE_ACTIONS = frozenset({
    Action.PAY, Action.CANCEL, Action.REFUND, Action.MARK_EXCEPTION, Action.RESOLVE_EXCEPTION, Action.APPROVE,
    Action.REJECT, Action.REQUEST_AFTER_SALES, Action.CLOSE_AFTER_SALES, CREATE_ORDER, REQUEST_INVOICE,
    EDIT_ADDRESS, EDIT_SHIPPING, ADD_GIFT, REMOVE_GIFT, ADD_NOTE, MERGE_ORDERS,
})
# The warehouse ships from where the stock is, with the carrier at the door: it may change both.
_WAREHOUSE_ACTIONS = frozenset({Action.APPROVE, Action.PACK, Action.SHIP_OUT, Action.HAND_OVER,
                                Action.MARK_EXCEPTION, EDIT_SHIPPING, SPLIT_SHIP, SHIP_PARCEL, ADD_NOTE})
_ROLE_ORDER_ACTIONS: dict[Role, frozenset[str]] = {
    Role.ADMIN: frozenset(Action) | {CREATE_ORDER, REQUEST_INVOICE, *EDIT_LABELS},
    Role.CUSTOMER_SERVICE: _CUSTOMER_SERVICE_ACTIONS,
    Role.WAREHOUSE: _WAREHOUSE_ACTIONS,
    Role.OPERATIONS: _CUSTOMER_SERVICE_ACTIONS | _WAREHOUSE_ACTIONS,
}

#: Which roles may perform which order action; the order's state must allow it too (states.py).
ORDER_ACTION_ROLES: dict[str, frozenset[Role]] = {
    action: frozenset(role for role, actions in _ROLE_ORDER_ACTIONS.items() if action in actions)
    for action in (*Action, CREATE_ORDER, REQUEST_INVOICE, *EDIT_LABELS)
}


def may_open(role: str, area: Area) -> bool:
    return role in AREA_ROLES[area]


def works_on_orders(role: str) -> bool:
    """Whether the role acts on orders (finance only reads them)."""
    return bool(_ROLE_ORDER_ACTIONS.get(role))


def may_act(role: str, action: str) -> bool:
    """Whether ``role`` may perform the order ``action`` (an Action value or CREATE_ORDER)."""
    return role in ORDER_ACTION_ROLES.get(action, frozenset())
