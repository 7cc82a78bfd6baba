"""What the sales-platform simulators (Taobao/Tmall, JD, Pinduoduo, Douyin, Youzan) share.

Each simulator is a small Flask app of its own holding its shops' orders in memory: the platform's
gateway (one module per platform), plus a control API under ``/_sim`` for people and tests — load
orders in the platform's own list format, queue faults (the next K calls throttled, a token expired),
and look at what OrderHub pushed back (shipments, stock). ``Trickle`` keeps a believable stream of new
and changing orders going when the simulator runs for development.
"""

import hashlib
import logging
import random
import threading
import time
from abc import ABC, abstractmethod
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, current_app, jsonify, request
from werkzeug.serving import WSGIRequestHandler, make_server

from app.demo import BEAUTY, HOUSEHOLD, SNACKS
from app.demo_orders import RECEIVERS

GMT8 = ZoneInfo("Asia/Shanghai")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
CLOCK_SKEW_SECONDS = 600  # platforms refuse a request timestamp more than 10 minutes off
logger = logging.getLogger(__name__)


def now_gmt8() -> datetime:
    return datetime.now(GMT8).replace(microsecond=0)


def gmt8(moment: datetime) -> str:
    return moment.astimezone(GMT8).strftime(TIME_FORMAT)


def parse_gmt8(text: str) -> datetime:
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=GMT8)


@dataclass
class Faults:
    throttle_next: int = 0  # answer the next K calls with the platform's throttle error
    ban_seconds: int = 1  # what that error says the ban lasts
    calls_per_second: int = 100  # the platform's own limit per app key
    fail_next: int = 0  # answer the next K calls with a server error (HTTP 502)
    slow_next: int = 0  # answer the next K calls only after slow_seconds (a caller's timeout runs out first)
    slow_seconds: float = 30.0
    delay_seconds: float = 0.0  # every call takes this long (a slow platform: a pull lasts a while)


@dataclass
class ShopState:
    """Everything a simulator knows, behind one lock (the server handles requests in threads)."""

    apps: dict[str, str]  # app key → secret
    sessions: dict[str, str]  # access token → seller (shop) name
    expired: set[str] = field(default_factory=set)
    orders: dict[str, dict] = field(default_factory=dict)  # order id → the platform's full order
    sellers: dict[str, str] = field(default_factory=dict)  # order id → seller
    plaintext: dict[str, dict] = field(default_factory=dict)  # order id → receiver before masking
    stock: dict[str, int] = field(default_factory=dict)  # platform SKU key → quantity shown
    shipments: dict[str, dict] = field(default_factory=dict)
    trickled: set[str] = field(default_factory=set)  # ids of the orders the trickle made (the only ones it moves)
    refused: set[str] = field(default_factory=set)  # waybills whose next shipping call is refused (a test fault)
    faults: Faults = field(default_factory=Faults)
    counters: Counter = field(default_factory=Counter)
    window: dict[int, int] = field(default_factory=dict)  # second → calls
    lock: threading.RLock = field(default_factory=threading.RLock)

    def over_rate(self) -> bool:
        second = int(time.time())
        with self.lock:
            self.window = {second: self.window.get(second, 0) + 1}
            return self.window[second] > self.faults.calls_per_second

    def stall(self) -> None:
        """Keep the calling request waiting as the delay and a queued slow answer say."""
        seconds = self.faults.delay_seconds + (self.faults.slow_seconds if self.take("slow_next") else 0)
        if seconds:
            time.sleep(seconds)

    def refuses(self, waybill: str) -> bool:
        """Whether a shipping call naming ``waybill`` is to be refused (once), as the platform refuses a
        waybill its carrier rules do not accept; each simulator answers in its platform's words."""
        with self.lock:
            if waybill in self.refused:
                self.refused.discard(waybill)
                return True
            return False

    def take(self, fault: str) -> bool:
        """Use up one queued fault of this kind; True when the call should fail with it."""
        with self.lock:
            left = getattr(self.faults, fault)
            if left > 0:
                setattr(self.faults, fault, left - 1)
                return True
            return False


