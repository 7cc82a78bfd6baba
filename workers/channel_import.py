"""The order-import job (queue ``channels``): one uploaded file → orders, with progress committed as it
goes so the import page's bar moves (app.domain.channels.imports decides everything)."""

from app.domain.channels import imports
from app.domain.channels.models import ImportRun
from app.extensions import db
from workers.runtime import job


@job
def import_orders(run_id: int) -> dict:
    run = db.session.get(ImportRun, run_id)
    if run is None:
        return {"skipped": "导入记录不存在"}
    try:
        imports.execute(run, checkpoint=db.session.commit)
    except Exception as error:
        # What was committed stays (and is recognised if the run is started again); the run says why it stopped.
        db.session.rollback()
        run = db.session.get(ImportRun, run_id)
        imports.mark_failed(run, f"导入中断：{type(error).__name__}: {error}"[:300])
        db.session.commit()
        raise
    return {"total": run.total, "done": run.done, "failed": run.failed, "created": run.created,
            "duplicates": run.duplicates}
