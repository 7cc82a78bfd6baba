"""Channel sync: health and retries, per-shop set-up (credentials, field and SKU mappings), order imports."""

from app.web.staff.channels import imports, setup, sync  # noqa: F401  (they register their routes on the staff blueprint)
