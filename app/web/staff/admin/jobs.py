"""Background jobs as RQ's own registries see them: queue sizes, failures, and a retry button."""

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry
from rq.serializers import JSONSerializer

from app.auth import role_required
from app.auth.roles import Area
from app.jobs import SCHEDULER_STALE_AFTER, all_queues, scheduler_beat, worker_beats
from app.redis_conn import get_redis
from app.web.htmx import render_page_or_partial
from app.web.staff import bp


@bp.get("/jobs")
@role_required(Area.JOBS)
def list_jobs():
    queues = all_queues()
    summaries = [
        {
            "name": queue.name,
            "queued": queue.count,
            "started": queue.started_job_registry.count,
            "scheduled": queue.scheduled_job_registry.count,
            "failed": queue.failed_job_registry.count,
        }
        for queue in queues
    ]
    failed = [job for queue in queues for job in _failed_jobs(queue)]
    failed.sort(key=lambda job: job.ended_at or job.enqueued_at, reverse=True)
    return render_page_or_partial("staff/admin/jobs/list.html", "staff/admin/jobs/_panel.html",
                                  summaries=summaries, failed_jobs=failed, scheduler=scheduler_beat(),
                                  workers=worker_beats(), stale_after=SCHEDULER_STALE_AFTER)


@bp.post("/jobs/<job_id>/retry")
@role_required(Area.JOBS)
def retry_job(job_id: str):
    try:
        job = Job.fetch(job_id, connection=get_redis(), serializer=JSONSerializer)
        FailedJobRegistry(job.origin, connection=get_redis(), serializer=JSONSerializer).requeue(job)
    except (NoSuchJobError, InvalidJobOperation, ValueError):  # gone, or already retried (a double click)
        flash(_("任务已不在失败列表中"), "warning")
    else:
        flash(_("已重新排队：%(name)s", name=job.func_name), "success")
    return redirect(url_for("staff.list_jobs"), 303)


def _failed_jobs(queue, limit: int = 50) -> list[Job]:
    ids = queue.failed_job_registry.get_job_ids(0, limit - 1)
    return [job for job in Job.fetch_many(ids, connection=get_redis(), serializer=JSONSerializer) if job]
