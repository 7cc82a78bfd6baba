"""Helpers that make Redis or the database unreachable for one test."""

import redis
from sqlalchemy.exc import OperationalError

from app import redis_conn
from app.extensions import limiter


def redis_is_down(monkeypatch, app) -> None:
    """Point the app's Redis client at a closed port and make the rate limiter's storage fail too."""
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    monkeypatch.setattr(redis_conn, "_client", dead)

    def refuse(*args, **kwargs):
        raise redis.exceptions.ConnectionError("Connection refused")

    monkeypatch.setattr(limiter.limiter, "hit", refuse)
    monkeypatch.setattr(limiter.limiter, "test", refuse)


def database_is_down(monkeypatch, target, name: str) -> None:
    """Make ``target.name`` fail as a dropped database connection does."""

    def refuse(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))

    monkeypatch.setattr(target, name, refuse)
