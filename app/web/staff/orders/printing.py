"""Printing from the order page (面单, 发货单, 拣货单 for one order) and serving a print run's PDF once."""

import io

from flask import abort, redirect, send_file, url_for
from flask_babel import get_locale
from flask_login import current_user

from app.auth import role_required
from app.auth.roles import Area
from app.db import db
from app.domain.orders import services
from app.domain.workbench import printing
from app.domain.workbench.models import OrderBatch
from app.web.staff import bp
from app.web.staff.orders.batch_forms import may_print


@bp.post("/orders/<order_no>/print/<document>")
@role_required(Area.ORDERS)
def print_order(order_no: str, document: str):
    if document not in printing.DOCUMENTS:
        abort(404)
    if not may_print(current_user.role):
        abort(403)
    order = services.get_order(order_no)
    batch = printing.start(document, [order.order_no], current_user.actor, str(get_locale()))
    db.session.commit()
    return redirect(url_for("staff.show_batch", batch_id=batch.id), 303)


@bp.get("/orders/batches/<int:batch_id>/print.pdf")
@role_required(Area.ORDERS)
def download_print(batch_id: int):
    """The PDF, to whoever started the print run, once: it carries full receivers (410 afterwards)."""
    batch = db.get_or_404(OrderBatch, batch_id)
    if batch.action not in printing.DOCUMENTS:
        abort(404)
    if batch.created_by != current_user.actor:
        abort(403)
    content = printing.take_content(batch)
    if content is None:
        abort(410)
    db.session.commit()
    response = send_file(io.BytesIO(content), mimetype="application/pdf", download_name=f"print-{batch.id}.pdf",
                         as_attachment=False)
    response.headers["Cache-Control"] = "no-store"
    return response


def print_options(role: str) -> dict:
    """What the order page's print buttons need (templates/staff/orders/_print_actions.html)."""
    return {"may_print": may_print(role), "print_documents": printing.DOCUMENTS, "printable": printing.PRINTABLE,
            "printable_statuses": set().union(*printing.PRINTABLE.values())}
