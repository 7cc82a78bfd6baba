"""The tracking aggregator configuration asks for (KUAIDI100_*; see app/config.py)."""

from collections.abc import Mapping

from app.domain.logistics.adapters.base import TrackingAdapter
from app.domain.logistics.adapters.kuaidi100 import Kuaidi100Adapter


def build_tracker(config: Mapping) -> TrackingAdapter | None:
    """The configured aggregator, or None when tracking is off (production without its secrets)."""
    if not config.get("TRACKING_ENABLED"):
        return None
    return Kuaidi100Adapter(config["KUAIDI100_API_URL"], config["KUAIDI100_KEY"], config["KUAIDI100_CUSTOMER"],
                            config["KUAIDI100_SALT"])
