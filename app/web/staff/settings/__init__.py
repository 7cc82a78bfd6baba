"""Reference data for operations: warehouses, channels and carriers."""

from app.web.staff.settings import views  # noqa: F401  (it registers its routes on the staff blueprint)
