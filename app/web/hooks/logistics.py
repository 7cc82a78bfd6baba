"""Tracking pushes from the aggregator: ``POST /hooks/logistics/kuaidi100``.

The sign is checked over the raw ``param`` field before anything parses it; the answer is always the
JSON reply the aggregator expects, so that it stops retrying what we took (or never will take):

- bad or missing sign: 401, failure reply, nothing stored;
- ``param`` that is not a tracking report: 400, failure reply, logged with the raw body;
- a waybill we never shipped: acknowledged (else it retries for days), logged, nothing changed;
- otherwise the new events are stored and the order follows, in one commit.
"""

import logging

from flask import abort, current_app, jsonify, request

from app.db import utcnow
from app.domain.logistics import tracking
from app.domain.logistics.adapters.base import MalformedPush, PushReply
from app.domain.logistics.connect import build_tracker
from app.extensions import db
from app.web.hooks import bp

logger = logging.getLogger(__name__)


@bp.post("/logistics/kuaidi100")
def receive_tracking_push():
    tracker = build_tracker(current_app.config)
    if tracker is None:
        abort(404)
    raw = request.get_data(cache=True, as_text=True)  # kept for the log; the form is parsed from the cache
    form = request.form.to_dict()
    if not tracker.verify_push(form):
        logger.warning("Tracking push with a bad or missing sign from %s", request.remote_addr)
        return _answer(tracker.reply(False, "签名错误"), 401)
    try:
        report = tracker.parse_push(form)
    except MalformedPush as error:
        logger.warning("Malformed tracking push (%s): %r", error, raw[:4000])
        return _answer(tracker.reply(False, "param 格式错误"), 400)
    shipment = tracking.find_shipment(report.company, report.number, tracker.company_code)
    if shipment is None:
        logger.info("Tracking push for a waybill we did not ship: %s %s", report.company, report.number)
        return _answer(tracker.reply(True))
    tracking.apply_report(shipment, report, "push", utcnow())
    db.session.commit()
    return _answer(tracker.reply(True))


def _answer(reply: PushReply, status: int | None = None):
    return jsonify(reply.body), status or reply.status
