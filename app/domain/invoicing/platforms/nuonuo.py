"""Nuonuo-style (诺诺 / 诺税通) e-invoice API: one endpoint, the method in a header, HMAC-SHA1 signed
(platform-apis.md §7.2). Blue invoices by ``requestBillingNew``, results by ``queryInvoiceResult``,
red-letter by ``saveInvoiceRedConfirm`` → ``queryInvoiceRedConfirm`` → ``fastInvoiceRed``.
"""

import base64
import hashlib
import hmac
import json
import secrets
import time
from datetime import UTC, datetime

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

METHOD_PREFIX = "nuonuo.OpeMplatform."
OK = "E0000"
#: Codes worth another try (throttling, the platform busy); every other error code is a refusal.
TRANSIENT_CODES = frozenset({"E9999", "070301", "070302"})
#: queryInvoiceResult ``status`` → our state. 21 (signing) still counts as issuing; 24 (signature
#: failed) is a failure the platform itself retries, reported as one.
STATES = {"2": "issued", "20": "issuing", "21": "issuing", "22": "failed", "24": "failed"}
INVOICE_LINES = {"normal": "pc", "special": "bs"}  # 数电普票 / 数电专票
#: Red confirmation form ``billStatus``: 01 needs no confirmation, 04 confirmed by both sides.
RED_FORM_STATES = {"01": "confirmed", "04": "confirmed", "02": "waiting", "03": "waiting"}


