"""Baiwang-style (百望云) e-invoice API (platform-apis.md §7.3): one router endpoint, the method and an
MD5 signature in the URL, a password-grant token. Blue and red invoices by ``baiwang.output.invoice.issue``
(``serialNo`` = our request number, the idempotency key), results by ``baiwang.output.invoice.query``,
red confirmation forms by ``baiwang.output.redinvoice.add`` / ``redforminfo``.

Baiwang issues synchronously: an accepted request is already issued or failed, so the serial number
returned is our own request number and the poll that follows finds the answer at once.
"""

import hashlib
import json
import secrets
import time
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import requests

from app.domain.invoicing.platforms.base import (
    IssueLine,
    IssueRequest,
    IssueResult,
    RedForm,
    Rejected,
    Unavailable,
)
from app.text import N_, Text

TOKEN_METHOD = "baiwang.oauth.token"
ISSUE, QUERY = "baiwang.output.invoice.issue", "baiwang.output.invoice.query"
RED_ADD, RED_INFO = "baiwang.output.redinvoice.add", "baiwang.output.redinvoice.redforminfo"
VERSIONS = {RED_ADD: "7.0", RED_INFO: "7.0"}
#: Token invalid or expired: authenticate again and repeat the call once.
TOKEN_ERRORS = frozenset({"100001", "100002"})
TRANSIENT_CODES = frozenset({"100003", "100500"})  # throttled, busy
INVOICE_TYPE_CODES = {"normal": "02", "special": "01"}
#: Our red reasons (Nuonuo's redReason numbering) → Baiwang's redInvoiceLabel (the tax bureau's order).
RED_LABELS = {"1": "02", "2": "01", "3": "03", "4": "04"}
#: confirmState: 01 no confirmation needed, 04 both confirmed; 02/03 waiting for a side; 05–10 void.
RED_FORM_STATES = {"01": "confirmed", "04": "confirmed", "02": "waiting", "03": "waiting"}
SHANGHAI = ZoneInfo("Asia/Shanghai")  # Baiwang's invoiceDate is China time, yyyyMMddHHmmss
STATES = {"issued": "issued", "issuing": "issuing", "failed": "failed"}


def sign(app_secret: str, params: dict, body: str) -> str:
    """upper(md5(secret + sorted non-empty URL k+v + compact body + secret)): the vendor's scheme, MD5 and all."""
    joined = "".join(f"{key}{value}" for key, value in sorted(params.items()) if value not in ("", None))
    return hashlib.md5(f"{app_secret}{joined}{body}{app_secret}".encode()).hexdigest().upper()


def password_hash(password: str, salt: str) -> str:
    return hashlib.sha256(f"{password}{salt}".encode()).hexdigest()


