"""Group commit for a hot SKU: concurrent reservations of one stock row share one guarded UPDATE.

However short the lock, one stock row takes one reservation per commit when every reservation is its
own transaction. Here one leader per stock row (in this process) takes every reservation waiting for
that row, writes all their reservation and ledger rows, applies the SUM in one guarded UPDATE and
commits once; each request still gets its own answer and its own ledger row. When the sum does not
fit, the batch is rolled back and applied one request at a time, so only the requests that do not fit
are refused, each with the same OutOfStock as ``reserve_order`` (AliSQL's inventory hint does the
same inside the database; performance anchors §1.2).

The batch runs in the leader's transaction, so a request's order must already be committed: this is
for reserving existing orders (flash-sale reservations taken before payment, re-reservations), not for
``create_order``, whose order row belongs to the caller's own transaction.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, insert, select

from app.db import db
from app.domain.errors import DomainError
from app.domain.inventory import ledger, reorder, services, soldout
from app.domain.inventory.ledger import Change, sellable_at_least
from app.domain.inventory.models import MovementKind, Reservation, ReservationStatus, StockMovement


@dataclass(frozen=True)
class ReservationRequest:
    """One order asking for ``quantity`` units of the batch's stock row."""

    order_id: int
    quantity: int
    change: Change


def reserve_together(warehouse_id: int, sku_id: int, requests: list[ReservationRequest]) -> list[DomainError | None]:
    """Reserve every request on one stock row in the current transaction; the caller commits.

    Returns one outcome per request, in order: None when it is reserved, else the error that refused
    it (OutOfStock, or e.g. a Conflict for an order already holding the SKU elsewhere), with nothing
    of that request written. The orders must exist (committed, or in this transaction).
    """
    if not requests:
        return []
    if any(request.quantity <= 0 for request in requests):
        raise ValueError("a reservation request needs a positive quantity")
    if soldout.sold_out(db.session, [(warehouse_id, sku_id)]):
        return _one_by_one(warehouse_id, sku_id, requests)  # each refused by the marker, the row untouched
    order_ids = [request.order_id for request in requests]
    if len(set(order_ids)) < len(order_ids) or _already_hold(sku_id, order_ids):
        # Merging into an existing reservation (or refusing a conflicting one) is reserve_order's job.
        return _one_by_one(warehouse_id, sku_id, requests)
    savepoint = db.session.begin_nested()
    # Every request's reservation row and ledger row first, one INSERT each for the whole batch.
    db.session.execute(insert(Reservation), [
        {"order_id": request.order_id, "warehouse_id": warehouse_id, "sku_id": sku_id,
         "quantity": request.quantity, "status": ReservationStatus.RESERVED} for request in requests])
    db.session.execute(insert(StockMovement), [
        ledger.movement_values(warehouse_id, sku_id, MovementKind.RESERVE, request.change, reserved=request.quantity)
        for request in requests])
    total = sum(request.quantity for request in requests)
    # The hot row last and once for the whole batch.
    after = ledger.update_level(warehouse_id, sku_id, guard=sellable_at_least(total), reserved=total)
    if after is None:
        savepoint.rollback()
        return _one_by_one(warehouse_id, sku_id, requests)
    reorder.evaluate(after)
    savepoint.commit()
    return [None] * len(requests)


def _already_hold(sku_id: int, order_ids: list[int]) -> bool:
    return db.session.scalar(select(func.count()).select_from(Reservation).where(
        Reservation.sku_id == sku_id, Reservation.order_id.in_(order_ids))) > 0


def _one_by_one(warehouse_id: int, sku_id: int, requests: list[ReservationRequest]) -> list[DomainError | None]:
    outcomes: list[DomainError | None] = []
    for request in requests:
        savepoint = db.session.begin_nested()  # whatever one request leaves half done goes with it
        try:
            services.reserve_order(request.order_id, {sku_id: request.quantity}, [warehouse_id], request.change)
        except DomainError as error:
            savepoint.rollback()
            outcomes.append(error)
        else:
            savepoint.commit()
            outcomes.append(None)
    return outcomes


@dataclass
class _Waiting:
    request: ReservationRequest
    done: bool = False
    outcome: BaseException | None = None


@dataclass
class _Row:
    waiting: list[_Waiting] = field(default_factory=list)
    leading: bool = False


class GroupCommit:
    """One leader per stock row in this process; the others wait for the leader to answer them.

    ``run_batch(warehouse_id, sku_id, requests)`` is the caller's unit of work: it opens a session,
    calls ``reserve_together`` and commits (the caller owns the commit, as everywhere), returning the
    outcomes. A thread that arrives while a batch runs waits; when the batch ends, one of the waiting
    threads leads the next batch with everything that queued up meanwhile. The leader's own request is
    in its batch, so nobody waits for more than the batch in flight and its own.
    """

    def __init__(self, run_batch: Callable[[int, int, list[ReservationRequest]], list[DomainError | None]]):
        self._run_batch = run_batch
        self._condition = threading.Condition()
        self._rows: dict[tuple[int, int], _Row] = {}

    def reserve(self, warehouse_id: int, sku_id: int, request: ReservationRequest) -> None:
        """Reserve ``request`` on the stock row; raises its OutOfStock (or other error) if refused."""
        key = (warehouse_id, sku_id)
        mine = _Waiting(request)
        with self._condition:
            row = self._rows.setdefault(key, _Row())
            row.waiting.append(mine)
            while row.leading and not mine.done:
                self._condition.wait()
            batch = None
            if not mine.done:  # no batch in flight and nobody answered us: we lead the next one
                row.leading = True
                batch, row.waiting = row.waiting, []
        if batch is not None:
            self._lead(row, key, batch)
        if mine.outcome is not None:
            raise mine.outcome

    def _lead(self, row: _Row, key: tuple[int, int], batch: list[_Waiting]) -> None:
        try:
            outcomes: list[BaseException | None] = list(self._run_batch(*key, [w.request for w in batch]))
        except BaseException as error:  # the batch's transaction failed: every request in it failed
            outcomes = [error] * len(batch)
        with self._condition:
            for waiting, outcome in zip(batch, outcomes, strict=True):
                waiting.done, waiting.outcome = True, outcome
            row.leading = False
            self._condition.notify_all()

