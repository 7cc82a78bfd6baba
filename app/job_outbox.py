"""The jobs outbox: every job queued inside a transaction is also a row of that transaction.

``app.jobs.enqueue_after_commit`` adds the row; after the commit the job goes to Redis under the row's
job id, and the job's own unit of work deletes the row when it succeeds (workers/runtime.py). When Redis
did not take the job (down at that moment, or lost it), the row stays, and the every-minute sweeper
(``workers.runtime.sweep_job_outbox``) queues it again: a Redis outage delays work but loses none.
"""

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import UTCDateTime, db, utcnow


class OutboxJob(db.Model):
    __tablename__ = "job_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(String(64), unique=True)
    func_path: Mapped[str] = mapped_column(String(128))
    queue: Mapped[str] = mapped_column(String(32))
    args: Mapped[list] = mapped_column(JSON)
    options: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
