"""Orders for customer service and the warehouse: the list, one order's page and its actions, manual orders."""

from app.web.staff.orders import actions, views  # noqa: F401  (they register their routes on the staff blueprint)
