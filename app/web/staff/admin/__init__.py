"""Administration: staff accounts, open API tokens, background jobs."""

# Imported for their side effect: the view modules register their routes on the staff blueprint.
from app.web.staff.admin import api_tokens, jobs, users  # noqa: F401
