"""Filters and globals every template may use: money, local times, the navigation, the language."""

from flask import Flask, request
from flask_babel import format_datetime
from flask_login import current_user

from app.i18n import LANGUAGE_NAMES, select_locale
from app.money import format_money
from app.web.navigation import navigation_for


def local_time(value, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    """An aware UTC datetime shown in Asia/Shanghai (the configured Babel timezone)."""
    return format_datetime(value, fmt) if value else ""


def init_app(app: Flask) -> None:
    app.add_template_filter(format_money, "money")
    app.add_template_filter(local_time, "local_time")

    @app.context_processor
    def inject_shell():
        return {
            "navigation": navigation_for(current_user) if current_user.is_authenticated else [],
            "language_names": LANGUAGE_NAMES,
            "current_language": select_locale(),
            "current_path": request.full_path.rstrip("?"),
        }
