"""One-time SMS login codes, kept in Redis: six digits, hashed, five minutes, a few attempts.

A request gets a random challenge id that the verify form carries instead of the phone, so the phone
never travels back to the browser. Redis holds the phone and an HMAC of (challenge, code), never the
code; a phone has at most one live code (asking again replaces it), and a code is thrown away after
PORTAL_CODE_MAX_ATTEMPTS wrong guesses. Checking does the same Redis round trip and the same
constant-time comparison whether the challenge exists or not.
"""

import hashlib
import hmac
import re
import secrets

from flask import current_app

from app.privacy import pseudonym
from app.redis_conn import get_redis

CODE_KEY = "portal:login-code:{challenge}"
LATEST_KEY = "portal:login-code-for:{phone}"
CHALLENGE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{32}$")
_DECOY_CHALLENGE = "0" * 32

# Count the attempt and read the code in one atomic step; a missing key stays missing (no TTL-less key).
_CHECK = """
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
return {redis.call('HGET', KEYS[1], 'phone'), redis.call('HGET', KEYS[1], 'digest'), attempts}
"""


def issue(phone: str) -> tuple[str, str]:
    """A new (challenge, code) for ``phone``; any earlier code for it stops working."""
    challenge = secrets.token_urlsafe(24)
    code = f"{secrets.randbelow(10**6):06d}"
    ttl = current_app.config["PORTAL_CODE_TTL"]
    redis = get_redis()
    latest_key = LATEST_KEY.format(phone=pseudonym(phone, current_app.secret_key))
    previous = redis.get(latest_key)
    pipe = redis.pipeline()
    if previous:
        pipe.delete(CODE_KEY.format(challenge=previous.decode()))
    key = CODE_KEY.format(challenge=challenge)
    pipe.hset(key, mapping={"phone": phone, "digest": _digest(challenge, code), "attempts": 0})
    pipe.expire(key, ttl)
    pipe.set(latest_key, challenge, ex=ttl)
    pipe.execute()
    return challenge, code


def verify(challenge: str, code: str) -> str | None:
    """The phone the code was sent to if ``code`` is right for ``challenge``; otherwise None.

    Right means: the challenge exists, has not expired, has had no more than the allowed attempts
    (this one included), and the code matches. A right code is used up.
    """
    if not CHALLENGE_PATTERN.match(challenge or ""):
        challenge = _DECOY_CHALLENGE
    key = CODE_KEY.format(challenge=challenge)
    stored = get_redis().eval(_CHECK, 1, key)
    phone, digest, attempts = (stored[0].decode(), stored[1].decode(), stored[2]) if stored else ("", "", 0)
    expected = digest or _digest(_DECOY_CHALLENGE, "")
    matches = hmac.compare_digest(_digest(challenge, code or ""), expected)
    too_many = attempts > current_app.config["PORTAL_CODE_MAX_ATTEMPTS"]
    if too_many or (matches and stored):
        get_redis().delete(key)
    return phone if (stored and matches and not too_many) else None


def _digest(challenge: str, code: str) -> str:
    key = current_app.secret_key
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, f"{challenge}:{code}".encode(), hashlib.sha256).hexdigest()
