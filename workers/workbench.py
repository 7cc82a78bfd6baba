"""Batch actions over orders and order exports (queue ``default``): app.domain.workbench decides
everything; a batch commits its progress as it goes so the batch page's bar moves."""

from contextlib import contextmanager

from flask import current_app

from app.domain.channels import pii
from app.domain.channels.adapters.base import PlainReceiver
from app.domain.channels.connect import build_adapter
from app.domain.orders.models import Order
from app.domain.workbench import batches, export, printing
from app.domain.workbench.models import BatchStatus
from app.extensions import db
from workers.runtime import job


@job
def run_batch(batch_id: int) -> dict:
    with failure_recorded(batch_id):
        batch = batches.get_batch(batch_id)
        batches.run(batch, checkpoint=db.session.commit)
    return {"total": batch.total, "done": batch.done, "refused": batch.refused}


@job
def run_export(batch_id: int) -> dict:
    with failure_recorded(batch_id):
        batch = batches.get_batch(batch_id)
        export.run(batch)
    return {"total": batch.total}


@job
def run_print(batch_id: int) -> dict:
    with failure_recorded(batch_id):
        batch = batches.get_batch(batch_id)
        printing.run(batch, lambda order: _reveal(order, batch.created_by), db.session.commit,
                     current_app.template_folder, current_app.static_folder)
    return {"total": batch.total, "done": batch.done, "refused": batch.refused}


def _reveal(order: Order, actor: str) -> PlainReceiver:
    """The platform's decrypt call for a label or slip; the scene is the order's carrier (Taobao's
    waybill scenes are per carrier)."""
    scene = order.carrier.code if order.carrier else "print"
    return pii.reveal_receiver(order, build_adapter(order.channel, current_app.config), scene, actor,
                               checkpoint=db.session.commit)


@contextmanager
def failure_recorded(batch_id: int):
    """A job that breaks leaves the orders committed so far done, and its batch saying it stopped
    (the job's failure, on the 后台任务 page, has the why), so the batch page stops waiting."""
    try:
        yield
    except Exception:
        db.session.rollback()
        batches.get_batch(batch_id).status = BatchStatus.FAILED
        db.session.commit()
        raise
