"""Jobs reach Redis only after the commit, run in an RQ worker as one unit of work, and fail visibly."""

import json
import zlib

import pytest
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry
from rq.serializers import JSONSerializer
from sqlalchemy import select

from app.domain.reference.models import Carrier
from app.extensions import db
from app.jobs import cron_scheduler, enqueue_after_commit, enqueue_now, get_queue
from app.redis_conn import get_redis
from tests import factories
from tests.conftest import run_worker

pytestmark = pytest.mark.usefixtures("app_context")

ADD_CARRIER = "tests.workers.sample_jobs.add_carrier"
ADD_THEN_FAIL = "tests.workers.sample_jobs.add_carrier_then_fail"


def queued_calls() -> list[tuple[str, list]]:
    jobs = get_queue("default").get_jobs()
    return [(job.func_name, list(job.args)) for job in jobs]


def carrier_codes() -> set[str]:
    return set(db.session.scalars(select(Carrier.code)))


def test_job_queued_in_a_transaction_reaches_redis_only_when_it_commits():
    factories.CarrierFactory(code="sf")
    enqueue_after_commit(ADD_CARRIER, "sf-job")
    assert queued_calls() == []

    db.session.commit()

    assert queued_calls() == [(ADD_CARRIER, ["sf-job"])]


def test_job_queued_in_a_transaction_that_rolls_back_is_dropped():
    factories.CarrierFactory(code="sf")
    enqueue_after_commit(ADD_CARRIER, "never")
    db.session.rollback()
    db.session.commit()

    assert queued_calls() == []


def test_job_queued_before_any_database_work_is_still_dropped_by_a_rollback():
    enqueue_after_commit(ADD_CARRIER, "never")
    db.session.rollback()
    factories.CarrierFactory(code="later")
    db.session.commit()

    assert queued_calls() == []


def test_releasing_a_savepoint_does_not_send_jobs_before_the_real_commit():
    factories.CarrierFactory(code="sf")
    with db.session.begin_nested():
        enqueue_after_commit(ADD_CARRIER, "inner")
    assert queued_calls() == []

    db.session.commit()

    assert queued_calls() == [(ADD_CARRIER, ["inner"])]


def test_rolling_back_a_savepoint_drops_only_the_jobs_queued_inside_it():
    factories.CarrierFactory(code="sf")
    enqueue_after_commit(ADD_CARRIER, "outer")
    savepoint = db.session.begin_nested()
    enqueue_after_commit(ADD_CARRIER, "inner")
    savepoint.rollback()

    db.session.commit()

    assert queued_calls() == [(ADD_CARRIER, ["outer"])]


def test_an_unknown_queue_is_refused_inside_the_callers_transaction():
    with pytest.raises(ValueError, match="unknown queue"):
        enqueue_after_commit(ADD_CARRIER, "x", queue="no-such-queue")


def test_jobs_are_stored_as_json_so_any_json_worker_can_read_them():
    job = enqueue_now(ADD_CARRIER, "json")

    # RQ stores (function, instance, args, kwargs), zlib-compressed.
    payload = json.loads(zlib.decompress(get_redis().hget(job.key, "data")))

    assert payload == [ADD_CARRIER, None, ["json"], {}]


def test_a_json_worker_runs_a_queued_job_and_commits_its_write():
    job = enqueue_now(ADD_CARRIER, "by-worker")

    run_worker()

    job.refresh()
    assert job.get_status() == JobStatus.FINISHED
    assert job.return_value() == "by-worker"
    assert "by-worker" in carrier_codes()


def test_a_failing_job_is_rolled_back_and_lands_in_the_failed_registry():
    job = enqueue_now(ADD_THEN_FAIL, "half-written")

    run_worker()

    registry = FailedJobRegistry("default", connection=get_redis(), serializer=JSONSerializer)
    assert job.id in registry.get_job_ids()
    assert Job.fetch(job.id, connection=get_redis(), serializer=JSONSerializer).get_status() == JobStatus.FAILED
    assert "half-written" not in carrier_codes()


def test_cron_scheduler_loads_registered_jobs_and_enqueues_them_for_json_workers():
    scheduler = cron_scheduler("tests.workers.sample_cron")
    assert [job.func_name for job in scheduler.get_jobs()] == [ADD_CARRIER]

    enqueued = scheduler.enqueue_jobs()
    assert len(enqueued) == 1
    assert queued_calls() == [(ADD_CARRIER, ["cron-made"])]

    run_worker()

    assert "cron-made" in carrier_codes()
    assert FailedJobRegistry("default", connection=get_redis()).count == 0
