"""Reference data for operations: warehouses, channels and carriers."""

# Imported for their side effect: the view modules register their routes on the staff blueprint.
from app.web.staff.settings import views  # noqa: F401
