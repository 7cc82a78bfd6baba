"""Channel sync: health and retries, per-shop set-up (credentials, field and SKU mappings), order imports."""

# Imported for their side effect: the view modules register their routes on the staff blueprint.
from app.web.staff.channels import imports, setup, sync  # noqa: F401
