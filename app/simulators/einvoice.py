"""A Nuonuo-style e-invoice platform (platform-apis.md §7.2), for development, the demo and tests.

It checks what the real one checks (app key, access token, the X-Nuonuo-Sign signature, the method),
issues asynchronously (``requestBillingNew`` answers with a serial number; ``queryInvoiceResult`` says
开票中 until ``issue_seconds`` have passed, then 开票完成 with a 20-digit 数电 number), never issues
twice for one ``orderNo``, fails the way platforms do (a buyer tax id failing its check, the monthly
issuing quota exhausted) and, on request, answers too late (a timeout after it has taken the request).
Red-letter: ``saveInvoiceRedConfirm`` files the form (against a 普票 no buyer confirmation is needed,
state 01; against a 专票 it waits for the buyer, 02, until ``/_simulator/red-forms/<id>`` plays their
answer: 04 confirmed, 05 denied, 06 lapsed), ``queryInvoiceRedConfirm`` reads it, ``fastInvoiceRed``
issues on a form in 01 or 04 only. State lives in one SQLite file so that every thread and a restart see it. The same
model also speaks Baiwang's protocol at ``/router/rest`` (einvoice_baiwang.py).
"""

import contextlib
import json
import secrets
import sqlite3
import threading
import time
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import requests
from flask import Blueprint, Flask, current_app, jsonify, request
from stdnum.cn import uscc
from werkzeug.serving import make_server

from app.domain.invoicing.platforms.nuonuo import METHOD_PREFIX, sign

SCHEMA = """
CREATE TABLE IF NOT EXISTS invoices (
    order_no TEXT PRIMARY KEY, serial_no TEXT UNIQUE NOT NULL, created REAL NOT NULL, ready REAL NOT NULL,
    number TEXT, fail_cause TEXT NOT NULL DEFAULT '', total_fen INTEGER NOT NULL, buyer_name TEXT NOT NULL,
    buyer_tax TEXT NOT NULL, red_of TEXT NOT NULL DEFAULT '', body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS red_forms (bill_id TEXT PRIMARY KEY, blue_number TEXT NOT NULL, body TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT '01');
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS faults (id INTEGER PRIMARY KEY AUTOINCREMENT, code TEXT NOT NULL);
"""
DEFAULT_QUOTA_FEN = 100_000_000  # the monthly total issuing credit line (开具金额总额度): ¥1,000,000
ERRORS = {
    "E1001": "签名校验失败", "E1002": "appKey 或 accessToken 无效", "E1003": "不支持的方法",
    "E2001": "订单编号重复", "E2002": "开具金额总额度不足", "E2003": "请求参数有误", "E9999": "系统繁忙，请稍后重试",
}
bp = Blueprint("sim_einvoice", __name__)


@dataclass(frozen=True)
class Settings:
    app_key: str
    app_secret: str
    access_token: str
    seller_tax_id: str
    issue_seconds: float = 2.0  # how long an invoice stays 开票中
    late_answer_seconds: float = 15.0  # how late a "timeout" fault answers
    # The Baiwang dialect's credentials (einvoice_baiwang.py).
    baiwang_app_key: str = ""
    baiwang_app_secret: str = ""
    baiwang_username: str = ""
    baiwang_password: str = ""
    baiwang_salt: str = ""


class Store:
    def __init__(self, path: str | Path):
        self.path = str(path)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as connection:
            connection.executescript(SCHEMA)
            columns = {row[1] for row in connection.execute("PRAGMA table_info(red_forms)")}
            if "state" not in columns:  # a store file from before red forms had states
                connection.execute("ALTER TABLE red_forms ADD COLUMN state TEXT NOT NULL DEFAULT '01'")

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        return connection

    def run(self, sql: str, args: tuple = ()) -> list[tuple]:
        with closing(self._connect()) as connection:
            return connection.execute(sql, args).fetchall()

    def quota_left(self) -> int:
        rows = self.run("SELECT value FROM settings WHERE name = 'quota_fen'")
        used = self.run("SELECT COALESCE(SUM(total_fen), 0) FROM invoices WHERE fail_cause = '' AND red_of = ''")[0][0]
        return (int(rows[0][0]) if rows else DEFAULT_QUOTA_FEN) - used

    def set_quota(self, fen: int) -> None:
        self.run("INSERT OR REPLACE INTO settings (name, value) VALUES ('quota_fen', ?)", (str(fen),))

    def add_fault(self, code: str, times: int = 1) -> None:
        for _ in range(times):
            self.run("INSERT INTO faults (code) VALUES (?)", (code,))

    def take_fault(self) -> str | None:
        rows = self.run("DELETE FROM faults WHERE id = (SELECT MIN(id) FROM faults) RETURNING code")
        return rows[0][0] if rows else None

    def invoices(self) -> list[dict]:
        columns = ("order_no", "serial_no", "number", "fail_cause", "total_fen", "buyer_name", "red_of")
        rows = self.run(f"SELECT {', '.join(columns)} FROM invoices ORDER BY created")
        return [dict(zip(columns, row, strict=True)) for row in rows]

    def clear(self) -> None:
        for table in ("invoices", "red_forms", "settings", "faults"):
            self.run(f"DELETE FROM {table}")


