"""What staff views share: paging, the write half of a form view, and one more row for a line table."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask import abort, current_app, flash, redirect, render_template, request, url_for

from app.domain.errors import Conflict, ValidationError
from app.extensions import db
from app.web.forms import apply_domain_errors
from app.web.htmx import is_partial


def page_args(without: str = "") -> dict[str, str]:
    """The current query arguments (filters) for page links, less the page number and ``without``."""
    return {key: value for key, value in request.args.items() if value and key not in ("page", "after", without)}


def paginate(query):
    return db.paginate(query, page=request.args.get("page", 1, type=int),
                       per_page=current_app.config["STAFF_PAGE_SIZE"], error_out=False)


@dataclass(frozen=True)
class KeysetPage:
    """One page of a list walked newest first, continued after the last row shown (keyset paging:
    page 2,000 costs what page 1 does, and no count of the rows before it is needed)."""

    items: list
    after: int | None  # this page continues after that row's id; None on the first page
    next_after: int | None  # the id the next page continues after; None on the last page


def keyset_page(query_after: Callable[[int | None], object]) -> KeysetPage:
    """The page the query string's ``after`` asks for; ``query_after(after_id)`` gives its SELECT."""
    after = request.args.get("after", type=int)
    size = current_app.config["STAFF_PAGE_SIZE"]
    rows = db.session.scalars(query_after(after).limit(size + 1)).all()
    return KeysetPage(rows[:size], after, rows[size - 1].id if len(rows) > size else None)


def count_label(counts: Iterable[int], cap: int) -> str:
    """A tab's or button's count: exact, or "10000+" when one of ``counts`` (each counted up to
    ``cap`` + 1) reached the cap."""
    counts = list(counts)
    total = sum(min(count, cap) for count in counts)
    return f"{total}+" if any(count > cap for count in counts) else str(total)


def save_form(form, save: Callable[[], object], done: Callable[[object], object],
              show_errors: Callable = apply_domain_errors, refused: Callable | None = None):
    """Validate ``form`` → ``save()`` (one domain service) → commit → ``done(result)`` (flash, then a
    redirect or a fragment). Returns what ``done`` returns, or None when the caller must render the form
    again, with ``form_status(form)``:

    - nothing submitted (a GET): 200;
    - the form's own checks failed: 422;
    - the service raised ValidationError: rolled back, ``show_errors(form, error)`` puts it on the
      fields, 422;
    - with ``refused`` given, the service raised a Conflict (state or stock do not allow it): rolled
      back, ``refused(form, error)`` tells the user, 409. Without ``refused`` a Conflict propagates.
    """
    if not form.validate_on_submit():
        form.failed_status = 422 if form.is_submitted() else 200
        return None
    try:
        result = save()
    except ValidationError as error:
        db.session.rollback()
        show_errors(form, error)
        form.failed_status = 422
        return None
    except Conflict as error:
        if refused is None:
            raise
        db.session.rollback()
        refused(form, error)
        form.failed_status = 409
        return None
    db.session.commit()
    return done(result)


def form_status(form) -> int:
    """The status of a page that shows ``form`` again (see save_form)."""
    return getattr(form, "failed_status", 200)


def saved(message: str, location: str):
    """After a successful save: say so, and show the next page (303: the browser GETs it)."""
    flash(message, "success")
    return redirect(location, 303)


def extra_line_row(form_class, max_rows: int, template: str, full_page_endpoint: str):
    """One more empty row for a form's line table (and the "add line" button, moved on): the row at
    ``?index=``, rendered as ``template`` with ``line``, ``index`` and ``max_rows``."""
    if not is_partial():
        return redirect(url_for(full_page_endpoint))
    index = request.args.get("index", 0, type=int)
    if not 0 <= index < max_rows:
        abort(400)
    form = form_class(formdata=None)
    while len(form.lines) <= index:
        form.lines.append_entry()
    return render_template(template, line=form.lines[index], index=index, max_rows=max_rows)
