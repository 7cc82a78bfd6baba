"""Security headers on every response: one after-request hook instead of a library, because the policy
is a handful of fixed headers and the one decision that varies (which responses may be cached) is ours.

The CSP allows only our own scripts and styles: htmx is vendored under static/, templates carry no
inline ``<script>``, ``style=""`` or ``hx-on`` attributes, and htmx is told (in the ``htmx-config`` meta
tag) not to inject its indicator ``<style>``, so neither scripts nor styles need ``'unsafe-inline'``.
"""

from flask import Flask, request

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
FIXED_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"


def init_app(app: Flask) -> None:
    production = app.config["ORDERHUB_ENV"] == "production"

    @app.after_request
    def add_security_headers(response):
        for name, value in FIXED_HEADERS.items():
            response.headers.setdefault(name, value)
        if production:
            # Only production is served over HTTPS; HSTS on a development http://localhost would make
            # the browser refuse plain HTTP to that host for a year.
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if request.endpoint != "static" and "Cache-Control" not in response.headers:
            # Every page but the static assets is either behind a login or about one customer's order.
            response.headers["Cache-Control"] = "no-store"
        return response