class Refused(Exception):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@bp.post("/open/v1/services")
def services():
    simulator = current_app.extensions["einvoice_simulator"]
    raw = request.get_data(as_text=True)
    try:
        method = _check(simulator.settings, raw)
        fault = simulator.store.take_fault()
        if fault == "timeout":
            return _late(simulator, method, json.loads(raw))
        if fault:
            raise Refused(fault)
        result = HANDLERS[method](simulator, json.loads(raw))
    except Refused as refused:
        return jsonify(code=refused.code, describe=ERRORS.get(refused.code, refused.code), result=None)
    return jsonify(code="E0000", describe="调用成功", result=result)


def _late(simulator, method: str, body: dict):
    """Take the request, then answer after the caller has given up (a timeout with the work done)."""
    HANDLERS[method](simulator, body)
    time.sleep(simulator.settings.late_answer_seconds)
    return jsonify(code="E9999", describe=ERRORS["E9999"], result=None)


def _check(settings: Settings, raw: str) -> str:
    args, headers = request.args, request.headers
    if args.get("appkey") != settings.app_key or headers.get("accessToken") != settings.access_token:
        raise Refused("E1002")
    expected = sign(settings.app_secret, settings.app_key, args.get("senid", ""), args.get("nonce", ""),
                    args.get("timestamp", ""), raw)
    if not secrets.compare_digest(expected, headers.get("X-Nuonuo-Sign", "")):
        raise Refused("E1001")
    method = headers.get("method", "").removeprefix(METHOD_PREFIX)
    if method not in HANDLERS:
        raise Refused("E1003")
    return method


def _request_billing(simulator, body: dict) -> dict:
    order = body.get("order") or {}
    order_no, details = str(order.get("orderNo", "")), order.get("invoiceDetail") or []
    if not order_no or not details or order.get("salerTaxNum") != simulator.settings.seller_tax_id:
        raise Refused("E2003")
    if simulator.store.run("SELECT 1 FROM invoices WHERE order_no = ?", (order_no,)):
        raise Refused("E2001")  # one invoice per orderNo, however often it is sent
    total = sum(_fen(line.get("taxIncludedAmount", "0")) for line in details)
    if total > simulator.store.quota_left():
        raise Refused("E2002")
    buyer_tax = str(order.get("buyerTaxNum") or "")
    cause = "购方税号校验失败：统一社会信用代码有误" if buyer_tax and not uscc.is_valid(buyer_tax) else ""
    serial = _insert(simulator, order_no, total, str(order.get("buyerName", "")), buyer_tax, cause, body)
    if order.get("callBackUrl"):
        _call_back_later(simulator, str(order["callBackUrl"]), order_no, serial)
    return {"invoiceSerialNum": serial}


def _call_back_later(simulator, url: str, order_no: str, serial: str) -> None:
    """Once the invoice has its answer, tell ``callBackUrl`` (best effort, as platforms do)."""

    def call_back():
        with contextlib.suppress(requests.RequestException):  # the caller polls anyway
            requests.post(url, json={"orderNo": order_no, "serialNo": serial}, timeout=5)

    timer = threading.Timer(simulator.settings.issue_seconds + 0.05, call_back)
    timer.daemon = True
    timer.start()


