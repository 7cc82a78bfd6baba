"""The one place that decides between a whole page and a fragment for htmx."""

from flask import make_response, redirect, render_template, request


def is_partial() -> bool:
    """True for an htmx request that wants a fragment: not a boosted navigation, not a history restore."""
    htmx = request.htmx
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render_page_or_partial(page: str, partial: str, status: int = 200, **context):
    """Render ``partial`` for htmx fragment requests and ``page`` (which includes it) otherwise."""
    return vary_on_htmx(make_response(render_template(partial if is_partial() else page, **context), status))


def vary_on_htmx(response):
    """Mark a response that depends on ``HX-Request``, so no cache serves a fragment as a page (or back)."""
    response.vary.add("HX-Request")
    return response


def redirect_page(location: str):
    """Go to ``location`` as a whole new page: htmx is told with ``HX-Redirect`` (its XHR would follow
    a 3xx silently and swap the target page into the fragment's place); anything else gets a 303."""
    if is_partial():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = location
        return response
    return redirect(location, 303)
