"""Sales-platform pushes: ``POST /hooks/{platform}/{channel_code}``.

The generic part lives here: find the shop, check the platform's signature over the raw bytes (before
anything parses them), drop message ids seen before, store and queue the rest, give the platform the
reply it expects. What differs per platform (the signature, the envelope, the reply) is the adapter's
``verify_push`` / ``parse_push``; a platform without HTTP push (Taobao's TMC is a WebSocket, JD's
needs JD's cloud) answers 404 here and is pulled instead.
"""

import hashlib

from flask import Response, abort, current_app, jsonify, request
from sqlalchemy import select

from app.domain.channels import intake
from app.domain.channels.adapters.base import PlatformError, PushNotSupported
from app.domain.channels.connect import build_adapter
from app.domain.errors import Conflict
from app.domain.reference.models import Channel
from app.extensions import db
from app.web.errors import error_body
from app.web.hooks import bp


@bp.post("/<platform>/<channel_code>")
def receive_platform_push(platform: str, channel_code: str):
    channel = db.session.scalar(select(Channel).where(Channel.code == channel_code))
    if channel is None or channel.platform != platform or not channel.active:
        abort(404)
    body = request.get_data(cache=True)  # the raw bytes the signature covers
    try:
        adapter = build_adapter(channel, current_app.config, limited=False)
        if not adapter.verify_push(request.headers, body):
            return jsonify(error_body("signature_invalid", "签名校验失败")), 401
        batch = adapter.parse_push(request.headers, body)
    except (Conflict, PushNotSupported):
        abort(404)
    except PlatformError as error:
        return jsonify(error_body("bad_push", error.message)), 400
    intake.accept(channel, batch, body_digest=hashlib.sha256(body).hexdigest())
    db.session.commit()
    return Response(batch.reply_body, status=batch.reply_status, content_type=batch.reply_content_type)
