"""How domain errors and HTTP errors reach a person or a client, in the request's language.

The domain raises errors as data (``app/domain/errors.py``): a kind, a code and a ``Text`` message that
remembers its template and values. Pages, flashes and forms show ``translate(message)``, which looks the
template up in the user's language; the API and webhook JSON keep their contract's Chinese message
(``str(error.message)``), so clients that match on it see no change.
"""

from http import HTTPStatus

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.domain.errors import DomainError, ErrorKind, ValidationError
from app.text import Text

STATUS_BY_KIND = {
    ErrorKind.BAD_REQUEST: HTTPStatus.BAD_REQUEST,
    ErrorKind.INVALID: HTTPStatus.UNPROCESSABLE_ENTITY,
    ErrorKind.NOT_FOUND: HTTPStatus.NOT_FOUND,
    ErrorKind.FORBIDDEN: HTTPStatus.FORBIDDEN,
    ErrorKind.CONFLICT: HTTPStatus.CONFLICT,
}


def status_of(error: DomainError) -> HTTPStatus:
    return STATUS_BY_KIND[error.kind]


def translate(message: str) -> str:
    """``message`` in the request's language; a plain ``str`` (already rendered text) is shown as it is."""
    if not isinstance(message, Text):
        return message
    params = {name: translate(value) for name, value in message.params.items()}
    return gettext(message.template) % params if params else gettext(message.template)


def error_message(error: DomainError) -> str:
    return translate(error.message)


def field_messages(error: ValidationError) -> dict[str, str]:
    return {path: translate(message) for path, message in error.fields.items()}


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def domain_error_body(error: DomainError) -> dict:
    """The API contract's JSON for ``error``: its Chinese message, as the contract documents it."""
    return error_body(error.code, str(error.message), error.details)


def wants_json() -> bool:
    return request.path.startswith(("/api/", "/hooks/"))


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError):
        status = status_of(error)
        if wants_json():
            return jsonify(domain_error_body(error)), status
        return render_template("errors/error.html", status=status, message=error_message(error)), status

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        if wants_json():
            code = (error.name or "error").lower().replace(" ", "_")
            response = jsonify(error_body(code, error.description or error.name))
            if error.code == HTTPStatus.TOO_MANY_REQUESTS and error.retry_after:
                response.headers["Retry-After"] = str(error.retry_after)
            return response, error.code
        template = "errors/429.html" if error.code == HTTPStatus.TOO_MANY_REQUESTS else "errors/error.html"
        return render_template(template, status=error.code, message=_page_message(error)), error.code


def _page_message(error: HTTPException) -> str:
    """Werkzeug's descriptions are English developer texts; a person gets a Chinese sentence instead."""
    if isinstance(error, CSRFError):
        return gettext("页面已过期，请刷新后重试。")
    return gettext("请求无法处理，请返回后重试。")
