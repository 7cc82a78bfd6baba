"""Every web request gets an id: the caller's ``X-Request-ID`` if it is a sane one, else a new one.

It is on every log line written while the request is handled, the server's access line included, and
it comes back in the response's ``X-Request-ID`` header, so a customer's or a proxy's report can be
found in the logs. WSGI middleware rather than a Flask hook: the access line is written by the server
after Flask has finished with the request, but before the response iterable is closed.
"""

import re
import uuid

from werkzeug.wsgi import ClosingIterator

from app.logging_setup import request_id

HEADER = "X-Request-ID"
# Ids from outside go into log lines: no spaces, no line breaks, nothing long.
ACCEPTED = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class RequestIdMiddleware:
    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        given = environ.get("HTTP_X_REQUEST_ID", "")
        current = given if ACCEPTED.fullmatch(given) else uuid.uuid4().hex
        request_id.set(current)

        def start_with_id(status, headers, exc_info=None):
            headers = [(name, value) for name, value in headers if name.lower() != HEADER.lower()]
            return start_response(status, [*headers, (HEADER, current)], exc_info)

        try:
            response = self.wsgi_app(environ, start_with_id)
        except BaseException:
            request_id.set(None)
            raise
        return ClosingIterator(response, lambda: request_id.set(None))
