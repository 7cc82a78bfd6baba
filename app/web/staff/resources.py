"""List, live search, create and inline edit for the simple reference tables.

SKUs, warehouses, channels and carriers differ only in their columns, form and service function, so
those are described as data (a ``Resource``) and one set of views and templates serves them all.
Anything with more behaviour than that (bundles, orders, stock) gets views of its own.
"""

from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import or_, select

from app.auth import role_required
from app.auth.roles import Area
from app.extensions import db
from app.web.errors import error_message
from app.web.htmx import is_partial, render_page_or_partial, vary_on_htmx
from app.web.staff.pages import form_status, save_form, saved


@dataclass(frozen=True)
class Column:
    label: str
    value: Callable[[object], object]


@dataclass(frozen=True)
class Resource:
    singular: str  # "sku": endpoints create_sku, edit_sku, show_sku
    plural: str  # "skus": endpoint list_skus, URL /staff/skus
    title: str
    model: type
    form_class: type
    columns: tuple[Column, ...]
    search_columns: tuple
    order_by: tuple
    save: Callable  # save(form, row_or_None) -> row; raises ValidationError, or Conflict (a concurrent create)
    area: Area
    where: object = None  # narrows the list to this resource's rows when a model serves two

    @property
    def endpoints(self) -> dict[str, str]:
        return {
            "list": f"staff.list_{self.plural}",
            "create": f"staff.create_{self.singular}",
            "edit": f"staff.edit_{self.singular}",
            "show": f"staff.show_{self.singular}",
        }


def register(bp: Blueprint, resource: Resource) -> None:
    guard = role_required(resource.area)
    base = f"/{resource.plural}"
    bp.add_url_rule(base, f"list_{resource.plural}", guard(lambda: _list(resource)))
    bp.add_url_rule(f"{base}/new", f"create_{resource.singular}", guard(lambda: _create(resource)),
                    methods=["GET", "POST"])
    bp.add_url_rule(f"{base}/<int:row_id>/edit", f"edit_{resource.singular}",
                    guard(lambda row_id: _edit(resource, row_id)), methods=["GET", "POST"])
    bp.add_url_rule(f"{base}/<int:row_id>", f"show_{resource.singular}",
                    guard(lambda row_id: _show(resource, row_id)))


def _list(resource: Resource):
    search = request.args.get("q", "").strip()
    page = request.args.get("page", 1, type=int)
    query = select(resource.model).order_by(*resource.order_by)
    if resource.where is not None:
        query = query.where(resource.where)
    if search:
        pattern = f"%{search}%"
        query = query.where(or_(*(column.ilike(pattern) for column in resource.search_columns)))
    pagination = db.paginate(query, page=page, per_page=50, error_out=False)
    return render_page_or_partial(
        "staff/resources/list.html", "staff/resources/_rows.html",
        resource=resource, pagination=pagination, rows=pagination.items, search=search,
    )


def _create(resource: Resource):
    form = resource.form_class()
    response = save_form(form, lambda: resource.save(form, None),
                         lambda row: saved(_("已创建 %(code)s", code=row.code), url_for(resource.endpoints["list"])),
                         # the same code created by a concurrent request after the service's check
                         refused=lambda form, error: form.form_errors.append(error_message(error)))
    return response or (render_template("staff/resources/form.html", resource=resource, form=form),
                        form_status(form))


def _edit(resource: Resource, row_id: int):
    row = db.get_or_404(resource.model, row_id)
    form = resource.form_class(obj=row)
    response = save_form(form, lambda: resource.save(form, row), lambda _row: _edited(resource, row))
    return response or render_page_or_partial("staff/resources/form.html", "staff/resources/_edit_row.html",
                                              form_status(form), resource=resource, form=form, row=row)


def _edited(resource: Resource, row):
    if is_partial():
        return render_template("staff/resources/_row.html", resource=resource, row=row)
    return saved(_("已保存 %(code)s", code=row.code), url_for(resource.endpoints["list"]))


def _show(resource: Resource, row_id: int):
    """The read-only row (what "cancel" in an inline edit swaps back in); a full page gets the list."""
    row = db.get_or_404(resource.model, row_id)
    if not is_partial():
        return vary_on_htmx(redirect(url_for(resource.endpoints["list"], q=row.code)))
    return vary_on_htmx(make_response(render_template("staff/resources/_row.html", resource=resource, row=row)))
