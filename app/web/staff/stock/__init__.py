"""Stock: levels, the ledger, goods received, counts, purchase reminders and safety stock."""

from app.web.staff.stock import planning, views  # noqa: F401  (they register their routes on the staff blueprint)
