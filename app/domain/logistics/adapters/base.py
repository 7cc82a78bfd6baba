"""What OrderHub needs from a tracking aggregator, whichever one it is.

An aggregator subscribes waybills (then pushes their events to our callback), answers a real-time query
for one waybill, and signs its pushes in its own way. Adapters only speak the protocol: they know
nothing of shipments or orders, and they are called with no database transaction open.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime


class TrackingError(Exception):
    """The aggregator refused or could not be reached; ``transient`` errors are worth retrying soon."""

    def __init__(self, message: str, *, code: str = "", transient: bool = False):
        super().__init__(message)
        self.message, self.code, self.transient = message, code, transient


class MalformedPush(ValueError):
    """A push whose content cannot be read (the sign was right, the body is not what the protocol says)."""


@dataclass(frozen=True)
class TrackItem:
    """One event as the carrier reported it; ``state_code`` is the aggregator's code when it gave one."""

    at: datetime  # aware UTC
    context: str
    state_code: str | None
    area: str = ""
    raw: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class TrackingReport:
    """What a push or a query says about one waybill: the whole history the aggregator knows."""

    company: str
    number: str
    state_code: str | None
    items: tuple[TrackItem, ...]
    monitoring: str = ""  # the push's own status: polling / shutdown / abort / updateall


@dataclass(frozen=True)
class SubscribeRequest:
    company: str
    number: str
    callback_url: str
    phone: str = ""  # the receiver's phone, for the carriers that need it (SF)
    to: str = ""  # the destination city, which helps the aggregator detect the signature


@dataclass(frozen=True)
class PushReply:
    """The body and status the aggregator expects back from our callback."""

    body: dict
    status: int = 200


class TrackingAdapter(ABC):
    name: str

    @abstractmethod
    def company_code(self, carrier_code: str) -> str:
        """The aggregator's code for one of our carriers."""

    @abstractmethod
    def subscribe(self, request: SubscribeRequest) -> None:
        """Ask for pushes about a waybill; raises TrackingError when that did not work."""

    @abstractmethod
    def query(self, company: str, number: str, phone: str = "") -> TrackingReport:
        """The waybill's events now; raises TrackingError."""

    @abstractmethod
    def verify_push(self, form: dict[str, str]) -> bool:
        """Whether a push's signature is right (checked over the raw fields, before parsing)."""

    @abstractmethod
    def parse_push(self, form: dict[str, str]) -> TrackingReport:
        """The report a (verified) push carries; raises MalformedPush."""

    @abstractmethod
    def reply(self, accepted: bool, message: str = "") -> PushReply:
        """What to answer a push: accepted (stop retrying) or not."""
