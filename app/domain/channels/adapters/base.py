"""The interface every platform adapter implements, and the machinery they share.

An adapter speaks one platform's protocol and nothing else: signing, paging, the platform's error
envelope and its back-off signals, its push format. What a payload *means* (field mapping, status
mapping) is data in the adapter's ``DEFAULT_MAPPING`` applied by ``mapping.py``; what we *do* with it
is ``normalise.py``. Adapters are built by workers and commands (``build_adapter``) and handed to the
domain, so a simulator and the real platform are interchangeable by the gateway URL alone.

Back-off (platform-apis §9): a throttle answer that says "ban will last N seconds" waits N+1 s,
otherwise exponential from 1 s with full jitter, capped at 60 s; a ban longer than
``max_inline_wait`` is not slept through but raised, so the sync records "throttled until" and a
later run resumes. Token expiry is raised at once (never retried): the shop is flagged for staff.
"""

import json
import random
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import ClassVar, Protocol
from zoneinfo import ZoneInfo

import requests

from app.text import N_, Text

GMT8 = ZoneInfo("Asia/Shanghai")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class Credentials:
    app_key: str
    app_secret: str
    access_token: str = ""
    refresh_token: str = ""
    push_secret: str = ""


@dataclass(frozen=True)
class RawOrder:
    """One order as the platform sent it, with the two facts needed to store it before mapping."""

    external_id: str
    modified_at: datetime | None
    payload: dict


@dataclass(frozen=True)
class MaskedReceiver:
    """The receiver as the order keeps it: masked by the platform (王**, 138****8000)."""

    name: str
    phone: str
    province: str
    city: str
    district: str
    address: str
    town: str = ""  # street / town (乡镇街道)
    postcode: str = ""


@dataclass(frozen=True)
class PlatformInvoice:
    """What the buyer asked to be invoiced, as the platform says it (mapping ``invoice``)."""

    title_type: str  # personal | company
    title: str
    tax_id: str = ""
    email: str = ""
    kind: str = "normal"  # normal (普票) | special (专票)


@dataclass(frozen=True)
class PlatformLine:
    code: str  # the merchant code (商家编码), or the platform SKU id when the seller set none
    quantity: int
    unit_price_fen: int
    title: str = ""
    item_id: str = ""
    platform_sku_id: str = ""
    refund: str = "none"  # the line's after-sales: none | requested | granted (mapping ``line_refunds``)
    refund_status: str = ""  # as the platform says it (shown in the hold's reason)
    refund_fen: int | None = None  # the amount the platform refunded on the line, when it says
    paid_fen: int | None = None  # what the buyer paid for the line after discounts, when the platform says
    line_id: str = ""  # the platform's sub-order id (Taobao/Youzan ``oid``, Douyin's sku order ``order_id``)


@dataclass(frozen=True)
class PlatformOrder:
    """One platform order in our terms, whatever platform it came from (built by mapping.apply)."""

    external_id: str
    platform_status: str
    stage: str  # one of mapping.STAGES
    modified_at: datetime
    created_at: datetime | None
    paid_at: datetime | None
    payment_fen: int
    shipping_fen: int
    buyer_name: str
    remark: str
    receiver: MaskedReceiver
    pii_tokens: dict
    lines: list[PlatformLine]
    waybill_no: str = ""
    carrier: str = ""  # as the platform names it
    carrier_code: str = ""  # our carrier code, when the mapping knows it
    ship_by_at: datetime | None = None  # the platform's promised ship-by time (承诺发货时间)
    holds: list[str] = field(default_factory=list)  # flags keeping it from the warehouse ("group_status=0")
    discounts: dict[str, int] = field(default_factory=dict)  # funded by {"platform", "seller", "coupon"}, as given
    invoice: PlatformInvoice | None = None
    platform_goods_fen: int | None = None  # the goods total the platform states (mapping ``goods_total``)

    @property
    def goods_fen(self) -> int:
        return sum(line.quantity * line.unit_price_fen for line in self.lines)


