"""A cron configuration for the scheduler test, in the same form as workers/cron.py."""

from rq import cron

from tests.workers.sample_jobs import add_carrier

cron.register(add_carrier, "default", args=("cron-made",), interval=60)