class Baiwang:
    def __init__(self, endpoint: str, app_key: str, app_secret: str, username: str, password: str, salt: str,
                 seller_tax_id: str, timeout: float = 10):
        self.endpoint, self.app_key, self.app_secret = endpoint, app_key, app_secret
        self.username, self.password, self.salt = username, password, salt
        self.seller_tax_id, self.timeout = seller_tax_id, timeout
        self.token = ""

    def issue(self, request: IssueRequest) -> str:
        answer = self.call(ISSUE, {"taxNo": self.seller_tax_id, "data": self._invoice(request)})
        failed = answer.get("fail") or []
        if failed:
            raise Rejected(str(failed[0].get("errorCode", "")), str(failed[0].get("errorMessage", "")))
        return request.request_no

    def find(self, request_no: str) -> IssueResult | None:
        items = self.call(QUERY, {"taxNo": self.seller_tax_id, "data": {"serialNo": request_no}})
        return _result(items[0]) if items else None

    def query(self, serial_no: str) -> IssueResult:
        found = self.find(serial_no)
        if found is None:
            raise Unavailable("not_found", Text(N_("流水号 %(serial_no)s 查询不到"), serial_no=serial_no))
        return found

    def open_red_form(self, request: IssueRequest) -> RedForm:
        body = {"taxNo": self.seller_tax_id, "data": {
            "redConfirmSerialNo": request.request_no, "entryIdentity": "01", "originalInvoiceNo": request.red_of_number,
            "originInvoiceType": INVOICE_TYPE_CODES[request.kind], "redInvoiceLabel": RED_LABELS[request.red_reason],
            "autoIssueSwitch": "N", "buyerName": request.buyer_name,
            "redConfirmDetailReqEntityList": [_detail(index, line) for index, line in enumerate(request.lines, 1)]}}
        answer = self.call(RED_ADD, body)
        return _red_form(answer[0] if isinstance(answer, list) else answer)

    def red_form(self, bill_no: str) -> RedForm:
        answer = self.call(RED_INFO, {"taxNo": self.seller_tax_id, "data": {"redConfirmSerialNo": bill_no}})
        if not answer:
            raise Unavailable("not_found", Text(N_("红字确认单 %(bill_no)s 查询不到"), bill_no=bill_no))
        return _red_form(answer[0] if isinstance(answer, list) else answer)

    def call(self, method: str, body: dict, retried: bool = False):
        """POST one signed call; the ``response`` of a successful answer. Raises Rejected / Unavailable."""
        if not self.token and method != TOKEN_METHOD:
            self.authenticate()
        try:
            return self._post(method, body)
        except Rejected as error:
            if error.code in TOKEN_ERRORS and not retried and method != TOKEN_METHOD:
                self.token = ""
                return self.call(method, body, retried=True)
            raise

    def authenticate(self) -> None:
        answer = self._post(TOKEN_METHOD, {"username": self.username, "grant_type": "password",
                                           "password": password_hash(self.password, self.salt),
                                           "client_id": self.app_key, "client_secret": self.app_secret})
        self.token = str(answer["access_token"])

    def _post(self, method: str, body: dict):
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        params = {"method": method, "version": VERSIONS.get(method, "6.0"), "appKey": self.app_key, "format": "json",
                  "timestamp": str(int(time.time() * 1000)), "token": self.token, "type": "sync",
                  "requestId": secrets.token_hex(16)}
        params["sign"] = sign(self.app_secret, params, text)
        try:
            response = requests.post(self.endpoint, params=params, data=text.encode(), timeout=self.timeout,
                                     headers={"Content-Type": "application/json; charset=utf-8"})
        except requests.RequestException as error:
            raise Unavailable("network", f"{type(error).__name__}: {error}") from error
        if response.status_code >= 500:
            raise Unavailable(f"HTTP {response.status_code}", response.text[:200])
        try:
            answer = response.json()
        except ValueError as error:
            raise Unavailable(f"HTTP {response.status_code}", N_("应答不是 JSON")) from error
        if answer.get("success"):
            return answer.get("response")
        error = answer.get("errorResponse") or {}
        code = str(error.get("code", "")) or f"HTTP {response.status_code}"
        error_class = Unavailable if code in TRANSIENT_CODES else Rejected
        raise error_class(code, str(error.get("message", "")))

    def _invoice(self, request: IssueRequest) -> dict:
        red = bool(request.red_bill_no)
        lines = [_detail(index, line) for index, line in enumerate(request.lines, 1)]
        return {
            "invoiceType": "1" if red else "0", "invoiceTypeCode": INVOICE_TYPE_CODES[request.kind],
            "priceTaxMark": "1", "invoiceListMark": "0", "taxationMethod": "0", "serialNo": request.request_no,
            "buyerName": request.buyer_name, "buyerTaxNo": request.buyer_tax_id,
            "buyerAddressPhone": f"{request.buyer_address} {request.buyer_tel}".strip(),
            "buyerBankAccount": f"{request.buyer_bank} {request.buyer_account}".strip(),
            "buyerEmail": request.buyer_email, "drawer": request.clerk, "remarks": request.remark,
            "invoiceTotalPrice": _sum(line["goodsTotalPrice"] for line in lines),
            "invoiceTotalTax": _sum(line["goodsTotalTax"] for line in lines),
            "invoiceTotalPriceTax": _sum(line.amount for line in request.lines),
            **({"originalInvoiceNo": request.red_of_number, "redConfirmSerialNo": request.red_bill_no} if red else {}),
            "invoiceDetailsList": lines,
        }


def _detail(number: int, line: IssueLine) -> dict:
    return {"goodsLineNo": line.blue_line_no or number, "invoiceLineNature": "0", "goodsCode": line.tax_code,
            "goodsName": line.name, "goodsTaxRate": line.rate, "goodsTotalPrice": line.excluding,
            "goodsTotalTax": line.tax, "goodsQuantity": str(line.quantity), "goodsPrice": line.unit_price,
            "goodsUnit": line.unit, "goodsSpecification": line.spec, "preferentialMarkFlag": "0"}


def _sum(amounts) -> str:
    return f"{sum((Decimal(amount) for amount in amounts), Decimal(0)):.2f}"


def _result(item: dict) -> IssueResult:
    state = STATES.get(str(item.get("status")), "issuing")
    issued = item.get("invoiceDate")
    return IssueResult(
        serial_no=str(item.get("serialNo", "")), request_no=str(item.get("serialNo", "")), state=state,
        number=str(item.get("invoiceNo") or ""),
        issued_at=datetime.strptime(issued, "%Y%m%d%H%M%S").replace(tzinfo=SHANGHAI) if issued else None,
        fail_code=str(item.get("errorCode") or "") if state == "failed" else "",
        fail_message=str(item.get("errorMessage") or "") if state == "failed" else "",
        verify_content=str(item.get("invoiceQrCode") or ""), raw=item,
    )


def _red_form(item: dict) -> RedForm:
    state = str(item.get("confirmState", ""))
    return RedForm(str(item.get("redConfirmSerialNo", "")), RED_FORM_STATES.get(state, "void"), state, item)
