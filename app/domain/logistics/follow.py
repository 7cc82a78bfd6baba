"""The order follows its parcels (issue 10, DESIGN §4): only through the orders services, so the state
machine stays the one thing that moves an order, and a move that already happened is a no-op.

- any event from the carrier means it has the parcel: the order is handed over (已出库 → 运输中);
- every parcel signed (签收): the order is signed (已签收); an exception the carrier raised earlier
  (疑难 that cleared up) is resolved first, one a person raised is left to that person;
- 疑难 / 退签 / 拒签 / 退回: the order goes to the exception queue with the carrier's own words;
- customers hear of 派件, 签收 (per parcel when there are several) and problems, once per parcel.
"""

from sqlalchemy import select

from app.db import db
from app.domain.logistics.models import Shipment, TrackingEvent
from app.domain.logistics.states import PARCEL_STATUS_LABELS, PROBLEMS, ParcelStatus
from app.domain.orders import notify, services
from app.domain.orders.models import Order, OrderEvent
from app.domain.orders.states import Action, OrderStatus
from app.text import N_, Text

S = OrderStatus
RESOLVED_BY_SIGNATURE = "包裹已全部签收，快递异常已自动解除"


def parcel_changed(shipment: Shipment, newest: TrackingEvent) -> None:
    """React to ``shipment`` having moved to the status of its ``newest`` event."""
    order = shipment.order
    actor = f"carrier:{shipment.carrier.code}"
    status = ParcelStatus(shipment.status)
    _hand_over(order, actor)
    if status == ParcelStatus.DELIVERING:
        _tell(order, shipment, notify.PARCEL_DELIVERING)
    elif status == ParcelStatus.SIGNED:
        _signed(order, shipment, actor)
    elif status in PROBLEMS:
        _problem(order, shipment, newest, actor)


def _hand_over(order: Order, actor: str) -> None:
    if order.status == S.SHIPPED_OUT:
        services.hand_over(order, actor)


def _signed(order: Order, shipment: Shipment, actor: str) -> None:
    parcels = db.session.scalars(select(Shipment).where(Shipment.order_id == order.id)).all()
    if len(parcels) > 1:
        _tell(order, shipment, notify.PARCEL_SIGNED)
    if any(parcel.status != ParcelStatus.SIGNED for parcel in parcels):
        return
    if order.status == S.EXCEPTION and _parked_by_carrier(order):
        services.resolve_exception(order, RESOLVED_BY_SIGNATURE, actor)
    _hand_over(order, actor)  # back from the exception to 已出库
    if order.status == S.IN_TRANSIT:
        services.sign(order, actor, signed_at=max(parcel.signed_at for parcel in parcels))


def _problem(order: Order, shipment: Shipment, newest: TrackingEvent, actor: str) -> None:
    _tell(order, shipment, notify.PARCEL_PROBLEM)
    if order.status == S.IN_TRANSIT:
        label = PARCEL_STATUS_LABELS[ParcelStatus(newest.status)]
        # The carrier's own words are cut so that the whole reason fits the event's reason column.
        reason = Text(N_("快递%(label)s（%(waybill)s）：%(context)s"), label=label, waybill=shipment.waybill_no,
                      context=newest.context[:services.MAX_REASON_LENGTH - 60])
        services.mark_exception(order, reason, actor)


def _parked_by_carrier(order: Order) -> bool:
    actor = db.session.scalar(select(OrderEvent.actor).where(
        OrderEvent.order_id == order.id, OrderEvent.action == Action.MARK_EXCEPTION).order_by(OrderEvent.id.desc()))
    return bool(actor) and actor.startswith("carrier:")


def _tell(order: Order, shipment: Shipment, kind: str) -> None:
    notify.parcel_message(order, kind, shipment.id, {"carrier": shipment.carrier.name,
                                                     "waybill_no": shipment.waybill_no})
