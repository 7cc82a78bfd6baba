"""The e-invoice simulator's Baiwang dialect (platform-apis.md §7.3) at ``/router/rest``, sharing the
Nuonuo dialect's issuing model (one store, one quota, one number sequence, the same faults).

It checks what Baiwang checks: the app key, the MD5 URL signature over the byte-identical body, and a
token from ``baiwang.oauth.token`` (password = SHA256(password + salt)). ``baiwang.output.invoice.issue``
takes the invoice under its ``serialNo`` (once: a repeat is refused 70019) and the invoice becomes
issued (or failed, for a buyer tax id failing its check) after ``issue_seconds``, as
``baiwang.output.invoice.query`` then tells. Red-letter (platform-apis.md §7.1): ``redinvoice.add`` files
the form; against a 普票 it needs no confirmation (state 01), against a 专票 (which the buyer may have
deducted) it waits for the buyer (02) until they confirm (04), deny (05) or let 72 hours pass (06), which
the simulator's ``/_simulator/red-forms/<id>`` plays. ``redinvoice.redforminfo`` reads it; an issue with
``invoiceType`` 1 naming a form in 01 or 04 issues the red invoice, any other state is refused (70035).
"""

import json
import secrets
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, jsonify, request
from stdnum.cn import uscc

from app.domain.invoicing.platforms.baiwang import (
    ISSUE,
    QUERY,
    RED_ADD,
    RED_INFO,
    TOKEN_METHOD,
    password_hash,
    sign,
)
from app.simulators.einvoice import Refused, _fen, _insert, _result_item

ERRORS = {
    "100001": "token 无效", "100002": "token 已过期", "100007": "签名错误", "100010": "appKey 无效",
    "100011": "用户名或密码错误", "70169": "必填参数为空", "70019": "流水号重复", "70035": "红字确认单状态有误",
    "70401": "开具金额总额度不足", "100500": "系统繁忙，请稍后重试", "100404": "不支持的方法",
}
#: The Nuonuo dialect's fault codes, said the Baiwang way.
FAULTS = {"E2002": "70401", "E9999": "100500", "E2003": "70169"}
_SHANGHAI = ZoneInfo("Asia/Shanghai")
CONFIRMED = frozenset({"01", "04"})  # no confirmation needed, or both sides confirmed
bp = Blueprint("sim_einvoice_baiwang", __name__)


@bp.post("/router/rest")
def router():
    simulator = current_app.extensions["einvoice_simulator"]
    raw = request.get_data(as_text=True)
    method = request.args.get("method", "")
    try:
        _check(simulator, raw, method)
        fault = simulator.store.take_fault() if method != TOKEN_METHOD else None
        if fault == "token_expired":
            simulator.store.run("DELETE FROM settings WHERE name LIKE 'bw_token:%'")
            raise Refused("100002")
        if fault == "timeout":
            HANDLERS[method](simulator, json.loads(raw))
            time.sleep(simulator.settings.late_answer_seconds)
            raise Refused("100500")
        if fault:
            raise Refused(FAULTS.get(fault, fault))
        result = HANDLERS[method](simulator, json.loads(raw))
    except Refused as refused:
        return jsonify(success=False, requestId=request.args.get("requestId"),
                       errorResponse={"code": refused.code, "message": ERRORS.get(refused.code, refused.code)})
    return jsonify(success=True, requestId=request.args.get("requestId"), response=result)


def _check(simulator, raw: str, method: str) -> None:
    settings, args = simulator.settings, request.args
    if args.get("appKey") != settings.baiwang_app_key:
        raise Refused("100010")
    params = {key: value for key, value in args.items() if key != "sign"}
    if not secrets.compare_digest(sign(settings.baiwang_app_secret, params, raw), args.get("sign", "")):
        raise Refused("100007")
    if method not in HANDLERS:
        raise Refused("100404")
    if method != TOKEN_METHOD and not simulator.store.run("SELECT 1 FROM settings WHERE name = ?",
                                                          (f"bw_token:{args.get('token', '')}",)):
        raise Refused("100001")


def _token(simulator, body: dict) -> dict:
    settings = simulator.settings
    if (body.get("username"), body.get("password")) != (
            settings.baiwang_username, password_hash(settings.baiwang_password, settings.baiwang_salt)):
        raise Refused("100011")
    token = secrets.token_hex(16)
    simulator.store.run("INSERT INTO settings (name, value) VALUES (?, '1')", (f"bw_token:{token}",))
    return {"access_token": token, "expires_in": 28800, "refresh_token": secrets.token_hex(16)}


