"""/staff/logistics: parcels that went quiet, parcels in trouble, parcels signed today, and parcels the
aggregator is not pushing; each can be polled again now."""

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _

from app.auth import role_required
from app.auth.roles import Area
from app.db import utcnow
from app.domain.logistics import queries
from app.domain.logistics.models import SUBSCRIPTION_LABELS, Shipment
from app.extensions import db
from app.jobs import enqueue_now
from app.web.htmx import render_page_or_partial
from app.web.staff import bp

REFRESH_JOB = "workers.logistics.refresh_shipment"
MAX_SILENT_HOURS = 24 * 30


@bp.get("/logistics")
@role_required(Area.ORDERS)
def list_parcels():
    view = request.args.get("view", "silent")
    if view not in queries.VIEWS:
        view = "silent"
    hours = request.args.get("hours", current_app.config["TRACKING_SILENT_HOURS"], type=int)
    hours = min(max(hours, 1), MAX_SILENT_HOURS)
    now = utcnow()
    pagination = db.paginate(queries.parcel_list(view, now, hours), page=request.args.get("page", 1, type=int),
                             per_page=current_app.config["STAFF_PAGE_SIZE"], error_out=False)
    return render_page_or_partial("staff/logistics/list.html", "staff/logistics/_panel.html", pagination=pagination,
                                  view=view, hours=hours, counts=queries.counts(now, hours),
                                  subscription_labels=SUBSCRIPTION_LABELS)


@bp.post("/logistics/<int:shipment_id>/repoll")
@role_required(Area.ORDERS)
def repoll_parcel(shipment_id: int):
    shipment = db.session.get(Shipment, shipment_id)
    if shipment is None:
        abort(404)
    # The poll itself runs in a worker: a page never waits on the aggregator.
    enqueue_now(REFRESH_JOB, shipment.id, queue="logistics", job_timeout=60)
    flash(_("已安排重新查询运单 %(waybill)s", waybill=shipment.waybill_no), "success")
    return redirect(_back(), 303)


def _back() -> str:
    target = request.form.get("next", "")
    return target if target.startswith("/staff/") else url_for("staff.list_parcels")
