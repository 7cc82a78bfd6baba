"""Growing delays after failed sign-ins, per (username, client address).

One attacker guessing a colleague's password from one address waits longer after every miss (1 s,
2 s, 4 s … up to ``LOGIN_MAX_DELAY``), but only that (username, address) pair waits: the colleague signs
in from their own address as usual. The per-username limit that does apply from anywhere is a
Flask-Limiter limit with a much higher threshold (``LOGIN_USER_RATE_LIMIT``), and the per-address one
(``LOGIN_RATE_LIMIT``) stops one address spraying many usernames.

Redis keys hold a keyed pseudonym of the username, never the name itself, and expire a day after the
last miss.
"""

import math
import time

from flask import current_app
from flask_limiter.util import get_remote_address

from app.privacy import pseudonym
from app.redis_conn import get_redis

KEY_TTL_SECONDS = 24 * 3600


def _key(username: str) -> str:
    name = pseudonym(username.strip().lower(), current_app.secret_key)
    return f"login-delay:{name}:{get_remote_address()}"


def seconds_to_wait(username: str) -> int:
    """How long this (username, address) must still wait before its next attempt; 0 if none."""
    until = get_redis().hget(_key(username), "until")
    return max(0, math.ceil(float(until) - time.time())) if until else 0


def record_failure(username: str) -> None:
    key = _key(username)
    redis = get_redis()
    failures = redis.hincrby(key, "failures", 1)
    free = current_app.config["LOGIN_FREE_FAILURES"]
    if failures > free:
        delay = min(2 ** (failures - free - 1), current_app.config["LOGIN_MAX_DELAY"])
        redis.hset(key, "until", time.time() + delay)
    redis.expire(key, KEY_TTL_SECONDS)


def clear(username: str) -> None:
    get_redis().delete(_key(username))
