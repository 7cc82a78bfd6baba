"""Limits on what a request may carry, checked before any view (and, for bodies, before CSRF) runs.

- Size: ``MAX_CONTENT_LENGTH`` for everything, ``HOOKS_MAX_CONTENT_LENGTH`` (smaller) for the
  unauthenticated /hooks, and a view's own ``allow_body_size`` (the file import) where it needs more.
  Werkzeug stops reading at the limit and answers 413.
- JSON nesting deeper than ``MAX_JSON_DEPTH`` is refused from the raw bytes, before anything parses
  them (Python's parser would hit its recursion limit and answer 500).
- NUL bytes and lone UTF-16 surrogates in any string (query string, path, form field, JSON value) are
  refused with 422 naming the field: PostgreSQL cannot store either, so they used to become 500s.
"""

import json
import re

from flask import Flask, current_app, request
from flask_babel import gettext as _

from app.domain.errors import DomainError, ValidationError

_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = re.compile(rb"[^\[\]{}]")
_BAD_CHARACTERS = re.compile("[\x00\ud800-\udfff]")
JSON_BODY_PREFIXES = (b"{", b"[")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def init_app(app: Flask) -> None:
    # First of all before_request functions: CSRFProtect reads the form, which must already be limited.
    app.before_request_funcs.setdefault(None, []).insert(0, limit_body_size)
    app.before_request(refuse_deep_json)
    app.before_request(refuse_bad_characters)


def allow_body_size(limit_setting: str):
    """Give one view a body limit of its own (the setting's name), e.g. a file upload."""

    def decorator(view):
        view.body_limit_setting = limit_setting  # read by limit_body_size, before the view runs
        return view

    return decorator


def limit_body_size() -> None:
    view = current_app.view_functions.get(request.endpoint)
    setting = getattr(view, "body_limit_setting", None)
    if setting is None and request.path.startswith("/hooks/"):
        setting = "HOOKS_MAX_CONTENT_LENGTH"
    if setting is not None:
        request.max_content_length = current_app.config[setting]


def refuse_deep_json() -> None:
    body = _json_body_bytes()
    if body is not None and json_depth(body) > current_app.config["MAX_JSON_DEPTH"]:
        raise DomainError(_("JSON 嵌套层数过多"))


def json_depth(body: bytes) -> int:
    """How deeply arrays and objects nest, counted on the brackets outside string literals."""
    depth = deepest = 0
    for bracket in _NOT_BRACKETS.sub(b"", _STRINGS.sub(b"", body)):
        depth += 1 if bracket in b"[{" else -1
        deepest = max(deepest, depth)
    return deepest


def refuse_bad_characters() -> None:
    fields = list(request.args.items(multi=True))
    fields += [(name, value) for name, value in (request.view_args or {}).items() if isinstance(value, str)]
    body = _json_body_bytes()
    if body is not None:
        fields += _json_strings(_parsed(body))
    elif request.mimetype in FORM_TYPES and not request.path.startswith("/hooks/"):
        fields += request.form.items(multi=True)  # (hooks sign their raw bytes: never parse them as a form)
    bad = sorted({name for name, value in fields if _BAD_CHARACTERS.search(value)})
    if bad:
        message = _("不能包含空字符或无效的 Unicode 字符")
        raise ValidationError(dict.fromkeys(bad, message),
                              _("输入包含不允许的字符：%(fields)s", fields="、".join(bad)))


def _parsed(body: bytes):
    """The body parsed on its own (the views' ``get_json`` keeps its own rules); malformed JSON is the
    view's to refuse, with its usual message."""
    try:
        return json.loads(body)
    except ValueError:
        return None


def _json_body_bytes() -> bytes | None:
    """The body, if it is (or looks like) JSON; form posts and empty bodies give None."""
    if request.mimetype in FORM_TYPES:
        return None
    body = request.get_data(cache=True)
    if request.is_json or body.lstrip().startswith(JSON_BODY_PREFIXES):
        return body
    return None


def _json_strings(value, path: str = "") -> list[tuple[str, str]]:
    return list(_walk_strings(value, path))


def _walk_strings(value, path: str):
    """Every string in a parsed JSON value, keys included, as (``lines[1].sku``-style path, text)."""
    if isinstance(value, str):
        yield path or "body", value
    elif isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            yield child, str(key)
            yield from _walk_strings(item, child)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk_strings(item, f"{path}[{index}]")

