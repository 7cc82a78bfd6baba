"""Every periodic job, in one place. Loaded by ``flask --app wsgi scheduler`` (RQ's cron scheduler)."""

from rq import cron