@dataclass(frozen=True)
class ListEntry:
    """An order as the list call returns it: complete for most platforms, keys only for Taobao."""

    external_id: str
    modified_at: datetime | None
    payload: dict
    complete: bool = True


@dataclass
class PullPage:
    number: int
    orders: list[ListEntry]


@dataclass(frozen=True)
class PushMessage:
    """One pushed message: the full order when the platform sends it, else only its id (fetched later)."""

    message_id: str
    external_id: str
    payload: dict | None = None
    topic: str = ""
    #: When the platform says the change happened, read from signed content only (None: it signs no time).
    sent_at: datetime | None = None


@dataclass
class PushBatch:
    messages: list[PushMessage]
    reply_body: str = '{"code":0,"msg":"success"}'
    reply_status: int = 200
    reply_content_type: str = "application/json"


@dataclass(frozen=True)
class Listing:
    """Where one of our SKUs sits on the platform (ids learned from orders)."""

    platform_code: str
    item_id: str = ""
    platform_sku_id: str = ""


@dataclass(frozen=True)
class ShippedParcel:
    """One parcel of an order as its platform is told it: the platform's carrier value, the waybill, and
    what it carries as (platform sub-order id, quantity). ``lines`` is empty when nothing in it can be
    named on the platform: the order's lines have no sub-order ids (JD, Pinduoduo ship per order), or
    every sub-order it carries was named by an earlier parcel (the rest of a bundle split across
    warehouses)."""

    carrier: str
    waybill_no: str
    lines: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class ShipmentCall:
    """One call telling the platform about ``waybills`` (one parcel, or several told together):
    ``send()`` makes it and returns the platform's answer, or raises PlatformError."""

    waybills: tuple[str, ...]
    method: str
    send: Callable[[], dict]


def sub_order_groups(parcels: list[ShippedParcel]) -> list[tuple[list[str], ShippedParcel, list[str]]] | None:
    """For platforms that ship per sub-order (Taobao ``sub_tid``, Youzan ``oids``): each parcel with the
    sub-orders it names first, as (waybills told with it, the parcel, sub-order ids). A sub-order is
    shipped once on these platforms, so a parcel whose sub-orders were all named by an earlier one is
    folded into that one's call (its waybill is on our record but has no place on the platform). None
    when the order is not split there: one parcel, no sub-order ids, or only one parcel naming any."""
    if len(parcels) < 2 or not parcels[0].lines:
        return None
    groups: list[tuple[list[str], ShippedParcel, list[str]]] = []
    named: set[str] = set()
    for parcel in parcels:
        ids = [line_id for line_id in dict.fromkeys(line_id for line_id, _ in parcel.lines) if line_id not in named]
        if ids:
            groups.append(([parcel.waybill_no], parcel, ids))
            named.update(ids)
        else:
            groups[-1][0].append(parcel.waybill_no)
    return groups if len(groups) > 1 else None


@dataclass(frozen=True)
class PlainReceiver:
    """A receiver in plaintext, as the platform's decrypt call returns it. Never logged, never stored."""

    name: str
    phone: str
    province: str
    city: str
    district: str
    address: str

    def __repr__(self) -> str:  # keep plaintext out of tracebacks and logs
        return "PlainReceiver(<redacted>)"


class PlatformError(Exception):
    """An error answer from the platform (``code`` as the platform spells it)."""

    def __init__(self, code: str, message: str, sub_code: str = ""):
        super().__init__(f"[{code}{'/' + sub_code if sub_code else ''}] {message}")
        self.code, self.message, self.sub_code = str(code), message, sub_code


class ThrottledError(PlatformError):
    def __init__(self, code: str, message: str, sub_code: str = "", retry_after: float | None = None):
        super().__init__(code, message, sub_code)
        self.retry_after = retry_after


class TokenExpiredError(PlatformError):
    """The shop's access token is invalid or expired: staff must re-authorise; never retried."""


class TransientError(PlatformError):
    """A server-side hiccup (5xx, isp.*, timeouts): worth a few retries."""


class PushNotSupported(PlatformError):
    def __init__(self, platform: str):
        super().__init__("push_not_supported", Text(N_("%(platform)s 不通过 HTTP 推送订单"), platform=platform))


