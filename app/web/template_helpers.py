"""Filters and globals every template may use: money, local times, the navigation, the language."""

from datetime import UTC
from functools import cache

from flask import Flask, request
from flask_babel import format_datetime, get_timezone
from flask_login import current_user

from app import privacy
from app.domain.channels import mapping as channel_mapping
from app.domain.channels import models as channel_models
from app.domain.inventory.models import MOVEMENT_LABELS
from app.domain.invoicing import reversal as invoice_reversal
from app.domain.invoicing import states as invoice_states
from app.domain.notifications import models as notification_models
from app.domain.orders.deadlines import RULE_LABELS
from app.domain.orders.states import ACTION_LABELS, STATUS_LABELS
from app.domain.reference.models import PLATFORM_LABELS
from app.domain.routing import backtest as routing_backtest
from app.domain.routing import services as routing
from app.i18n import LANGUAGE_NAMES, gettext, select_locale
from app.money import format_money
from app.text import Text
from app.web.errors import translate
from app.web.navigation import navigation_for

#: The all-digit patterns the pages use, as strftime formats: the same in every language, so they need
#: none of Babel's locale machinery (a list of 50 orders shows 50 times).
NUMERIC_PATTERNS = {"yyyy-MM-dd HH:mm": "%Y-%m-%d %H:%M", "yyyy-MM-dd HH:mm:ss": "%Y-%m-%d %H:%M:%S",
                    "MM-dd HH:mm": "%m-%d %H:%M", "MM-dd HH:mm:ss": "%m-%d %H:%M:%S", "HH:mm:ss": "%H:%M:%S"}


def local_time(value, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    """An aware UTC datetime shown in Asia/Shanghai (the configured Babel timezone); a naive one is
    taken as UTC, as Babel does."""
    if not value:
        return ""
    numeric = NUMERIC_PATTERNS.get(fmt)
    if numeric is None:
        return format_datetime(value, fmt)
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(get_timezone()).strftime(numeric)


@cache
def domain_labels() -> frozenset[str]:
    """Every fixed text the domain's label tables define (marked with ``N_`` there)."""
    tables = (STATUS_LABELS, ACTION_LABELS, RULE_LABELS, MOVEMENT_LABELS, PLATFORM_LABELS,
              channel_mapping.STAGE_LABELS, channel_models.SYNC_STATUS_LABELS,
              channel_models.PAYLOAD_STATUS_LABELS, channel_models.IMPORT_STATUS_LABELS,
              notification_models.CHANNEL_LABELS, notification_models.STATUS_LABELS,
              invoice_states.STATUS_LABELS, invoice_states.EVENT_LABELS, invoice_reversal.RED_REASONS,
              routing.REASON_LABELS, routing.OUTCOME_LABELS, routing.STRATEGY_LABELS, routing_backtest.STATUS_LABELS)
    return frozenset(label for table in tables for label in table.values())


def translate_domain_label(value):
    """Jinja's ``finalize``: a domain label or message (``Text``) printed in a template is shown in the
    user's language."""
    if isinstance(value, Text):
        return translate(value)
    if isinstance(value, str) and value in domain_labels():
        return gettext(value)
    return value


def init_app(app: Flask) -> None:
    app.jinja_env.finalize = translate_domain_label
    app.add_template_filter(format_money, "money")
    app.add_template_filter(local_time, "local_time")
    # Personal data reaches pages only through app.privacy (PIPL minimisation).
    app.add_template_filter(privacy.mask_name, "mask_name")
    app.add_template_filter(privacy.mask_phone, "mask_phone")
    app.add_template_filter(privacy.mask_email, "mask_email")
    app.add_template_filter(privacy.mask_phones_in, "mask_phones_in")
    app.add_template_filter(privacy.mask_waybill, "mask_waybill")
    app.add_template_global(privacy.mask_address, "mask_address")

    @app.context_processor
    def inject_shell():
        return {
            "navigation": navigation_for(current_user) if current_user.is_authenticated else [],
            "language_names": LANGUAGE_NAMES,
            "current_language": select_locale(),
            "current_path": request.full_path.rstrip("?"),
        }
