"""Customer messages: the queue of messages that did not go out, resends, the simulators' inbox."""

# Imported for their side effect: the view modules register their routes on the staff blueprint.
from app.web.staff.notifications import views  # noqa: F401
