"""The audit log page (admins) and the helper staff views use to write to the log."""

from app.web.staff.audit import views  # noqa: F401  (registers its routes on the staff blueprint)
