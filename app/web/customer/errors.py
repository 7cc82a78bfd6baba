"""How the portal answers a bad link or too many requests: a page in the portal's own layout that
says what to do next and reveals nothing about any order."""

from http import HTTPStatus

from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import TooManyRequests

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
    response = render_page_or_partial("customer/429.html", "customer/_too_many.html",
                                      HTTPStatus.TOO_MANY_REQUESTS)
    if getattr(error, "retry_after", None):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


@bp.errorhandler(CSRFError)
def form_expired(error: CSRFError):
    # Usually a page left open past its session, or cookies blocked: say how to recover.
    return render_page_or_partial("customer/form_expired.html", "customer/_form_expired.html",
                                  HTTPStatus.BAD_REQUEST)
