"""SKUs and bundles (组合装)."""

from app.web.staff.catalog import views  # noqa: F401  (it registers its routes on the staff blueprint)
