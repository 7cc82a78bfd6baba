"""One job per deterministic id, also when callers race: RQ's unique enqueue, settled jobs replaced."""

import threading
from datetime import timedelta

import pytest
from rq.job import JobStatus

from app.jobs import enqueue_unique, get_queue
from app.redis_conn import get_redis
from tests.conftest import run_worker

ADD_CARRIER = "tests.workers.sample_jobs.add_carrier"
ADD_THEN_FAIL = "tests.workers.sample_jobs.add_carrier_then_fail"
CALLERS = 8
ROUNDS = 10


def race(job_id: str, func_path: str = ADD_CARRIER) -> list[bool]:
    """``CALLERS`` threads released together, each trying to enqueue ``job_id``; what each was told."""
    start = threading.Barrier(CALLERS)
    answers = []

    def caller():
        start.wait()
        answers.append(enqueue_unique(func_path, job_id, job_id=job_id))

    threads = [threading.Thread(target=caller) for _ in range(CALLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return answers


def test_callers_racing_for_one_id_make_exactly_one_job():
    for round_ in range(ROUNDS):
        job_id = f"race-{round_}"

        answers = race(job_id)

        assert sorted(answers) == [False] * (CALLERS - 1) + [True], f"round {round_}: {answers}"
        assert get_queue("default").get_job_ids().count(job_id) == 1


def test_a_pending_job_is_not_enqueued_again():
    assert enqueue_unique(ADD_CARRIER, "x", job_id="pending") is True
    assert enqueue_unique(ADD_CARRIER, "x", job_id="pending") is False

    assert get_queue("default").get_job_ids() == ["pending"]


@pytest.mark.usefixtures("app_context")
@pytest.mark.parametrize(("func_path", "settled"), [(ADD_CARRIER, JobStatus.FINISHED),
                                                     (ADD_THEN_FAIL, JobStatus.FAILED)])
def test_a_settled_job_is_replaced_once_by_racing_callers(func_path, settled):
    job_id = f"settled-{settled.value}"
    assert enqueue_unique(func_path, job_id, job_id=job_id)
    run_worker()
    assert get_queue("default").fetch_job(job_id).get_status() == settled

    answers = race(job_id, func_path)

    assert sorted(answers) == [False] * (CALLERS - 1) + [True]
    queue = get_queue("default")
    assert queue.get_job_ids() == [job_id]
    assert queue.fetch_job(job_id).get_status() == JobStatus.QUEUED
    # The settled job is gone with its registry entry, not left behind under the new job's id.
    assert job_id not in queue.finished_job_registry.get_job_ids()
    assert job_id not in queue.failed_job_registry.get_job_ids()


def test_a_delayed_job_counts_as_pending_until_it_runs():
    assert enqueue_unique(ADD_CARRIER, "later", job_id="delayed", delay=timedelta(minutes=5))
    assert not enqueue_unique(ADD_CARRIER, "later", job_id="delayed")

    queue = get_queue("default")
    assert queue.get_job_ids() == []
    assert queue.scheduled_job_registry.get_job_ids() == ["delayed"]
    assert get_redis().exists("rq:job:delayed")
