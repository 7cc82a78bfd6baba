"""What staff configure per shop: API credentials and the sync settings (mapping override, stock share).

Secrets live in the database because the merchant enters them at run time; they are never shown
again in full (``secret_hint``: the last four characters), and a blank secret field on the form keeps
the stored one.
"""

import json
from dataclasses import dataclass

from app.db import db
from app.domain.audit import services as audit
from app.domain.audit.models import AuditAction
from app.domain.channels import mapping, sync
from app.domain.channels.connect import credentials_of, is_api_channel, settings_of
from app.domain.channels.models import ChannelCredentials, ChannelSettings
from app.domain.errors import ValidationError
from app.domain.reference.models import Channel
from app.text import N_, Text


@dataclass
class CredentialsData:
    app_key: str
    app_secret: str = ""  # blank: keep the stored secret
    access_token: str = ""  # blank: keep
    push_secret: str = ""  # blank: keep
    refresh_token: str = ""  # blank: keep


@dataclass
class SettingsData:
    mapping_override: str  # JSON text as typed
    stock_push_enabled: bool = True
    stock_share_pct: int = 100
    virtual_stock: int | None = None
    calls_per_second: int = 10


def secret_hint(secret: str | None) -> str:
    """What may be shown of a secret: its last four characters."""
    return f"••••{secret[-4:]}" if secret else ""


def save_credentials(channel: Channel, data: CredentialsData, actor: str) -> ChannelCredentials:
    """Create or update the shop's credentials; a shop flagged for an expired token may pull again."""
    stored = credentials_of(channel)
    errors = {}
    if not is_api_channel(channel):
        errors["app_key"] = Text(N_("%(platform)s 渠道不通过接口同步"), platform=Text(channel.platform_label))
    app_key = (data.app_key or "").strip()
    if not app_key or len(app_key) > 64:
        errors["app_key"] = N_("请填写 App Key（最多 64 位）")
    if stored is None and not (data.app_secret or "").strip():
        errors["app_secret"] = N_("请填写 App Secret")
    for name, limit in (("app_secret", 128), ("access_token", 255), ("push_secret", 128), ("refresh_token", 255)):
        if len((getattr(data, name) or "").strip()) > limit:
            errors[name] = Text(N_("最多 %(limit)s 位"), limit=limit)
    if errors:
        raise ValidationError(errors)
    if stored is None:
        stored = ChannelCredentials(channel_id=channel.id, app_key=app_key, app_secret="", access_token="",
                                    refresh_token="", push_secret="")
        db.session.add(stored)
    stored.app_key, stored.updated_by = app_key, actor
    for name in ("app_secret", "access_token", "push_secret", "refresh_token"):
        value = (getattr(data, name) or "").strip()
        if value:
            setattr(stored, name, value)
    changed = [name for name in ("app_key", "app_secret", "access_token", "push_secret", "refresh_token")
               if name == "app_key" or (getattr(data, name) or "").strip()]
    audit.record(actor, AuditAction.CHANGE_CREDENTIALS, f"channel:{channel.code}", ", ".join(changed))
    db.session.flush()
    sync.reset_after_new_credentials(channel)
    return stored


def parse_override(text: str) -> dict:
    """The mapping override typed on the page (JSON), validated; raises ValidationError with the reasons."""
    text = (text or "").strip()
    if not text:
        return {}
    try:
        override = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValidationError({"mapping_override": Text(N_("不是有效的 JSON: 第 %(line)s 行第 %(column)s 列"),
                                                        line=error.lineno, column=error.colno)}) from error
    errors = mapping.validate_override(override)
    if errors:
        raise ValidationError({"mapping_override": "；".join(f"{key}: {message}" for key, message in errors.items())})
    return override


def save_settings(channel: Channel, data: SettingsData, actor: str) -> ChannelSettings:
    override = parse_override(data.mapping_override)
    errors = {}
    if data.stock_share_pct is None or not 0 <= data.stock_share_pct <= 100:
        errors["stock_share_pct"] = N_("库存比例应在 0 到 100 之间")
    if data.virtual_stock is not None and data.virtual_stock < 0:
        errors["virtual_stock"] = N_("虚拟库存不能为负数")
    if data.calls_per_second is None or not 1 <= data.calls_per_second <= 1000:
        errors["calls_per_second"] = N_("每秒调用次数应在 1 到 1000 之间")
    if errors:
        raise ValidationError(errors)
    settings = settings_of(channel)
    settings.mapping_override, settings.stock_push_enabled = override, bool(data.stock_push_enabled)
    settings.stock_share_pct, settings.virtual_stock = data.stock_share_pct, data.virtual_stock
    settings.calls_per_second, settings.updated_by = data.calls_per_second, actor
    db.session.flush()
    return settings