def mask_name(name: str) -> str:
    return f"{name[:1]}**" if name else ""


def mask_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "*" * len(phone)


def mask_detail(address: str) -> str:
    return f"{address[:4]}****" if address else ""


def looks_masked(value: str | None) -> bool:
    return bool(value) and "*" in value


def stand_in(kind: str, cipher: str) -> str:
    """The plaintext the platform would hold behind a ciphertext the simulator did not make itself (a
    loaded real-format order): a demo receiver chosen by the ciphertext, so the same ciphertext always
    decrypts (and masks) to the same value. ``kind``: name, phone, address, province, city, district."""
    receiver = RECEIVERS[int(token(cipher)[:8], 16) % len(RECEIVERS)]
    return str(getattr(receiver, kind))


def token(*parts: object, prefix: str = "") -> str:
    """A deterministic opaque token (an OAID, a ciphertext stand-in) for the given parts."""
    digest = hashlib.sha256("|".join(str(part) for part in parts).encode()).hexdigest()
    return prefix + digest[:32]


class PlatformSimulator(ABC):
    """One platform: subclasses add the gateway routes, the order format and the order life."""

    name: str
    default_apps: dict[str, str]
    default_sessions: dict[str, str]
    catalog: tuple[tuple[str, str, int], ...] = ()  # (merchant code, title, price in fen) for new orders

    def __init__(self, seed: int | None = None, apps: dict | None = None, sessions: dict | None = None):
        self.state = ShopState(dict(apps or self.default_apps), dict(sessions or self.default_sessions))
        self.rng = random.Random(seed)
        self.sequence = 0

    def create_app(self) -> Flask:
        app = Flask(f"{self.name}-simulator")
        app.extensions["shop_simulator"] = self
        app.register_blueprint(control, url_prefix="/_sim")
        self.register(app)
        return app

    # ---- the platform's part -------------------------------------------------------------------------

    @abstractmethod
    def register(self, app: Flask) -> None:
        """Add the platform's gateway route(s)."""

    @abstractmethod
    def load(self, data, seller: str | None) -> int:
        """Take orders in the platform's list-response format (or a bare list); returns how many."""

    @abstractmethod
    def new_order(self, seller: str, now: datetime) -> dict:
        """A new order as the platform would create it (also stored)."""

    @abstractmethod
    def advance(self, order_id: str, now: datetime) -> bool:
        """Move one order one believable step along its life; False when it has nowhere to go."""

    #: (code, title, price in fen) of every demo SKU: what the simulated shops sell.
    catalog = tuple((code, title, price) for group in (SNACKS, HOUSEHOLD, BEAUTY) for code, title, _, price in group)

    def listing_key(self, index: int) -> tuple[str, str]:
        """(item id, platform SKU id) of catalog entry ``index``: stable, so stock survives restarts."""
        return str(600000000000 + index), str(500000000000 + index)

    def next_id(self, base: int) -> str:
        with self.state.lock:
            self.sequence += 1
            return str(base + int(time.time()) * 1000 + self.sequence)

    # ---- the life of the demo ------------------------------------------------------------------------

    def trickle_step(self) -> None:
        """Make a new order or move one the trickle made; loaded orders change only when a load says so."""
        with self.state.lock:
            open_ids = sorted(self.state.trickled)
            if not open_ids or self.rng.random() < 0.5:
                before = set(self.state.orders)
                self.new_order(self.rng.choice(sorted(set(self.state.sessions.values()))), now_gmt8())
                self.state.trickled |= set(self.state.orders) - before
                return
            for order_id in self.rng.sample(open_ids, min(5, len(open_ids))):
                if self.advance(order_id, now_gmt8()):
                    return


