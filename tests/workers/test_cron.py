"""The cron adapter stays RQ's own method, and the periodic jobs run when workers/cron.py says (UTC)."""

import ast
import inspect
import os
import textwrap
import time
from datetime import UTC, datetime

import pytest
from rq.cron import CronJob

from app.jobs import JSONCronJob, cron_scheduler

#: The only changes JSONCronJob.enqueue makes to RQ's CronJob.enqueue (as ``ast.unparse`` spells code).
ADAPTED = {
    "queue = Queue(self.queue_name, connection=connection)":
        "queue = Queue(self.queue_name, connection=connection, serializer=JSONSerializer)",
    "logging.getLogger(__name__)": "logging.getLogger('rq.cron')",
}


def code_of(method) -> str:
    """The method's code without its docstring and comments, in one canonical spelling."""
    function = ast.parse(textwrap.dedent(inspect.getsource(method))).body[0]
    if ast.get_docstring(function) is not None:
        function.body = function.body[1:]
    return ast.unparse(function)


def test_json_cron_job_is_rqs_own_enqueue_with_only_the_serializer_changed():
    upstream = code_of(CronJob.enqueue)
    for original, adapted in ADAPTED.items():
        assert original in upstream, f"RQ's CronJob.enqueue no longer has {original!r}: re-derive JSONCronJob"
        upstream = upstream.replace(original, adapted)

    assert code_of(JSONCronJob.enqueue) == upstream, (
        "RQ's CronJob.enqueue changed: copy the new one into app/jobs.py with the changes in ADAPTED "
        "(or drop JSONCronJob if RQ's cron can now take a serializer)")


@pytest.fixture
def shanghai_local_time():
    """A process whose local time is Asia/Shanghai, as a server in China may well be set up."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Shanghai"
    time.tzset()
    yield
    if before is None:
        os.environ.pop("TZ")
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.mark.usefixtures("app_context", "shanghai_local_time")
def test_cron_expressions_are_read_in_utc_whatever_the_servers_local_time():
    jobs = {job.func_name: job for job in cron_scheduler().get_jobs()}

    # workers/cron.py: "30 19 * * *" UTC, which is 03:30 in Shanghai.
    next_run = jobs["workers.orders.recompute_safety_stock"].next_enqueue_time
    assert (next_run.hour, next_run.minute) == (19, 30)
    assert 0 < (next_run - datetime.now(UTC)).total_seconds() <= 24 * 3600
    assert all(isinstance(job, JSONCronJob) for job in jobs.values())