def _query_result(simulator, body: dict) -> list[dict]:
    keys = [("serial_no", no) for no in body.get("serialNos") or []] + [
        ("order_no", no) for no in body.get("orderNos") or []]
    items = []
    for column, value in keys:
        rows = simulator.store.run(f"SELECT order_no, serial_no, created, ready, number, fail_cause, total_fen, "
                                   f"buyer_name, buyer_tax, red_of FROM invoices WHERE {column} = ?", (value,))
        items.extend(_result_item(simulator, *row) for row in rows)
    return items


def _save_red_confirm(simulator, body: dict) -> dict:
    blue = str(body.get("blueElecInvoiceNumber", ""))
    if not simulator.store.run("SELECT 1 FROM invoices WHERE number = ? AND red_of = ''", (blue,)):
        raise Refused("E2003")
    bill_id = str(body.get("billId") or secrets.token_hex(8))
    # A 数电专票's buyer may have deducted its tax: they must confirm (02). A 普票: no need (01).
    state = "02" if body.get("blueInvoiceLine") == "bs" else "01"
    simulator.store.run("INSERT OR IGNORE INTO red_forms (bill_id, blue_number, body, state) VALUES (?, ?, ?, ?)",
                        (bill_id, blue, json.dumps(body, ensure_ascii=False), state))
    return {"billId": bill_id}


def _query_red_confirm(simulator, body: dict) -> list[dict]:
    rows = simulator.store.run("SELECT bill_id, blue_number, state FROM red_forms WHERE bill_id = ?",
                               (str(body.get("billId")),))
    return [{"billNo": bill_id, "billUuid": bill_id, "billStatus": state, "blueElecInvoiceNumber": blue}
            for bill_id, blue, state in rows]


def _fast_invoice_red(simulator, body: dict) -> dict:
    order_no, bill_no = str(body.get("orderNo", "")), str(body.get("billNo", ""))
    forms = simulator.store.run("SELECT blue_number, body, state FROM red_forms WHERE bill_id = ?", (bill_no,))
    if not order_no or not forms or forms[0][0] != body.get("elecInvoiceNumber") or forms[0][2] not in ("01", "04"):
        raise Refused("E2003")
    if simulator.store.run("SELECT 1 FROM invoices WHERE order_no = ?", (order_no,)):
        raise Refused("E2001")
    form = json.loads(forms[0][1])
    total = -sum(_fen(line.get("taxExcludedAmount", "0")) + _fen(line.get("tax", "0")) for line in form["detail"])
    return {"invoiceSerialNum": _insert(simulator, order_no, total, str(form.get("buyerName", "")), "", "", body,
                                        red_of=forms[0][0])}


HANDLERS = {"requestBillingNew": _request_billing, "queryInvoiceResult": _query_result,
            "saveInvoiceRedConfirm": _save_red_confirm, "queryInvoiceRedConfirm": _query_red_confirm,
            "fastInvoiceRed": _fast_invoice_red}


def _insert(simulator, order_no: str, total: int, buyer: str, buyer_tax: str, cause: str, body: dict,
            red_of: str = "") -> str:
    now = time.time()
    serial = f"{datetime.now(UTC):%y%m%d%H%M%S}{secrets.randbelow(10**8):08d}"
    try:
        simulator.store.run("INSERT INTO invoices (order_no, serial_no, created, ready, fail_cause, total_fen, "
                            "buyer_name, buyer_tax, red_of, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            (order_no, serial, now, now + simulator.settings.issue_seconds, cause, total, buyer,
                             buyer_tax, red_of, json.dumps(body, ensure_ascii=False)))
    except sqlite3.IntegrityError as error:  # the same orderNo at the same moment from another thread
        raise Refused("E2001") from error
    return serial


def _result_item(simulator, order_no, serial, created, ready, number, cause, total, buyer, buyer_tax, red_of) -> dict:
    item = {"serialNo": serial, "orderNo": order_no, "orderAmount": f"{Decimal(total) / 100:.2f}",
            "payerName": buyer, "payerTaxNo": buyer_tax, "invoiceKind": "pc"}
    if time.time() < ready:
        return item | {"status": "20", "statusMsg": "开票中"}
    if cause:
        return item | {"status": "22", "statusMsg": "开票失败", "failCause": cause}
    number = number or _assign_number(simulator, order_no)
    issued_ms = int(ready * 1000)
    qr = f"01,32,,{number},{Decimal(total) / 100:.2f},{datetime.fromtimestamp(ready, UTC):%Y%m%d},,"
    return item | {"status": "2", "statusMsg": "开票完成", "allElectronicInvoiceNumbe": number,
                   "invoiceTime": issued_ms, "qrCode": qr, "oldEleInvoiceNumber": red_of}


