"""Chinese first, English on request; times shown in Asia/Shanghai.

Message ids are the Chinese texts themselves, so the default language needs no catalog at all and
English lives in ``app/translations/en``.
"""

from flask import Flask, request, session
from flask_babel import Babel

LANGUAGE_SESSION_KEY = "language"
LANGUAGE_NAMES = {"zh_Hans_CN": "中文", "en": "English"}


def supported_language(code: str) -> bool:
    return code in LANGUAGE_NAMES


def select_locale() -> str:
    chosen = session.get(LANGUAGE_SESSION_KEY) or request.args.get("lang")
    if chosen and supported_language(chosen):
        return chosen
    return "zh_Hans_CN"


def init_babel(app: Flask, babel: Babel) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    babel.init_app(app, locale_selector=select_locale)
