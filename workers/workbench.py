"""Batch actions over orders (queue ``default``): app.domain.workbench.batches decides everything;
progress is committed as it goes so the batch page's bar moves."""

from app.domain.workbench import batches
from app.domain.workbench.models import BatchStatus
from app.extensions import db
from workers.runtime import job


@job
def run_batch(batch_id: int) -> dict:
    batch = batches.get_batch(batch_id)
    try:
        batches.run(batch, checkpoint=db.session.commit)
    except Exception:
        # The orders committed so far stay done; the batch says it stopped (the job's failure has the why).
        db.session.rollback()
        batch = batches.get_batch(batch_id)
        batch.status = BatchStatus.FAILED
        db.session.commit()
        raise
    return {"total": batch.total, "done": batch.done, "refused": batch.refused}