class Trickle(threading.Thread):
    """New and changing orders every 10–30 s while the simulator runs for development."""

    def __init__(self, simulator: PlatformSimulator, low: float = 10, high: float = 30):
        super().__init__(name=f"{simulator.name}-trickle", daemon=True)
        self.simulator, self.low, self.high = simulator, low, high
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.simulator.rng.uniform(self.low, self.high)):
            try:
                self.simulator.trickle_step()
            except Exception:  # a demo aid must never take the simulator down
                logger.exception("trickle step failed")

    def stop(self) -> None:
        self.stopped.set()


@dataclass
class Running:
    """A simulator served in a background thread (tests, the simulators command)."""

    simulator: PlatformSimulator
    server: object
    thread: threading.Thread
    url: str
    trickle: Trickle | None = None

    def stop(self) -> None:
        if self.trickle is not None:
            self.trickle.stop()
        self.server.shutdown()
        self.thread.join(timeout=5)


class QuietHandler(WSGIRequestHandler):
    """No access log line per call: a pull makes many, and the trickle's log is what a person reads."""

    def log_request(self, *args, **kwargs) -> None:
        return None


def serve(simulator: PlatformSimulator, host: str = "127.0.0.1", port: int = 0, trickle: bool = False) -> Running:
    server = make_server(host, port, simulator.create_app(), threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              name=f"{simulator.name}-simulator", daemon=True)
    thread.start()
    running = Running(simulator, server, thread, f"http://{host}:{server.server_port}")
    if trickle:
        running.trickle = Trickle(simulator)
        running.trickle.start()
    return running


# ---- the control API (/_sim) ---------------------------------------------------------------------------

control = Blueprint("sim_control", __name__)


def _simulator() -> PlatformSimulator:
    return current_app.extensions["shop_simulator"]


@control.post("/orders")
def load_orders():
    """Orders in the platform's list format, filed under ``?session=`` (the shop that access token
    belongs to, as the channel pulling them sees it) or ``?seller=``; a load replaces the orders it
    names, so a loaded order changes only when a later load says so."""
    simulator = _simulator()
    seller = request.args.get("seller")
    if request.args.get("session"):
        with simulator.state.lock:
            seller = simulator.state.sessions.get(request.args["session"])
        if seller is None:
            return jsonify(error="unknown session"), 400
    count = simulator.load(request.get_json(force=True), seller)
    return jsonify(loaded=count)


@control.get("/orders")
def list_orders():
    state = _simulator().state
    with state.lock:
        return jsonify(orders=list(state.orders.values()))


@control.post("/config")
def configure():
    """Faults and sessions: {"throttle_next": K, "ban_seconds": N, "calls_per_second": N, "fail_next": K,
    "slow_next": K, "slow_seconds": S, "delay_seconds": S, "expire_session": token, "restore_session": token,
    "refuse_waybill": waybill (its next shipping call is refused)}."""
    state = _simulator().state
    body = request.get_json(force=True) or {}
    with state.lock:
        for name in ("throttle_next", "ban_seconds", "calls_per_second", "fail_next", "slow_next"):
            if name in body:
                setattr(state.faults, name, int(body[name]))
        for name in ("slow_seconds", "delay_seconds"):
            if name in body:
                setattr(state.faults, name, float(body[name]))
        if body.get("expire_session"):
            state.expired.add(body["expire_session"])
        if body.get("restore_session"):
            state.expired.discard(body["restore_session"])
        if body.get("refuse_waybill"):
            state.refused.add(str(body["refuse_waybill"]))
    return jsonify(ok=True)


@control.get("/state")
def show_state():
    state = _simulator().state
    with state.lock:
        return jsonify(stock=state.stock, shipments=state.shipments, counters=dict(state.counters),
                       orders=len(state.orders))


@control.post("/step")
def step():
    """One trickle step now (the demo's "something happens" button; tests too)."""
    _simulator().trickle_step()
    return jsonify(ok=True)
