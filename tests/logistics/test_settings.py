"""KUAIDI100_* settings: the simulator outside production, off or complete in production."""

import pytest

from app.config import Config, ConfigError
from app.domain.errors import ValidationError
from app.domain.logistics.connect import build_tracker
from app.domain.reference.services import ChannelData, save_channel

PRODUCTION = {
    "ORDERHUB_ENV": "production", "SECRET_KEY": "a-real-secret-of-at-least-thirty-two-bytes",
    "CREDENTIAL_KEYS": "8T8pV3oDpN9cZ3Hc1Tj0yq6k1Yc2pZ3qM5xW8vB0aE4=",
    "DATABASE_URL": "postgresql://orderhub:pw@db.internal:5432/orderhub", "REDIS_URL": "redis://cache.internal:6379/0",
}
REAL = {"KUAIDI100_KEY": "k", "KUAIDI100_CUSTOMER": "C", "KUAIDI100_SALT": "s",
        "KUAIDI100_CALLBACK_URL": "https://orderhub.example.com/hooks/logistics/kuaidi100"}


def test_development_tracks_through_the_local_simulator():
    settings = Config.from_environment({"PORT": "8080"})
    assert settings["TRACKING_ENABLED"] is True
    assert settings["KUAIDI100_API_URL"] == "http://127.0.0.1:8201"  # the simulator follows PORT (+121)
    assert settings["KUAIDI100_CALLBACK_URL"] == "http://127.0.0.1:8080/hooks/logistics/kuaidi100"
    assert build_tracker(settings).api_url == "http://127.0.0.1:8201"


def test_production_tracks_only_when_configured():
    off = Config.from_environment(PRODUCTION)
    assert off["TRACKING_ENABLED"] is False and build_tracker(off) is None
    on = Config.from_environment(PRODUCTION | REAL)
    assert on["TRACKING_ENABLED"] is True and on["KUAIDI100_API_URL"] == "https://poll.kuaidi100.com"
    assert on["KUAIDI100_SALT"] == "s"


@pytest.mark.parametrize("missing", sorted(REAL))
def test_production_refuses_a_half_configured_tracker(missing):
    with pytest.raises(ConfigError, match=missing):
        Config.from_environment(PRODUCTION | {name: value for name, value in REAL.items() if name != missing})


def test_each_channel_completes_signed_orders_after_seven_days_unless_set(app_context):
    assert ChannelData("c1", "manual", "店").auto_complete_days == 7
    assert save_channel(ChannelData("c2", "manual", "店", auto_complete_days=3)).auto_complete_days == 3
    with pytest.raises(ValidationError) as refused:
        save_channel(ChannelData("c3", "manual", "店", auto_complete_days=0))
    assert "auto_complete_days" in refused.value.fields