def _issue(simulator, body: dict) -> dict:
    data = body.get("data") or {}
    serial, lines = str(data.get("serialNo", "")), data.get("invoiceDetailsList") or []
    if not serial or not lines or body.get("taxNo") != simulator.settings.seller_tax_id:
        raise Refused("70169")
    if simulator.store.run("SELECT 1 FROM invoices WHERE order_no = ?", (serial,)):
        raise Refused("70019")  # one invoice per serialNo, however often it is sent
    total = _fen(data.get("invoiceTotalPriceTax", "0"))
    if str(data.get("invoiceType")) == "1":
        return _issue_red(simulator, serial, data, total, body)
    if total > simulator.store.quota_left():
        return {"success": [], "fail": [{"serialNo": serial, "errorCode": "70401", "errorMessage": ERRORS["70401"]}]}
    buyer_tax = str(data.get("buyerTaxNo") or "")
    cause = "购方税号校验失败：统一社会信用代码有误" if buyer_tax and not uscc.is_valid(buyer_tax) else ""
    _insert(simulator, serial, total, str(data.get("buyerName", "")), buyer_tax, cause, body)
    return {"success": [{"serialNo": serial}], "fail": []}


def _issue_red(simulator, serial: str, data: dict, total: int, body: dict) -> dict:
    forms = simulator.store.run("SELECT blue_number, state FROM red_forms WHERE bill_id = ?",
                                (str(data.get("redConfirmSerialNo", "")),))
    if not forms or forms[0][0] != data.get("originalInvoiceNo") or forms[0][1] not in CONFIRMED:
        raise Refused("70035")
    _insert(simulator, serial, -abs(total), str(data.get("buyerName", "")), "", "", body, red_of=forms[0][0])
    return {"success": [{"serialNo": serial}], "fail": []}


def _query(simulator, body: dict) -> list[dict]:
    serial = str((body.get("data") or {}).get("serialNo", ""))
    rows = simulator.store.run("SELECT order_no, serial_no, created, ready, number, fail_cause, total_fen, "
                               "buyer_name, buyer_tax, red_of FROM invoices WHERE order_no = ?", (serial,))
    return [_as_baiwang(_result_item(simulator, *row)) for row in rows]


def _as_baiwang(item: dict) -> dict:
    """The shared model's answer (Nuonuo-shaped) in Baiwang's words."""
    status = {"2": "issued", "22": "failed"}.get(item["status"], "issuing")
    answer = {"serialNo": item["orderNo"], "status": status, "buyerName": item["payerName"],
              "buyerTaxNo": item["payerTaxNo"], "invoiceTotalPriceTax": item["orderAmount"]}
    if status == "issued":
        issued = datetime.fromtimestamp(item["invoiceTime"] / 1000, UTC).astimezone(_SHANGHAI)
        answer |= {"invoiceNo": item["allElectronicInvoiceNumbe"], "invoiceDate": f"{issued:%Y%m%d%H%M%S}",
                   "invoiceQrCode": item["qrCode"], "originalInvoiceNo": item.get("oldEleInvoiceNumber", "")}
    if status == "failed":
        answer |= {"errorCode": "70300", "errorMessage": item["failCause"]}
    return answer


def _red_add(simulator, body: dict) -> dict:
    data = body.get("data") or {}
    bill, blue = str(data.get("redConfirmSerialNo", "")), str(data.get("originalInvoiceNo", ""))
    if not bill or not simulator.store.run("SELECT 1 FROM invoices WHERE number = ? AND red_of = ''", (blue,)):
        raise Refused("70169")
    # A 专票's buyer may have deducted its tax: they must confirm (02, seller entered). A 普票: no need (01).
    state = "02" if str(data.get("originInvoiceType")) == "01" else "01"
    simulator.store.run("INSERT OR IGNORE INTO red_forms (bill_id, blue_number, body, state) VALUES (?, ?, ?, ?)",
                        (bill, blue, json.dumps(body, ensure_ascii=False), state))
    return _red_info(simulator, {"data": {"redConfirmSerialNo": bill}})[0]


def _red_info(simulator, body: dict) -> list[dict]:
    bill = str((body.get("data") or {}).get("redConfirmSerialNo", ""))
    rows = simulator.store.run("SELECT bill_id, blue_number, state FROM red_forms WHERE bill_id = ?", (bill,))
    return [{"redConfirmSerialNo": bill_id, "originalInvoiceNo": blue, "confirmState": state,
             "alreadyRedInvoiceFlag": "Y" if _red_issued_on(simulator, bill_id) else "N"}
            for bill_id, blue, state in rows]


def _red_issued_on(simulator, bill: str) -> bool:
    return bool(simulator.store.run("SELECT 1 FROM invoices WHERE red_of != '' "
                                    "AND json_extract(body, '$.data.redConfirmSerialNo') = ?", (bill,)))


HANDLERS = {TOKEN_METHOD: _token, ISSUE: _issue, QUERY: _query, RED_ADD: _red_add, RED_INFO: _red_info}
