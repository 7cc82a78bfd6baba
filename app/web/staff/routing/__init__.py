"""Staff routing pages: the strategy and its simulation, the parked-orders queue, manual assign and
re-route, and the carriers' rate cards (registered on the staff blueprint)."""

from app.web.staff.routing import backtests, cards, views  # noqa: F401  (views register on the staff blueprint)
