"""The staff jobs page shows RQ's failures, and its retry button puts a failed job back in its queue."""

import time

import pytest
from rq import cron_scheduler_registry
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry
from rq.serializers import JSONSerializer

from app.domain.reference.models import Carrier
from app.extensions import db
from app.jobs import HeartbeatWorker, enqueue_now, get_queue
from app.redis_conn import get_redis
from tests import factories
from tests.conftest import htmx_headers, run_worker

RENAME = "tests.workers.sample_jobs.rename_carrier"


@pytest.fixture
def failed_job(app):
    """A job that failed because its carrier was missing (and will succeed once it exists)."""
    with app.app_context():
        job = enqueue_now(RENAME, "retry-me", "改名成功")
        run_worker()
        assert job.get_status(refresh=True) == JobStatus.FAILED
        return job.id


def failed_ids(app) -> list[str]:
    with app.app_context():
        return FailedJobRegistry("default", connection=get_redis(), serializer=JSONSerializer).get_job_ids()


def test_jobs_page_lists_a_failed_job_with_its_error(client, login_as, failed_job):
    login_as("operations")

    response = client.get("/staff/jobs")

    assert response.status_code == 200
    assert "<html" in response.text
    assert RENAME in response.text
    assert "carrier retry-me not found" in response.text
    assert f"/staff/jobs/{failed_job}/retry" in response.text


def test_jobs_page_refresh_with_htmx_returns_only_the_panel(client, login_as, failed_job):
    login_as("operations")

    response = client.get("/staff/jobs", headers=htmx_headers())

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="jobs-panel"')
    assert "<html" not in response.text
    assert RENAME in response.text
    assert "HX-Request" in response.headers["Vary"]


def test_jobs_page_says_so_when_nothing_failed(client, login_as):
    login_as("operations")

    response = client.get("/staff/jobs")

    assert "没有失败的任务" in response.text


def test_retry_button_requeues_the_failed_job_and_it_then_runs(app, client, login_as, failed_job):
    login_as("operations")

    response = client.post(f"/staff/jobs/{failed_job}/retry")

    assert response.status_code == 303
    assert response.location.endswith("/staff/jobs")
    assert failed_ids(app) == []
    with app.app_context():
        assert get_queue("default").job_ids == [failed_job]
        factories.CarrierFactory(code="retry-me", name="旧名")
        db.session.commit()
        run_worker()
        job = Job.fetch(failed_job, connection=get_redis(), serializer=JSONSerializer)
        assert job.get_status() == JobStatus.FINISHED
        assert db.session.scalar(db.select(Carrier.name).where(Carrier.code == "retry-me")) == "改名成功"
    assert "已重新排队" in client.get("/staff/jobs").text


def test_retrying_a_job_twice_warns_instead_of_failing(app, client, login_as, failed_job):
    login_as("operations")
    client.post(f"/staff/jobs/{failed_job}/retry")

    response = client.post(f"/staff/jobs/{failed_job}/retry", follow_redirects=True)

    assert response.status_code == 200
    assert "任务已不在失败列表中" in response.text
    with app.app_context():
        assert get_queue("default").job_ids == [failed_job]


def test_retrying_an_unknown_job_warns(client, login_as):
    login_as("admin")

    response = client.post("/staff/jobs/no-such-job/retry", follow_redirects=True)

    assert response.status_code == 200
    assert "任务已不在失败列表中" in response.text


def test_jobs_page_shows_the_schedulers_last_beat_and_each_workers_heartbeat(client, login_as, app):
    login_as("admin")
    assert "未运行（没有心跳）" in client.get("/staff/jobs").text
    assert "没有工作进程在运行" in client.get("/staff/jobs").text

    with app.app_context():
        worker = HeartbeatWorker([get_queue("channels")], name="worker-on-channels", connection=get_redis())
        worker.register_birth()
        worker.heartbeat()
        get_redis().zadd(cron_scheduler_registry.get_registry_key(), {"scheduler-1": time.time() - 5})
    page = client.get("/staff/jobs").text

    assert "worker-on-channels" in page and "channels" in page
    assert "scheduler-1" in page and "秒前" in page
    readiness = client.get("/readyz").json
    assert [w["name"] for w in readiness["workers"]] == ["worker-on-channels"]
    assert readiness["workers"][0]["last_beat_seconds_ago"] <= 5
    assert readiness["scheduler"]["status"] == "ok"
