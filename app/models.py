"""Every model, imported once so that the metadata (relationships, migrations) knows all tables."""

from app.auth.api_tokens import ApiToken
from app.auth.models import User
from app.domain.audit.models import AuditEntry
from app.domain.catalog.models import BundleComponent, Sku
from app.domain.channels import models as channel_models  # noqa: F401  (channel sync tables)
from app.domain.inventory.models import (
    PurchaseReminder,
    Reservation,
    SafetyStockFigure,
    StockLevel,
    StockMovement,
)
from app.domain.invoicing.models import (
    Invoice,
    InvoiceApproval,
    InvoiceEvent,
    InvoiceLine,
    InvoiceProfile,
    InvoiceSettings,
    ReconciliationDay,
)
from app.domain.logistics.models import Shipment, ShipmentLine, TrackingEvent
from app.domain.notifications.models import Message, ReminderOptOut
from app.domain.orders.models import Order, OrderEvent, OrderLine
from app.domain.orders.refund_approvals import RefundRequest
from app.domain.reference.models import Carrier, Channel, Warehouse
from app.domain.routing.models import RateCard, RoutingDecision, RoutingSetting
from app.domain.workbench.models import (
    AutoReview,
    AutoReviewSetting,
    BlacklistedReceiver,
    OrderBatch,
    PoolWaybill,
)
from app.job_outbox import OutboxJob
from app.web.api.idempotency_models import IdempotencyRecord

__all__ = [
    "ApiToken", "AuditEntry", "BundleComponent", "IdempotencyRecord", "Carrier", "Channel", "Order", "OrderEvent", "OrderLine", "PurchaseReminder",
    "Reservation", "SafetyStockFigure", "Sku", "StockLevel", "StockMovement", "User", "Warehouse",
    "Message", "ReminderOptOut", "Shipment", "ShipmentLine", "TrackingEvent", "Message", "ReminderOptOut", "Invoice", "InvoiceApproval", "InvoiceEvent", "InvoiceLine", "InvoiceProfile",
    "InvoiceSettings", "ReconciliationDay", "RateCard", "RoutingDecision", "RoutingSetting",
    "OrderBatch", "PoolWaybill", "OutboxJob", "AutoReview", "AutoReviewSetting", "BlacklistedReceiver",
    "RefundRequest",
]
