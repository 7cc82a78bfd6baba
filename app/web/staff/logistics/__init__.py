"""Staff logistics pages: parcels by state, and a re-poll button (registered on the staff blueprint)."""

from app.web.staff.logistics import views  # noqa: F401  (views register on the staff blueprint)
