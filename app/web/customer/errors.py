"""How the portal answers a bad link or too many requests: a page in the portal's own layout that
says what to do next and reveals nothing about any order."""

import math
import time
from http import HTTPStatus

from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import TooManyRequests

from app.extensions import limiter
from app.web.customer import bp
from app.web.customer.links import LinkExpired, LinkInvalid
from app.web.htmx import render_page_or_partial


@bp.errorhandler(LinkInvalid)
def link_refused(error: LinkInvalid):
    # An expired genuine link gets 410 (it did exist); anything else 404. The page is the same.
    status = HTTPStatus.GONE if isinstance(error, LinkExpired) else HTTPStatus.NOT_FOUND
    return render_page_or_partial("customer/link_refused.html", "customer/_link_refused.html", status)


@bp.errorhandler(TooManyRequests)
def too_many_requests(error: TooManyRequests):
    wait = seconds_to_wait(error)
    response = render_page_or_partial("customer/429.html", "customer/_too_many.html",
                                      HTTPStatus.TOO_MANY_REQUESTS, minutes=math.ceil(wait / 60) if wait else None)
    if wait:
        response.headers["Retry-After"] = str(wait)
    return response


def seconds_to_wait(error: TooManyRequests) -> int | None:
    """How long until the breached limit lets the caller in again: Flask-Limiter's window, or what the
    raiser said; None when neither knows."""
    if getattr(error, "retry_after", None):
        return int(error.retry_after)
    current = limiter.current_limit
    if current is None or not current.breached:
        return None
    return max(1, int(current.reset_at - time.time()))  # rounded as Flask-Limiter's own Retry-After header


@bp.errorhandler(CSRFError)
def form_expired(error: CSRFError):
    # Usually a page left open past its session, or cookies blocked: say how to recover.
    return render_page_or_partial("customer/form_expired.html", "customer/_form_expired.html",
                                  HTTPStatus.BAD_REQUEST)
