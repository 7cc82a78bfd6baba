"""The one place that decides between a whole page and a fragment for htmx."""

from flask import make_response, render_template, request


def is_partial() -> bool:
    """True for an htmx request that wants a fragment: not a boosted navigation, not a history restore."""
    htmx = request.htmx
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render_page_or_partial(page: str, partial: str, status: int = 200, **context):
    """Render ``partial`` for htmx fragment requests and ``page`` (which includes it) otherwise."""
    response = make_response(render_template(partial if is_partial() else page, **context), status)
    response.vary.add("HX-Request")
    return response
