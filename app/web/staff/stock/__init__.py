"""Stock: levels, the ledger, goods received, counts, purchase reminders and safety stock."""

# Imported for their side effect: the view modules register their routes on the staff blueprint.
from app.web.staff.stock import planning, views  # noqa: F401
