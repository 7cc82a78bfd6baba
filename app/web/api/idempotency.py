"""``Idempotency-Key``: the same key and body replay the first response; another body is a 409.

The design follows Stripe's (reliability-anchors §2), with the claim in the database:

* The key is claimed by inserting its record *in the same transaction as the request's work*, so the
  record and the order (or stock change) commit together or not at all. A concurrent request with the
  same key blocks on the unique constraint (channel, key) until the first one ends; then it either gets
  the IntegrityError (the first committed) and replays the stored response, or (the first rolled back)
  carries on as the first itself.
* A request that fails with a 4xx is rolled back completely first, and its response is stored in a
  fresh transaction, so a retry gets the same answer without the failed attempt leaving anything else.
* Not stored: 401/403/429 (nothing was attempted; a retry after fixing the token or waiting should run)
  and 5xx (a fault of ours: a retry should run again).

Views write through ``commit_and_respond``, which fills in the claimed record and commits once.
"""

import hashlib
import json
from functools import wraps

from flask import g, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from app.db import insert_unless_taken
from app.domain.errors import DomainError, IdempotencyConflict, ValidationError
from app.extensions import db
from app.web.api.idempotency_models import IdempotencyRecord
from app.web.errors import domain_error_body, error_body, status_of

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
NOT_STORED = {401, 403, 429}
PENDING = 0  # status_code of a claimed record whose request has not finished (never committed as such)


def idempotent(view):
    """Give a writing view ``Idempotency-Key`` semantics. With or without the header, a refused request's
    work is rolled back before it is answered."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        key = _key_from_header()
        if key is None:
            return _run_or_roll_back(view, args, kwargs)
        channel_id = g.api_channel.id
        fingerprint = _fingerprint()
        stored = _load(channel_id, key)
        if stored is not None:
            return _replay(stored, fingerprint)
        claim = _claim(channel_id, key, fingerprint)
        if claim is None:
            return _replay(_load(channel_id, key), fingerprint)
        g.idempotency_claim = claim
        try:
            return view(*args, **kwargs)
        except (DomainError, HTTPException) as error:
            g.pop("idempotency_claim", None)
            db.session.rollback()
            status, body = _error_response(error)
            if status >= 500 or status in NOT_STORED:
                raise
            return _store_failure(channel_id, key, fingerprint, status, body)

    return wrapped


def _run_or_roll_back(view, args, kwargs):
    """Without a key: the view's work is rolled back before the error handlers answer for it."""
    try:
        return view(*args, **kwargs)
    except (DomainError, HTTPException):
        db.session.rollback()
        raise


def commit_and_respond(body: dict, status: int = 200):
    """Commit the request's work, with its idempotency record if the request has a key, and answer."""
    claim = g.pop("idempotency_claim", None)
    if claim is not None:
        claim.status_code, claim.response_body = status, body
    db.session.commit()
    return jsonify(body), status


def _key_from_header() -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable() or not key.isascii():
        raise ValidationError({HEADER: f"幂等键应为 1 到 {MAX_KEY_LENGTH} 个可打印 ASCII 字符（建议 UUID）"},
                              "幂等键无效")
    return key


def _fingerprint() -> str:
    """What makes two requests "the same": method, path and body (as parsed JSON, so that key order
    and whitespace do not matter; the raw bytes when it is not JSON)."""
    parsed = request.get_json(silent=True)
    if parsed is None:
        body = request.get_data()
    else:
        body = json.dumps(parsed, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(body)
    return digest.hexdigest()


def _load(channel_id: int, key: str) -> IdempotencyRecord | None:
    return db.session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.channel_id == channel_id,
                                                             IdempotencyRecord.key == key))


def _claim(channel_id: int, key: str, fingerprint: str) -> IdempotencyRecord | None:
    """Insert the key's record (pending) in this transaction; None if another request holds it."""
    record = _new_record(channel_id, key, fingerprint, PENDING, {})
    return record if insert_unless_taken(record) else None


def _store_failure(channel_id: int, key: str, fingerprint: str, status: int, body: dict):
    """Store a refused request's answer in a fresh transaction (its own work is rolled back already)."""
    db.session.add(_new_record(channel_id, key, fingerprint, status, body))
    try:
        db.session.commit()
    except IntegrityError:
        # Another request with this key finished first: everyone gets its answer.
        db.session.rollback()
        return _replay(_load(channel_id, key), fingerprint)
    return jsonify(body), status


def _replay(record: IdempotencyRecord | None, fingerprint: str):
    if record is None or record.status_code == PENDING:
        raise IdempotencyConflict("使用该幂等键的请求仍在处理中，请稍后重试")
    if record.request_hash != fingerprint:
        raise IdempotencyConflict(
            "该幂等键已用于另一个不同的请求；请为新的请求换一个幂等键",
            details={"idempotency_key": record.key, "first_request": f"{record.method} {record.path}"})
    response = jsonify(record.response_body)
    response.status_code = record.status_code
    response.headers[REPLAYED_HEADER] = "true"
    return response


def _new_record(channel_id: int, key: str, fingerprint: str, status: int, body: dict) -> IdempotencyRecord:
    return IdempotencyRecord(channel_id=channel_id, key=key, method=request.method, path=request.path[:255],
                             request_hash=fingerprint, status_code=status, response_body=body)


def _error_response(error: DomainError | HTTPException) -> tuple[int, dict]:
    """The status and body the app's error handlers would send for ``error`` (app/web/errors.py)."""
    if isinstance(error, DomainError):
        return int(status_of(error)), domain_error_body(error)
    code = (error.name or "error").lower().replace(" ", "_")
    return error.code or 500, error_body(code, error.description or error.name)
