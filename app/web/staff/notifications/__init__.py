"""Customer messages: the queue of messages that did not go out, resends, the simulators' inbox."""

from app.web.staff.notifications import views  # noqa: F401  (it registers its routes on the staff blueprint)