def sign(app_secret: str, app_key: str, senid: str, nonce: str, timestamp: str, body: str) -> str:
    message = f"a=services&l=v1&p=open&k={app_key}&i={senid}&n={nonce}&t={timestamp}&f={body}"
    digest = hmac.new(app_secret.encode(), message.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class Nuonuo:
    def __init__(self, endpoint: str, app_key: str, app_secret: str, access_token: str, seller_tax_id: str,
                 timeout: float = 10, callback_url: str = ""):
        self.endpoint, self.app_key, self.app_secret = endpoint, app_key, app_secret
        self.access_token, self.seller_tax_id, self.timeout = access_token, seller_tax_id, timeout
        self.callback_url = callback_url  # where the platform says "answered" (a hint: we poll to learn what)

    def issue(self, request: IssueRequest) -> str:
        if request.red_bill_no:
            body = {"orderNo": request.request_no, "taxNum": self.seller_tax_id,
                    "elecInvoiceNumber": request.red_of_number, "billNo": request.red_bill_no,
                    "invoiceLine": INVOICE_LINES[request.kind]}
            return str(self.call("fastInvoiceRed", body)["invoiceSerialNum"])
        return str(self.call("requestBillingNew", {"order": self._order(request)})["invoiceSerialNum"])

    def find(self, request_no: str) -> IssueResult | None:
        items = self.call("queryInvoiceResult", {"orderNos": [request_no], "isOfferInvoiceDetail": "0"})
        return _result(items[0]) if items else None

    def query(self, serial_no: str) -> IssueResult:
        items = self.call("queryInvoiceResult", {"serialNos": [serial_no], "isOfferInvoiceDetail": "0"})
        if not items:
            raise Unavailable("not_found", Text(N_("流水号 %(serial_no)s 查询不到"), serial_no=serial_no))
        return _result(items[0])

    def open_red_form(self, request: IssueRequest) -> RedForm:
        body = {"billId": request.request_no, "blueInvoiceLine": INVOICE_LINES[request.kind], "applySource": "0",
                "blueElecInvoiceNumber": request.red_of_number, "sellerTaxNo": self.seller_tax_id,
                "buyerName": request.buyer_name, "redReason": request.red_reason,
                "detail": [{"blueDetailIndex": line.blue_line_no, "goodsName": line.name, "num": line.quantity,
                            "taxExcludedAmount": line.excluding, "tax": line.tax} for line in request.lines]}
        result = self.call("saveInvoiceRedConfirm", body)
        return self.red_form(str(result["billId"]))

    def red_form(self, bill_no: str) -> RedForm:
        items = self.call("queryInvoiceRedConfirm", {"billId": bill_no})
        if not items:
            raise Unavailable("not_found", Text(N_("红字确认单 %(bill_no)s 查询不到"), bill_no=bill_no))
        item = items[0]
        state = str(item["billStatus"])
        return RedForm(str(item["billNo"]), RED_FORM_STATES.get(state, "void"), state, item)

    def call(self, method: str, body: dict):
        """POST one signed call; the ``result`` of an ``E0000`` answer. Raises Rejected / Unavailable."""
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        senid, nonce, timestamp = secrets.token_hex(16), str(secrets.randbelow(9 * 10**7) + 10**7), str(int(time.time()))
        headers = {"Content-Type": "application/json", "accessToken": self.access_token,
                   "method": METHOD_PREFIX + method, "userTax": self.seller_tax_id,
                   "X-Nuonuo-Sign": sign(self.app_secret, self.app_key, senid, nonce, timestamp, text)}
        params = {"senid": senid, "nonce": nonce, "timestamp": timestamp, "appkey": self.app_key}
        try:
            response = requests.post(self.endpoint, params=params, data=text.encode(), headers=headers,
                                     timeout=self.timeout)
        except requests.RequestException as error:
            raise Unavailable("network", f"{type(error).__name__}: {error}") from error
        if response.status_code >= 500:
            raise Unavailable(f"HTTP {response.status_code}", response.text[:200])
        try:
            answer = response.json()
        except ValueError as error:
            raise Unavailable(f"HTTP {response.status_code}", N_("应答不是 JSON")) from error
        code = str(answer.get("code", ""))
        if code != OK:
            error_class = Unavailable if code in TRANSIENT_CODES else Rejected
            raise error_class(code or f"HTTP {response.status_code}", str(answer.get("describe", "")))
        return answer.get("result")

    def _order(self, request: IssueRequest) -> dict:
        return {
            "buyerName": request.buyer_name, "buyerTaxNum": request.buyer_tax_id, "buyerPhone": request.buyer_phone,
            "email": request.buyer_email, "buyerTel": request.buyer_tel, "buyerAddress": request.buyer_address,
            "buyerAccount": f"{request.buyer_bank} {request.buyer_account}".strip(), "salerTaxNum": self.seller_tax_id, "orderNo": request.request_no,
            "invoiceDate": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"), "invoiceType": "1",
            "invoiceLine": INVOICE_LINES[request.kind], "clerk": request.clerk, "remark": request.remark,
            "pushMode": "-1",  # OrderHub sends the customer its own PDF and message
            **({"callBackUrl": self.callback_url} if self.callback_url else {}),
            "invoiceDetail": [_detail(line) for line in request.lines],
        }


def _detail(line: IssueLine) -> dict:
    return {"goodsName": line.name, "goodsCode": line.tax_code, "specType": line.spec, "unit": line.unit,
            "withTaxFlag": "1", "price": line.unit_price, "num": str(line.quantity), "taxRate": line.rate,
            "tax": line.tax, "taxExcludedAmount": line.excluding, "taxIncludedAmount": line.amount,
            "invoiceLineProperty": "0", "zeroRateFlag": "" if line.rate != "0" else "1"}


def _result(item: dict) -> IssueResult:
    state = STATES.get(str(item.get("status")), "issuing")
    issued_ms = item.get("invoiceTime")
    return IssueResult(
        serial_no=str(item.get("serialNo", "")), request_no=str(item.get("orderNo", "")), state=state,
        number=str(item.get("allElectronicInvoiceNumbe") or item.get("invoiceNo") or ""),
        issued_at=datetime.fromtimestamp(int(issued_ms) / 1000, UTC) if issued_ms else None,
        fail_code=str(item.get("status")) if state == "failed" else "",
        fail_message=str(item.get("failCause") or item.get("statusMsg") or "") if state == "failed" else "",
        verify_content=str(item.get("qrCode") or ""), raw=item,
    )
