"""Saved views of the order list (常用筛选), one set per member of staff: a name for a set of filters."""

from sqlalchemy import func, select

from app.db import db, insert_unless_taken
from app.domain.errors import Conflict, NotFound, ValidationError
from app.domain.workbench.models import SavedView
from app.text import N_, Text

MAX_VIEWS = 20
MAX_NAME = 40
MAX_QUERY = 500


def views_of(owner: str) -> list[SavedView]:
    return list(db.session.scalars(select(SavedView).where(SavedView.owner == owner).order_by(SavedView.name)))


def save(owner: str, name: str, query: str) -> SavedView:
    """Save the filters ``query`` (the list's query string, already reduced to its filters) as ``name``;
    a view of the same name is replaced."""
    name, query = (name or "").strip(), (query or "").strip()
    if not name or len(name) > MAX_NAME:
        raise ValidationError({"name": Text(N_("请填写视图名称（最多 %(limit)s 字）"), limit=MAX_NAME)})
    if len(query) > MAX_QUERY:
        raise ValidationError({"name": N_("筛选条件太长，不能保存")})
    existing = db.session.scalar(select(SavedView).where(SavedView.owner == owner, SavedView.name == name))
    if existing is not None:
        existing.query = query
        db.session.flush()
        return existing
    count = db.session.scalar(select(func.count(SavedView.id)).where(SavedView.owner == owner))
    if count >= MAX_VIEWS:
        raise ValidationError({"name": Text(N_("每人最多保存 %(limit)s 个视图，请先删除不用的"), limit=MAX_VIEWS)})
    view = SavedView(owner=owner, name=name, query=query)
    if not insert_unless_taken(view):
        raise Conflict(N_("同名视图刚刚被保存，请重试"))
    return view


def delete(owner: str, view_id: int) -> None:
    """Delete one of ``owner``'s views (another person's is not found)."""
    view = db.session.get(SavedView, view_id)
    if view is None or view.owner != owner:
        raise NotFound(N_("没有这个视图"))
    db.session.delete(view)
    db.session.flush()
