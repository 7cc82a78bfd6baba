"""Orders for customer service and the warehouse: the list, one order's page and its actions, manual orders."""

# Imported for their side effect: the view modules register their routes on the staff blueprint.
from app.web.staff.orders import actions, batches, edits, views, waybill_pool  # noqa: F401
