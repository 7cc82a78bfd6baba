"""What OrderHub asks of an e-invoice platform, and what it gets back, whoever the vendor is.

Every request carries our own request number (``request_no``, Nuonuo's ``orderNo``, Baiwang's
``serialNo``): the platform issues at most one invoice per number, and ``find`` looks one up by it,
which is how a retry after a timeout or a killed worker learns that the first attempt got through.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


class PlatformError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message


class Rejected(PlatformError):
    """The platform refused the request (bad buyer tax id, quota exhausted …): retrying will not help."""


class Unavailable(PlatformError):
    """No answer, or a transient one (timeout, 5xx, throttling): the request may or may not have arrived."""


@dataclass(frozen=True)
class IssueLine:
    name: str
    tax_code: str
    rate: str  # "0.13"
    quantity: int
    unit_price: str  # including tax, yuan
    amount: str  # including tax, yuan
    excluding: str
    tax: str
    unit: str = ""
    spec: str = ""
    blue_line_no: int | None = None  # a red line: the blue invoice's line it reverses


@dataclass(frozen=True)
class IssueRequest:
    request_no: str
    kind: str  # normal | special
    buyer_name: str
    buyer_tax_id: str
    buyer_email: str
    buyer_phone: str
    seller_tax_id: str
    clerk: str
    lines: list[IssueLine]
    remark: str = ""
    red_of_number: str = ""  # a red invoice: the blue invoice's number
    red_reason: str = ""  # Nuonuo redReason code
    red_bill_no: str = ""  # the red confirmation form (红字确认单) it rests on
    # A 专票's buyer details (empty on a 普票).
    buyer_address: str = ""
    buyer_tel: str = ""
    buyer_bank: str = ""
    buyer_account: str = ""


@dataclass(frozen=True)
class IssueResult:
    serial_no: str
    request_no: str
    state: str  # issuing | issued | failed
    number: str = ""
    issued_at: datetime | None = None
    fail_code: str = ""
    fail_message: str = ""
    verify_content: str = ""
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class RedForm:
    bill_no: str
    state: str  # confirmed | waiting | void
    platform_state: str = ""  # the vendor's own code (Baiwang confirmState, Nuonuo billStatus)
    raw: dict = field(default_factory=dict)


class Platform(Protocol):
    def issue(self, request: IssueRequest) -> str:
        """Ask for a blue (or, with ``red_*`` set, red) invoice; returns the platform's serial number.
        Raises Rejected or Unavailable."""

    def find(self, request_no: str) -> IssueResult | None:
        """The platform's record of our request number, or None if it never received it."""

    def query(self, serial_no: str) -> IssueResult:
        """Where the request stands now."""

    def open_red_form(self, request: IssueRequest) -> RedForm:
        """File the red confirmation form (红字确认单) for the red invoice ``request`` describes (its
        ``red_of_number``, ``red_reason`` and the reversed lines)."""

    def red_form(self, bill_no: str) -> RedForm:
        """Where a red confirmation form stands."""
