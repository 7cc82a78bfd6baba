"""The database or Redis unreachable: a 503 with a clear page or JSON body, never a bare 500.

Flask-Limiter, Flask-Login's user loader, RQ and the views all talk to one of the two, so the failure
can surface anywhere in a request; one handler per exception family catches it wherever it does.
An ``OperationalError`` is SQLAlchemy's "the database did not answer" family (connection refused or
dropped, a lock timeout); errors in our own SQL are ``ProgrammingError`` and stay 500s.
"""

from contextlib import suppress
from http import HTTPStatus

from flask import Flask, current_app, jsonify, make_response, render_template
from flask_babel import gettext as _
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from app.extensions import db
from app.web.errors import error_body, wants_json

RETRY_AFTER_SECONDS = 30


def init_app(app: Flask) -> None:
    app.register_error_handler(OperationalError, service_unavailable)
    app.register_error_handler(RedisConnectionError, service_unavailable)
    app.register_error_handler(RedisTimeoutError, service_unavailable)


def service_unavailable(error: Exception):
    current_app.logger.warning("answering 503: %s: %s", type(error).__name__, error)
    with suppress(SQLAlchemyError):  # a broken connection goes back to the pool; its own error is known
        db.session.rollback()
    message = _("系统暂时不可用，请稍后再试。")
    if wants_json():
        response = jsonify(error_body("service_unavailable", message))
    else:
        # A page of its own: the usual error page asks for the signed-in user, i.e. the database.
        response = make_response(render_template("errors/unavailable.html", message=message))
    response.status_code = HTTPStatus.SERVICE_UNAVAILABLE
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response