def _assign_number(simulator, order_no: str) -> str:
    """A 20-digit 数电 number: year (2), province code (2: 31 Shanghai), 16 digits of sequence."""
    with simulator.lock:
        count = simulator.store.run("SELECT COUNT(number) FROM invoices")[0][0]
        number = f"{datetime.now(UTC):%y}31{count + 1:016d}"
        simulator.store.run("UPDATE invoices SET number = COALESCE(number, ?) WHERE order_no = ?", (number, order_no))
    return simulator.store.run("SELECT number FROM invoices WHERE order_no = ?", (order_no,))[0][0]


def _fen(text) -> int:
    return int(Decimal(str(text)) * 100)


inbox = Blueprint("sim_einvoice_admin", __name__)


@inbox.get("/invoices")
def list_invoices():
    return jsonify(invoices=current_app.extensions["einvoice_simulator"].store.invoices())


@inbox.post("/faults")
def add_fault():
    """``{"code": "timeout" | "E2002" | "E9999", "times": 1}``: how the next calls are answered."""
    body = request.get_json(force=True)
    current_app.extensions["einvoice_simulator"].store.add_fault(str(body["code"]), int(body.get("times", 1)))
    return "", 204


#: The buyer's answer to a red confirmation form waiting for them (Baiwang confirmState): 04 both
#: confirmed, 05 denied, 06 not answered within 72 hours.
RED_FORM_ANSWERS = {"confirm": "04", "deny": "05", "lapse": "06"}


@inbox.post("/red-forms/<bill_id>")
def answer_red_form(bill_id: str):
    """``{"answer": "confirm" | "deny" | "lapse"}``: what the buyer does with a form waiting for them."""
    answer = RED_FORM_ANSWERS.get(str(request.get_json(force=True).get("answer")))
    store = current_app.extensions["einvoice_simulator"].store
    if answer is None:
        return jsonify(error="answer: confirm | deny | lapse"), 422
    if not store.run("UPDATE red_forms SET state = ? WHERE bill_id = ? AND state IN ('02', '03') RETURNING 1",
                     (answer, bill_id)):
        return jsonify(error="no form waiting for the buyer under this id"), 409
    return "", 204


@inbox.put("/quota")
def set_quota():
    current_app.extensions["einvoice_simulator"].store.set_quota(int(request.get_json(force=True)["fen"]))
    return "", 204


@dataclass
class Simulator:
    store: Store
    settings: Settings
    lock: threading.Lock


def create_app(store: Store, settings: Settings) -> Flask:
    app = Flask("orderhub_einvoice_simulator")
    app.extensions["einvoice_simulator"] = Simulator(store, settings, threading.Lock())
    from app.simulators import einvoice_baiwang  # (it builds on this module's issuing model)

    app.register_blueprint(bp)
    app.register_blueprint(einvoice_baiwang.bp)
    app.register_blueprint(inbox, url_prefix="/_simulator")
    return app


def settings_from_config(config, **overrides) -> Settings:
    baiwang = {f"baiwang_{name.lower()}": config[f"BAIWANG_{name}"]
               for name in ("APP_KEY", "APP_SECRET", "USERNAME", "PASSWORD", "SALT")}
    return Settings(config["NUONUO_APP_KEY"], config["NUONUO_APP_SECRET"], config["NUONUO_ACCESS_TOKEN"],
                    config["SELLER_TAX_ID"], **baiwang | overrides)


@dataclass
class Running:
    url: str
    store: Store
    stop: object


def start(settings: Settings, store_path: str | Path, host: str = "127.0.0.1", port: int = 0) -> Running:
    """Serve the simulator in a background thread (port 0: any free port)."""
    store = Store(store_path)
    server = make_server(host, port, create_app(store, settings), threaded=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="einvoice-simulator",
                     daemon=True).start()
    return Running(f"http://{host}:{server.server_port}", store, server.shutdown)
