"""The errors the domain raises, and how each one reaches an HTTP client.

Domain code raises these with a stable ``code`` (the API contract's error codes) and a message that a
person can read; the web layer decides whether that becomes the JSON error format or a page.
"""

from http import HTTPStatus

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    status = HTTPStatus.BAD_REQUEST
    code = "bad_request"

    def __init__(self, message: str, *, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}


class ValidationError(DomainError):
    """Input that breaks a rule; ``details["fields"]`` maps field names to messages."""

    status = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "validation_error"

    def __init__(self, fields: dict[str, str], message: str = "输入有误"):
        super().__init__(message, details={"fields": fields})
        self.fields = fields


class NotFound(DomainError):
    status = HTTPStatus.NOT_FOUND
    code = "not_found"


class PermissionDenied(DomainError):
    status = HTTPStatus.FORBIDDEN
    code = "forbidden"


class Conflict(DomainError):
    status = HTTPStatus.CONFLICT
    code = "conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class OutOfStock(Conflict):
    code = "out_of_stock"


class IdempotencyConflict(Conflict):
    code = "idempotency_conflict"


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def wants_json() -> bool:
    return request.path.startswith(("/api/", "/hooks/"))


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError):
        if wants_json():
            return jsonify(error_body(error.code, error.message, error.details)), error.status
        return render_template("errors/error.html", status=error.status, message=error.message), error.status

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
        return _("页面已过期，请刷新后重试。")
    return _("请求无法处理，请返回后重试。")
