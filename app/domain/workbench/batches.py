"""Batch actions over many orders (批量审核 / 打包 / 发货 / 标记异常), run as a job with a result per order.

Each order is handled in its own savepoint: one that its state (or stock, or an empty waybill pool)
refuses is rolled back alone, its reason recorded, and the others go through. Progress is committed
every few orders so the page's bar moves.
"""

from collections.abc import Callable
from dataclasses import dataclass

from app.db import db, utcnow
from app.domain.errors import DomainError, NotFound, ValidationError
from app.domain.logistics import shipments
from app.domain.orders import services
from app.domain.orders.models import Order
from app.domain.orders.states import ACTION_LABELS, Action
from app.domain.reference.models import Carrier, Warehouse
from app.domain.workbench import edits, waybills
from app.domain.workbench.models import BatchStatus, OrderBatch
from app.jobs import enqueue_after_commit
from app.text import N_, Text

JOB = "workers.workbench.run_batch"
MAX_ORDERS = 500
CHECKPOINT_EVERY = 10
WAYBILLS_FROM_POOL = "pool"
WAYBILLS_TYPED = "typed"
DONE = N_("已完成")


@dataclass(frozen=True)
class BatchAction:
    action: str  # a transition (states.Action) or an edit (edits.py)
    perform: Callable[[Order, OrderBatch, int, str], object]  # (order, batch, position, actor)

    @property
    def label(self) -> str:
        return ACTION_LABELS.get(self.action) or edits.EDIT_LABELS[self.action]


def _ship(order: Order, batch: OrderBatch, position: int, actor: str) -> None:
    shipments.refuse_split(order)  # before a pool waybill is taken for it
    carrier = db.session.get(Carrier, batch.params["carrier_id"])
    if batch.params["waybills"] == WAYBILLS_FROM_POOL:
        waybill_no = waybills.take(carrier, order.id)
    else:
        waybill_no = batch.params["numbers"][position]
    shipments.ship_order(order, carrier, waybill_no, actor)


def _change_shipping(order: Order, batch: OrderBatch, position: int, actor: str) -> None:
    edits.change_shipping(order, db.session.get(Warehouse, batch.params["warehouse_id"]),
                          db.session.get(Carrier, batch.params["carrier_id"]), batch.params["reason"], actor)


ACTIONS = {str(spec.action): spec for spec in (
    BatchAction(Action.APPROVE, lambda order, batch, position, actor: services.approve(order, actor)),
    BatchAction(Action.PACK, lambda order, batch, position, actor: services.pack(order, actor)),
    BatchAction(Action.SHIP_OUT, _ship),
    BatchAction(Action.HAND_OVER, lambda order, batch, position, actor: services.hand_over(order, actor)),
    BatchAction(Action.MARK_EXCEPTION,
                lambda order, batch, position, actor: services.mark_exception(order, batch.params["reason"], actor)),
    BatchAction(edits.EDIT_SHIPPING, _change_shipping),
)}


def start(action: str, order_nos: list[str], params: dict, actor: str) -> OrderBatch:
    """Record the batch and queue its job (sent when the caller commits)."""
    if action not in ACTIONS:
        raise ValidationError({"action": N_("不支持的批量操作")})
    order_nos = list(dict.fromkeys(order_nos))
    if not order_nos:
        raise ValidationError({"orders": N_("请至少选择一个订单")})
    if len(order_nos) > MAX_ORDERS:
        raise ValidationError({"orders": Text(N_("一次最多处理 %(limit)s 个订单"), limit=MAX_ORDERS)})
    _check_params(action, order_nos, params)
    batch = OrderBatch(action=action, params=params, order_nos=order_nos, total=len(order_nos), results=[],
                       created_by=actor, status=BatchStatus.QUEUED)
    db.session.add(batch)
    db.session.flush()
    enqueue_after_commit(JOB, batch.id)
    return batch


def _check_params(action: str, order_nos: list[str], params: dict) -> None:
    if action in (Action.MARK_EXCEPTION, edits.EDIT_SHIPPING) and not (params.get("reason") or "").strip():
        raise ValidationError({"reason": N_("请填写原因")})
    if action == edits.EDIT_SHIPPING:
        warehouse = db.session.get(Warehouse, params.get("warehouse_id") or 0)
        if warehouse is None or not warehouse.active:
            raise ValidationError({"warehouse_id": N_("请选择发货仓")})
    if action not in (Action.SHIP_OUT, edits.EDIT_SHIPPING):
        return
    carrier = db.session.get(Carrier, params.get("carrier_id") or 0)
    if carrier is None or not carrier.active:
        raise ValidationError({"carrier_id": N_("请选择快递公司")})
    if action == edits.EDIT_SHIPPING:
        return
    if params.get("waybills") == WAYBILLS_TYPED:
        numbers = params.get("numbers") or []
        if len(numbers) != len(order_nos):
            raise ValidationError({"numbers": Text(N_("选了 %(orders)s 个订单，但填了 %(numbers)s 个快递单号"),
                                                   orders=len(order_nos), numbers=len(numbers))})
        if len(set(numbers)) != len(numbers):
            raise ValidationError({"numbers": N_("快递单号有重复")})
    elif params.get("waybills") != WAYBILLS_FROM_POOL:
        raise ValidationError({"waybills": N_("请选择面单号来源")})


def run(batch: OrderBatch, checkpoint: Callable[[], None]) -> None:
    """Apply the batch's action to each of its orders; ``checkpoint`` commits the progress so far."""
    spec = ACTIONS[batch.action]
    batch.status = BatchStatus.RUNNING
    checkpoint()
    results = list(batch.results)
    for position, order_no in enumerate(batch.order_nos[len(results):], start=len(results)):
        results.append(_one(spec, batch, position, order_no))
        batch.done = sum(1 for result in results if result["ok"])
        batch.refused = len(results) - batch.done
        if len(results) % CHECKPOINT_EVERY == 0:
            batch.results = list(results)
            checkpoint()
    batch.results = results
    batch.status, batch.finished_at = BatchStatus.FINISHED, utcnow()
    db.session.flush()


def _one(spec: BatchAction, batch: OrderBatch, position: int, order_no: str) -> dict:
    savepoint = db.session.begin_nested()
    try:
        order = services.get_order(order_no, for_update=True)
        spec.perform(order, batch, position, batch.created_by)
    except DomainError as error:
        savepoint.rollback()
        return {"order_no": order_no, "ok": False, "message": message_data(_reason(error))}
    savepoint.commit()
    return {"order_no": order_no, "ok": True, "message": message_data(Text(DONE))}


def _reason(error: DomainError) -> Text:
    """A ValidationError's first field says what is wrong; its own message ("输入有误") would not."""
    if isinstance(error, ValidationError) and error.fields:
        return next(iter(error.fields.values()))
    return error.message


def message_data(message: Text) -> dict:
    """A Text as JSON (template and values, nested Texts too), to be rebuilt by ``message_text``."""
    params = {name: message_data(value) if isinstance(value, Text) else value
              for name, value in message.params.items()}
    return {"template": message.template, "params": params}


def message_text(data: dict) -> Text:
    params = {name: message_text(value) if isinstance(value, dict) else value
              for name, value in data["params"].items()}
    return Text(data["template"], **params)


def get_batch(batch_id: int) -> OrderBatch:
    batch = db.session.get(OrderBatch, batch_id)
    if batch is None:
        raise NotFound(N_("批量任务 %(batch_id)s 不存在"), batch_id=batch_id)
    return batch
