"""The jobs outbox: a job committed while Redis does not take it is sent later by the sweeper, not lost."""

from datetime import timedelta

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import delete, select

from app import jobs
from app.db import utcnow
from app.domain.reference.models import Carrier
from app.extensions import db
from app.job_outbox import OutboxJob
from app.jobs import enqueue_after_commit, get_queue, sweep_outbox
from tests import factories
from tests.conftest import run_worker

pytestmark = pytest.mark.usefixtures("app_context", "_no_outbox_rows_of_other_tests")

ADD_CARRIER = "tests.workers.sample_jobs.add_carrier"
ADD_THEN_FAIL = "tests.workers.sample_jobs.add_carrier_then_fail"


@pytest.fixture
def _no_outbox_rows_of_other_tests(_transaction):
    """Rows other tests' real commits left; deleted inside this test's rolled-back transaction."""
    db.session.execute(delete(OutboxJob))


@pytest.fixture
def redis_down_for_enqueues(monkeypatch):
    def refuse(*args, **kwargs):
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(jobs, "enqueue_now", refuse)
    yield
    monkeypatch.undo()


def outbox() -> list[OutboxJob]:
    return list(db.session.scalars(select(OutboxJob)))


def test_a_job_sent_after_its_commit_deletes_its_outbox_row_when_it_runs():
    enqueue_after_commit(ADD_CARRIER, "sent")
    db.session.commit()
    assert [row.func_path for row in outbox()] == [ADD_CARRIER]
    assert get_queue().get_jobs()[0].id == outbox()[0].job_id

    run_worker()

    assert outbox() == []
    assert db.session.scalar(select(Carrier.code).where(Carrier.code == "sent")) == "sent"


def test_a_commit_while_redis_is_down_succeeds_and_the_sweeper_sends_the_job_later(redis_down_for_enqueues,
                                                                                  monkeypatch):
    factories.CarrierFactory(code="kept")
    enqueue_after_commit(ADD_CARRIER, "late")
    db.session.commit()  # Redis refused the job: the commit stands all the same
    assert get_queue().get_jobs() == [] and len(outbox()) == 1
    monkeypatch.undo()

    assert sweep_outbox(utcnow()) == {"sent": 0, "failed": 0, "waiting": 0}  # too young: its enqueue may come
    assert sweep_outbox(utcnow() + timedelta(minutes=1)) == {"sent": 1, "failed": 0, "waiting": 0}
    assert sweep_outbox(utcnow() + timedelta(minutes=1)) == {"sent": 0, "failed": 0, "waiting": 1}  # not twice
    run_worker()

    assert outbox() == []
    assert db.session.scalar(select(Carrier.code).where(Carrier.code == "late")) == "late"


def test_a_job_that_failed_keeps_its_row_until_the_sweeper_leaves_it_to_rq():
    enqueue_after_commit(ADD_THEN_FAIL, "boom")
    db.session.commit()
    run_worker()
    assert len(outbox()) == 1  # its run rolled back, deletion included

    assert sweep_outbox(utcnow() + timedelta(minutes=1)) == {"sent": 0, "failed": 1, "waiting": 0}
    db.session.commit()
    assert outbox() == []
