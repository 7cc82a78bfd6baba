"""Administration: staff accounts, open API tokens, background jobs."""

from app.web.staff.admin import api_tokens, jobs, users  # noqa: F401  (they register their routes on the staff blueprint)
