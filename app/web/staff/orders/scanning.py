"""/staff/scan: scan to verify and ship (扫描验货). Every step is one form a keyboard-wedge scanner
submits with Enter; the scans so far ride along in a hidden field (app/domain/workbench/scanning.py)."""

from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from app.auth import role_required
from app.auth.roles import Area
from app.db import db
from app.domain.errors import DomainError, ValidationError
from app.domain.orders.states import Action
from app.domain.workbench import scanning
from app.web.errors import error_message, field_messages, status_of
from app.web.htmx import render_page_or_partial
from app.web.staff import bp
from app.web.staff.orders.views import order_right_required

MAX_SCANS = 500


@bp.route("/scan", methods=["GET", "POST"])
@role_required(Area.ORDERS)
@order_right_required(Action.SHIP_OUT)
def scan_to_ship():
    """GET: the waybill field. POST: a waybill, or an item scanned into its parcel, or 发货."""
    waybill_no = (request.form.get("waybill_no") or "").strip()
    scanned = [code for code in request.form.get("scanned", "").split("\n") if code.strip()][:MAX_SCANS]
    code = (request.form.get("code") or "").strip()
    if request.method == "GET" or not waybill_no:
        return _render(None)
    if code:
        scanned.append(code)
    try:
        if request.form.get("drop_extra"):  # the wrong items were taken out of the parcel
            scanned = scanning.without_extras(waybill_no, scanned)
        if request.form.get("ship"):
            order = scanning.ship(waybill_no, scanned, current_user.actor, request.form.get("typed_waybill", ""))
            db.session.commit()
            return _render(None, shipped=order)
        result = scanning.check(waybill_no, scanned)
    except ValidationError as error:  # the typed waybill is missing or too long: the parcel stays on screen
        db.session.rollback()
        return _render(scanning.check(waybill_no, scanned), scanned=scanned, lookup=waybill_no,
                       error=next(iter(field_messages(error).values()), error_message(error)), status=422)
    except DomainError as error:
        db.session.rollback()
        return _render(None, error=error_message(error), status=status_of(error), waybill_no=waybill_no)
    flagged = code if code and code in result.unknown or (code and _over(result, code)) else ""
    return _render(result, scanned=scanned, flagged=flagged, status=422 if flagged else 200, lookup=waybill_no)


def _over(result: scanning.Check, code: str) -> bool:
    sku = scanning.sku_for(code)
    return any(row.sku.id == sku.id and row.extra for row in result.rows) if sku else False


def _render(result, scanned=(), flagged="", shipped=None, error="", status=200, waybill_no="", lookup=""):
    """``lookup``: what found the parcel (a pool waybill or an order number), carried by the next form."""
    return render_page_or_partial("staff/orders/scan.html", "staff/orders/_scan_panel.html", status,
                                  result=result, scanned="\n".join(scanned), flagged=flagged, shipped=shipped,
                                  error=error, waybill_no=waybill_no, lookup=lookup, title=_("扫描验货"))
