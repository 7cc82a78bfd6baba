"""Building a shop's adapter: its class, its credentials, its gateway, its shared rate limit.

Workers, commands and the webhook views call ``build_adapter(channel, app.config)``: the gateway URL
comes from configuration (``TAOBAO_GATEWAY_URL``…; unset: the real platform in production, the local
simulator elsewhere), handed in by the caller, so the domain never reads Flask's config itself.
"""

import time
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from sqlalchemy import select

from app.db import db, insert_unless_taken
from app.domain.channels.adapters import ADAPTERS, adapter_class
from app.domain.channels.adapters.base import ChannelAdapter, Credentials
from app.domain.channels.models import ChannelCredentials, ChannelSettings
from app.domain.channels.ratelimit import ChannelLimiter
from app.domain.errors import Conflict
from app.domain.reference.models import Channel
from app.text import N_, Text

CONNECT_TIMEOUT = 5.0  # seconds
DEFAULT_READ_TIMEOUT = 20.0  # seconds; CHANNEL_READ_TIMEOUT in the configuration


def api_platforms() -> set[str]:
    """Platforms we talk to over an API (the others take orders by hand, POS or our own API)."""
    return set(ADAPTERS)


def is_api_channel(channel: Channel) -> bool:
    return channel.platform in ADAPTERS


def credentials_of(channel: Channel) -> ChannelCredentials | None:
    return db.session.scalar(select(ChannelCredentials).where(ChannelCredentials.channel_id == channel.id))


def settings_of(channel: Channel) -> ChannelSettings:
    """The shop's settings row, created with the defaults the first time it is asked for (by whichever of
    two workers asking at once inserts it first: a pull and its helper jobs start together)."""
    query = select(ChannelSettings).where(ChannelSettings.channel_id == channel.id)
    settings = db.session.scalar(query)
    if settings is None:
        settings = ChannelSettings(channel_id=channel.id, mapping_override={}, stock_push_enabled=True,
                                   stock_share_pct=100, calls_per_second=10)
        if not insert_unless_taken(settings):
            settings = db.session.scalar(query)
    return settings


def build_adapter(channel: Channel, config: Mapping, *, sleep: Callable[[float], None] = time.sleep,
                  limited: bool = True) -> ChannelAdapter:
    """The adapter for ``channel``; raises Conflict when the platform has none or no credentials are set."""
    cls = adapter_class(channel.platform)
    if cls is None:
        raise Conflict(N_("渠道 %(channel)s 的平台（%(platform)s）没有接口同步"), channel=channel.code,
                       platform=Text(channel.platform_label))
    stored = credentials_of(channel)
    if stored is None:
        raise Conflict(N_("渠道 %(channel)s 还没有配置接口凭证"), channel=channel.code)
    credentials = Credentials(stored.app_key, stored.app_secret, stored.access_token, stored.refresh_token,
                              stored.push_secret)
    limiter = ChannelLimiter(channel.id, settings_of(channel).calls_per_second, sleep=sleep) if limited else None
    timeout = (CONNECT_TIMEOUT, float(config.get("CHANNEL_READ_TIMEOUT", DEFAULT_READ_TIMEOUT)))
    return cls(credentials, gateway_url(cls, config), limiter=limiter, sleep=sleep, timeout=timeout)


def gateway_url(cls: type[ChannelAdapter], config: Mapping) -> str:
    """The configured gateway; unset, the real platform in production and the local simulator elsewhere."""
    if config.get(cls.gateway_setting):
        return config[cls.gateway_setting]
    if config.get("ORDERHUB_ENV") == "production":
        return cls.default_gateway
    return simulator_url(cls, config) + urlsplit(cls.default_gateway).path


def simulator_url(cls: type[ChannelAdapter], config: Mapping) -> str:
    """Where ``flask simulators`` serves this platform's simulator (``TAOBAO_SIMULATOR_PORT``…)."""
    port = config.get(f"{cls.platform.upper()}_SIMULATOR_PORT")
    return f"http://{config.get('SIMULATOR_HOST') or '127.0.0.1'}:{port}"
