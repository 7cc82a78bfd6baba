"""Reads for the finance pages and the portal: the filtered invoice queue and its counts."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select

from app.db import db
from app.domain.invoicing.models import Invoice, invoice_orders
from app.domain.orders.models import Order

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass
class InvoiceFilters:
    status: str | None = None
    channel_id: int | None = None
    min_fen: int | None = None
    max_fen: int | None = None
    created_from: date | None = None  # Shanghai calendar days, inclusive
    created_to: date | None = None
    q: str = ""  # an order number, invoice number, request number or title


def search_invoices(filters: InvoiceFilters) -> Select:
    return _filtered(select(Invoice), filters).order_by(Invoice.created_at.desc(), Invoice.id.desc())


def status_counts(filters: InvoiceFilters) -> dict[str, int]:
    without_status = InvoiceFilters(**vars(filters) | {"status": None})
    query = _filtered(select(Invoice.status, func.count(Invoice.id)), without_status).group_by(Invoice.status)
    return dict(db.session.execute(query).all())


def invoices_for_orders(order_ids: list[int]) -> dict[int, list[Invoice]]:
    """Each order's invoices (for the portal's order list), oldest first."""
    rows = db.session.execute(
        select(invoice_orders.c.order_id, Invoice).join(Invoice, Invoice.id == invoice_orders.c.invoice_id)
        .where(invoice_orders.c.order_id.in_(order_ids)).order_by(Invoice.id)).all()
    found: dict[int, list[Invoice]] = {}
    for order_id, invoice in rows:
        found.setdefault(order_id, []).append(invoice)
    return found


def _filtered(query: Select, filters: InvoiceFilters) -> Select:
    if filters.status:
        query = query.where(Invoice.status == filters.status)
    if filters.channel_id:
        query = query.where(Invoice.channel_id == filters.channel_id)
    if filters.min_fen is not None:
        query = query.where(Invoice.total_fen >= filters.min_fen)
    if filters.max_fen is not None:
        query = query.where(Invoice.total_fen <= filters.max_fen)
    if filters.created_from:
        query = query.where(Invoice.created_at >= _day_start(filters.created_from))
    if filters.created_to:
        query = query.where(Invoice.created_at < _day_start(filters.created_to + timedelta(days=1)))
    if text := filters.q.strip():
        by_order = select(invoice_orders.c.invoice_id).join(Order, Order.id == invoice_orders.c.order_id).where(
            Order.order_no == text)
        query = query.where((Invoice.number == text) | (Invoice.request_no == text) | Invoice.id.in_(by_order)
                            | Invoice.title.contains(text, autoescape=True))
    return query


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, SHANGHAI)
