"""Orders for customer service and the warehouse: the list, one order's page and its actions, manual orders."""

# Imported for their side effect: the view modules register their routes on the staff blueprint.
from app.web.staff.orders import (  # noqa: F401
    actions,
    auto_review,
    batches,
    edits,
    invoices,
    merging,
    printing,
    saved_views,
    scanning,
    views,
    waybill_pool,
)