class CallLimiter(Protocol):
    def wait(self) -> None: ...

    def ban(self, seconds: float) -> None: ...


class NoLimit:
    def wait(self) -> None:
        return None

    def ban(self, seconds: float) -> None:
        return None


@dataclass
class CallStats:
    calls: int = 0
    retries: int = 0
    slept: float = 0.0
    waits: list[float] = field(default_factory=list)


class ChannelAdapter(ABC):
    platform: ClassVar[str]
    gateway_setting: ClassVar[str]  # the config key holding the gateway URL
    default_gateway: ClassVar[str]
    max_window: ClassVar[timedelta]  # longest modified-time window one list call accepts
    history: ClassVar[timedelta] = timedelta(days=90)  # how far back the platform still answers
    overlap: ClassVar[timedelta] = timedelta(minutes=3)  # re-read before the watermark each run
    end_lag: ClassVar[timedelta] = timedelta(0)  # keep the window's end this far behind now
    page_size: ClassVar[int] = 100
    list_is_complete: ClassVar[bool] = True  # False: each listed order needs a detail call
    DEFAULT_MAPPING: ClassVar[dict]  # the field map (mapping.py reads it)
    max_inline_wait: ClassVar[float] = 30.0
    max_attempts: ClassVar[int] = 6
    transient_retries: ClassVar[int] = 3

    def __init__(self, credentials: Credentials, gateway: str, *, limiter: CallLimiter | None = None,
                 sleep: Callable[[float], None] = time.sleep, http: requests.Session | None = None,
                 timeout: tuple[float, float] = (5.0, 20.0), jitter: Callable[[], float] = random.random):
        self.credentials = credentials
        self.gateway = gateway
        self.limiter = limiter or NoLimit()
        self.sleep = sleep
        self.http = http or requests.Session()
        self.timeout = timeout
        self.jitter = jitter
        self.stats = CallStats()

    # ---- what each platform implements -------------------------------------------------------------

    @abstractmethod
    def list_window(self, start: datetime, end: datetime) -> Iterator[PullPage]:
        """Yield the pages of every order modified in [start, end], in the order the platform advises
        (backwards from the last page where it says so)."""

    @abstractmethod
    def fetch_order(self, external_id: str) -> RawOrder:
        """The full order (the detail call)."""

    @abstractmethod
    def push_shipment(self, external_id: str, carrier: str, waybill_no: str) -> dict:
        """Tell the platform the order shipped; ``carrier`` is the platform's own carrier value.
        Returns the platform's answer; raises PlatformError when it refuses."""

    def shipment_calls(self, external_id: str, parcels: list[ShippedParcel]) -> list[ShipmentCall]:
        """The calls that tell the platform the order shipped as ``parcels`` (the order's own first), in
        the order they must be made; push.py makes them one by one and records which were answered, so a
        retry never repeats an acknowledged one. Each platform overrides this with its split-shipment
        mechanism; here (a platform without one) the order's own parcel is told, for all of them."""
        first = parcels[0]
        return [ShipmentCall(tuple(parcel.waybill_no for parcel in parcels), "shipment",
                             lambda: self.push_shipment(external_id, first.carrier, first.waybill_no))]

    def push_parcels(self, external_id: str, parcels: list[ShippedParcel]) -> dict:
        """Every call of ``shipment_calls`` at once: the platform's answer (``{"calls": [...]}`` for several)."""
        answers = [call.send() for call in self.shipment_calls(external_id, parcels)]
        return answers[0] if len(answers) == 1 else {"calls": answers}

    @abstractmethod
    def push_stock(self, listing: Listing, quantity: int) -> dict:
        """Set the sellable quantity of one listed SKU (a full update, so repeating it is harmless)."""

    @abstractmethod
    def read_stock(self, listing: Listing) -> int:
        """The quantity the platform currently shows for one listed SKU."""

    @abstractmethod
    def decrypt_receiver(self, external_id: str, pii_tokens: dict, scene: str) -> PlainReceiver:
        """The receiver in plaintext through the platform's decrypt call, for ``scene`` (e.g. a waybill)."""

    @abstractmethod
    def _send(self, method: str, params: dict) -> dict:
        """One signed request; returns the decoded body or raises a classified PlatformError."""

    def verify_push(self, headers: Mapping[str, str], body: bytes) -> bool:
        """Whether a pushed request carries the platform's signature over the raw ``body``."""
        raise PushNotSupported(self.platform)

    def parse_push(self, headers: Mapping[str, str], body: bytes) -> PushBatch:
        raise PushNotSupported(self.platform)

    def refresh_access_token(self) -> Credentials | None:
        """New credentials when the platform lets us refresh the token ourselves (Douyin, Youzan); None
        means staff must re-authorise."""
        return None

    # ---- shared machinery --------------------------------------------------------------------------

    def call(self, method: str, params: dict) -> dict:
        """``_send`` under the shop's rate limit, backing off as the platform tells us to."""
        attempt = 0
        while True:
            self.limiter.wait()
            self.stats.calls += 1
            try:
                return self._send(method, params)
            except ThrottledError as error:
                wait = self._throttle_wait(error, attempt)
                if wait > self.max_inline_wait or attempt + 1 >= self.max_attempts:
                    error.retry_after = wait
                    raise
                self.limiter.ban(wait)
                self._pause(wait)
            except TransientError:
                if attempt >= self.transient_retries:
                    raise
                self._pause(self._backoff(attempt))
            attempt += 1
            self.stats.retries += 1

    def _throttle_wait(self, error: ThrottledError, attempt: int) -> float:
        if error.retry_after is not None:
            return error.retry_after + 1
        return self._backoff(attempt)

    def _backoff(self, attempt: int) -> float:
        """Exponential from 1 s with full jitter, capped at 60 s."""
        return max(0.05, self.jitter() * min(60.0, float(2 ** attempt)))

    def _pause(self, seconds: float) -> None:
        self.stats.slept += seconds
        self.stats.waits.append(seconds)
        self.sleep(seconds)

    def _post(self, data: dict) -> dict:
        try:
            response = self.http.post(self.gateway, data=data, timeout=self.timeout)
        except (requests.ConnectionError, requests.Timeout) as error:
            raise TransientError("network", Text(N_("无法连接平台: %(error)s"), error=type(error).__name__)) from error
        if response.status_code >= 500:
            raise TransientError(str(response.status_code), N_("平台服务暂时不可用"))
        try:
            return response.json()
        except ValueError as error:
            raise TransientError(str(response.status_code), N_("平台返回了无法解析的内容")) from error

    def pages_backwards(self, fetch: Callable[[int, int], tuple[list, int | None, bool]],
                        probe_total: Callable[[], int]) -> Iterator[tuple[int, list]]:
        """Walk a modified-time window from its last page to its first.

        Results are newest first; an order modified while we page leaves the window and the ones
        behind it move one place forward. Walking backwards, such a shift can only repeat an order
        (harmless: payloads are stored once), never skip one. ``fetch(page, size)`` returns (items,
        total or None, has_next).
        """
        total = probe_total()
        last = max(1, -(-total // self.page_size))
        items, _, has_next = fetch(last, self.page_size)
        extra = last
        while has_next:  # more than the probe counted: walk forward to the true end first
            extra += 1
            more, _, has_next = fetch(extra, self.page_size)
            yield extra, more
        yield last, items
        for page in range(last - 1, 0, -1):
            items, _, _ = fetch(page, self.page_size)
            yield page, items


def gmt8_text(moment: datetime) -> str:
    """An aware datetime as the platforms write time: ``yyyy-MM-dd HH:mm:ss`` in GMT+8."""
    return moment.astimezone(GMT8).strftime(TIME_FORMAT)


def parse_gmt8(text: str | None) -> datetime | None:
    if not text or text.startswith("0001-01-01"):
        return None
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=GMT8)


def compact_json(value) -> str:
    """JSON without spaces, sent byte-identical to what was signed."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
