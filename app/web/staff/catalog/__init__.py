"""SKUs and bundles (组合装)."""

# Imported for their side effect: the view modules register their routes on the staff blueprint.
from app.web.staff.catalog import views  # noqa: F401
