"""Sync health (渠道同步): per shop last success, lag, throughput, running pulls; errors with the payload
that caused each and a retry button; stock drift."""

import json

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from rq.job import JobStatus

from app.auth import role_required
from app.auth.roles import Area
from app.db import utcnow
from app.domain.channels import health, intake, normalise
from app.domain.channels.connect import credentials_of, is_api_channel
from app.domain.channels.models import PayloadStatus, RawPayload
from app.domain.channels.queueing import QUEUE, enqueue_once, pull_job_id
from app.domain.reference.models import Channel
from app.extensions import db
from app.jobs import pending_work
from app.web.htmx import redirect_page, render_page_or_partial
from app.web.staff import bp
from app.web.template_helpers import local_time

PULL_JOB = "workers.channel_sync.pull_channel"
RETRY_JOB = "workers.channel_sync.retry_failed_payloads"


@bp.get("/sync")
@role_required(Area.SYNC)
def sync_health():
    """The page polls its panel every 2 s while a pull runs (every 30 s otherwise); the error list is
    filtered by ``?channel=&kind=`` and paged by ``?page=``, and the polling keeps those."""
    now = utcnow()
    filters = {"channel": request.args.get("channel", type=int) or None, "kind": request.args.get("kind", ""),
               "page": request.args.get("page", 1, type=int)}
    errors = health.error_page(filters["channel"], filters["kind"][:16], filters["page"])
    shops = health.overview(now)
    return render_page_or_partial("staff/channels/health.html", "staff/channels/_health.html",
                                  shops=shops, overall=health.overall(shops),
                                  errors=errors, error_channels=health.channels_with_errors(),
                                  filters={key: value for key, value in filters.items() if value},
                                  running=health.any_running(), now=now)


@bp.post("/sync/channels/<int:row_id>/retry-failed")
@role_required(Area.SYNC)
def retry_failed_payloads(row_id: int):
    """Queue the reprocessing of every payload of one shop that did not apply (one job per shop at a time)."""
    channel = db.get_or_404(Channel, row_id)
    if enqueue_once(RETRY_JOB, channel.id, job_id=f"channel-retry-{channel.id}", timeout=30 * 60):
        flash(_("已开始重试 %(code)s 的全部失败载荷", code=channel.code), "success")
    else:
        flash(_("%(code)s 的重试已在排队或进行中", code=channel.code), "info")
    return redirect_page(url_for("staff.sync_health", channel=channel.id))


@bp.post("/sync/retry")
@role_required(Area.SYNC)
def retry_payload():
    """Process a stored payload again, now (the mapping, the SKU or the stock may have been fixed)."""
    payload = db.get_or_404(RawPayload, request.form.get("payload_id", type=int) or 0)
    if intake.is_failed_fetch(payload):  # the platform's detail call failed: make it again, in a job
        enqueue_once(intake.FETCH_JOB, payload.channel_id, payload.external_id, payload.payload["pushed_message"],
                     job_id=f"channel-fetch-{payload.id}")
        flash(_("已重新排队获取订单 %(external_id)s 的详情", external_id=payload.external_id), "success")
        return redirect_page(url_for("staff.sync_health"))
    outcome = normalise.process(payload)
    db.session.commit()
    if outcome.status in (PayloadStatus.APPLIED, PayloadStatus.SUPERSEDED):
        flash(_("载荷 #%(id)s 已重新处理：%(status)s", id=payload.id, status=payload.status_label), "success")
    else:
        flash(_("载荷 #%(id)s 仍未成功：%(reason)s", id=payload.id, reason=outcome.reason), "warning")
    return redirect_page(url_for("staff.sync_health"))


@bp.post("/channels/<int:row_id>/sync-now")
@role_required(Area.SYNC)
def sync_channel(row_id: int):
    channel = db.get_or_404(Channel, row_id)
    if not is_api_channel(channel) or credentials_of(channel) is None:
        flash(_("%(code)s 没有可用的接口凭证", code=channel.code), "warning")
    elif enqueue_once(PULL_JOB, channel.id, "manual", job_id=pull_job_id(channel.id), timeout=15 * 60):
        flash(_("已开始同步 %(code)s", code=channel.code), "success")
    else:
        flash(_what_blocks_the_pull(channel), "info")
    return redirect_page(url_for("staff.sync_health"))


def _what_blocks_the_pull(channel: Channel) -> str:
    """Say which job holds the shop's pull: queued since when, or running since when on which worker."""
    work = pending_work(pull_job_id(channel.id), QUEUE)
    if work is None:  # it ended between the enqueue and this look
        return _("%(code)s 的上一个同步刚刚结束，请再点一次", code=channel.code)
    since = local_time(work.since, "HH:mm:ss") or "—"
    if work.status == JobStatus.STARTED:
        return _("%(code)s 的同步正在进行：%(since)s 起由工作进程 %(worker)s 执行；工作进程若已停止，"
                 "一分钟内会被发现并重新排队", code=channel.code, since=since, worker=work.worker_name or "—")
    if work.status == JobStatus.SCHEDULED:
        return _("%(code)s 的同步已安排在稍后执行（%(since)s 安排）", code=channel.code, since=since)
    return _("%(code)s 的同步已在排队（%(since)s 起），等待空闲的工作进程", code=channel.code, since=since)


@bp.get("/sync/payload")
@role_required(Area.SYNC)
def show_payload():
    """One raw payload as received (its id in ``?id=``)."""
    payload = db.session.get(RawPayload, request.args.get("id", type=int) or 0)
    if payload is None:
        return redirect(url_for("staff.sync_health"), 303)
    text = json.dumps(payload.payload, ensure_ascii=False, indent=2, sort_keys=True)
    return render_template("staff/channels/payload.html", payload=payload, text=text)


@bp.get("/sync/drift")
@role_required(Area.SYNC)
def list_drift_findings():
    return render_template("staff/channels/drift.html", findings=health.open_drift())
