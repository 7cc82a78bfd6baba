"""Chinese first, English on request; times shown in Asia/Shanghai.

Message ids are the Chinese texts themselves, so the default language needs no catalog at all and
English lives in ``app/translations/en``.
"""

from flask import Flask, g, request, session
from flask_babel import Babel, get_translations

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
    # The templates' _() and ngettext through the catalog this request already chose (Flask-Babel's
    # own callables look the locale, the domain and the catalog up again on every call).
    app.jinja_env.install_gettext_callables(
        gettext=lambda text: translations().ugettext(text),
        ngettext=lambda singular, plural, n: translations().ungettext(singular, plural, n),
        pgettext=lambda context, text: translations().upgettext(context, text),
        npgettext=lambda context, singular, plural, n: translations().unpgettext(context, singular, plural, n),
        newstyle=True)


def translations():
    """The catalog of the current request's language, as ``flask_babel.get_translations()`` finds it,
    remembered for the locale it was found for: a page asks hundreds of times, and a change of
    locale inside the request (Flask-Babel's ``force_locale``, ``refresh``) is a new locale object."""
    state = g.get("_flask_babel") if g else None
    locale = getattr(state, "babel_locale", None)
    remembered = getattr(state, "orderhub_translations", None)
    if locale is not None and remembered is not None and remembered[0] is locale:
        return remembered[1]
    catalog = get_translations()
    state = g.get("_flask_babel") if g else None  # Flask-Babel creates it on first use
    if state is not None and getattr(state, "babel_locale", None) is not None:
        state.orderhub_translations = (state.babel_locale, catalog)
    return catalog


def gettext(text: str, **variables) -> str:
    """``flask_babel.gettext`` through :func:`translations`."""
    translated = translations().ugettext(text)
    return translated % variables if variables else translated
