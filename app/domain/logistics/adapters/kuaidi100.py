"""快递100 (Kuaidi100): subscribe, signed pushes, real-time query (platform-apis §6).

- subscribe: POST ``{api}/poll`` form ``schema=json`` + ``param`` {company, number, key, parameters
  {callbackurl, salt, resultv2, phone}}; answer {result, returnCode, message}, 501 = already subscribed.
- push: form ``param`` (JSON) + ``sign`` = upper(md5(param + salt)); reply {result, returnCode, message}.
- query: POST ``{api}/poll/query.do`` form customer, param, sign = upper(md5(param + key + customer));
  events newest first.

The same class talks to the simulator and to the real service: only the URL and the secrets differ.
"""

import hashlib
import hmac
import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import requests

from app.domain.logistics.adapters.base import (
    MalformedPush,
    PushReply,
    SubscribeRequest,
    TrackingAdapter,
    TrackingError,
    TrackingReport,
    TrackItem,
)
from app.domain.logistics.states import code_for_word
from app.text import N_, Text

SHANGHAI = ZoneInfo("Asia/Shanghai")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
TIMEOUT = (5, 15)  # connect, read (seconds)
#: returnCodes that mean "try again later" (500 server error, 502 busy); 501 = already subscribed.
TRANSIENT_CODES = {"500", "502", "503"}
ALREADY_SUBSCRIBED = "501"
#: Our carrier codes that Kuaidi100 spells differently (its codes are always lower case).
COMPANY_ALIASES = {"sf": "shunfeng", "sto": "shentong", "zto": "zhongtong", "yto": "yuantong", "jdl": "jd",
                   "jt": "jtexpress", "deppon": "debangkuaidi"}
#: Carriers that answer only when the receiver's phone (or its last four digits) comes along.
NEEDS_PHONE = {"shunfeng", "shunfengkuaiyun", "zhongtong"}


def push_sign(param: str, salt: str) -> str:
    return hashlib.md5((param + salt).encode()).hexdigest().upper()


def query_sign(param: str, key: str, customer: str) -> str:
    return hashlib.md5((param + key + customer).encode()).hexdigest().upper()


def parse_time(text: str) -> datetime:
    """A Kuaidi100 time (Beijing time, no zone) as aware UTC."""
    return datetime.strptime(text.strip(), TIME_FORMAT).replace(tzinfo=SHANGHAI).astimezone(UTC)


class Kuaidi100Adapter(TrackingAdapter):
    name = "kuaidi100"

    def __init__(self, api_url: str, key: str, customer: str, salt: str, session: requests.Session | None = None):
        self.api_url, self.key, self.customer, self.salt = api_url.rstrip("/"), key, customer, salt
        self.http = session or requests.Session()

    def company_code(self, carrier_code: str) -> str:
        code = carrier_code.strip().lower()
        return COMPANY_ALIASES.get(code, code)

    def subscribe(self, request: SubscribeRequest) -> None:
        parameters = {"callbackurl": request.callback_url, "salt": self.salt, "resultv2": "1"}
        if request.phone and request.company in NEEDS_PHONE:
            parameters["phone"] = request.phone
        param = {"company": request.company, "number": request.number, "key": self.key,
                 "parameters": parameters}
        if request.to:
            param["to"] = request.to
        body = self._post("/poll", {"schema": "json", "param": _compact(param)})
        code = str(body.get("returnCode", ""))
        if body.get("result") is True or code == ALREADY_SUBSCRIBED:
            return
        raise TrackingError(Text(N_("订阅失败（%(code)s）：%(message)s"), code=code, message=body.get("message", "")), code=code,
                            transient=code in TRANSIENT_CODES)

    def query(self, company: str, number: str, phone: str = "") -> TrackingReport:
        param = {"com": company, "num": number, "resultv2": "1", "show": "0", "order": "desc"}
        if phone and company in NEEDS_PHONE:
            param["phone"] = phone
        text = _compact(param)
        body = self._post("/poll/query.do", {"customer": self.customer, "param": text,
                                             "sign": query_sign(text, self.key, self.customer)})
        if str(body.get("status")) != "200":
            code = str(body.get("returnCode") or body.get("status") or "")
            raise TrackingError(Text(N_("查询失败（%(code)s）：%(message)s"), code=code, message=body.get("message", "")), code=code,
                                transient=code in TRANSIENT_CODES)
        try:
            return _report(body, company, number, monitoring="query")
        except (KeyError, TypeError, ValueError) as error:
            raise TrackingError(Text(N_("查询应答无法解析：%(error)s"), error=str(error))) from error

    def verify_push(self, form: dict[str, str]) -> bool:
        param, sign = form.get("param"), form.get("sign")
        if not param or not sign:
            return False
        return hmac.compare_digest(push_sign(param, self.salt), sign.strip().upper())

    def parse_push(self, form: dict[str, str]) -> TrackingReport:
        try:
            body = json.loads(form["param"])
            last = body["lastResult"]
            return _report(last, last.get("com", ""), last.get("nu", ""), monitoring=str(body.get("status", "")))
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise MalformedPush(Text(N_("param 无法解析：%(error)s"), error=str(error))) from error

    def reply(self, accepted: bool, message: str = "") -> PushReply:
        if accepted:
            return PushReply({"result": True, "returnCode": "200", "message": message or "成功"})
        return PushReply({"result": False, "returnCode": "500", "message": message or "失败"})

    def _post(self, path: str, fields: dict[str, str]) -> dict:
        try:
            response = self.http.post(self.api_url + path, data=fields, timeout=TIMEOUT)
            body = response.json()
        except requests.RequestException as error:
            raise TrackingError(Text(N_("无法连接快递100：%(error)s"), error=str(error)), transient=True) from error
        except ValueError as error:
            raise TrackingError(Text(N_("快递100 应答不是 JSON（HTTP %(status)s）"), status=response.status_code), transient=True) from error
        if not isinstance(body, dict):
            raise TrackingError(N_("快递100 应答格式不对"), transient=True)
        return body


def _compact(value: dict) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _report(body: dict, company: str, number: str, monitoring: str) -> TrackingReport:
    """The events of a ``lastResult`` (push) or query answer. An event's own state comes from its
    ``statusCode`` or its ``status`` word; the newest event without either gets the report's ``state``."""
    data = body.get("data") or []
    if not isinstance(data, list):
        raise ValueError("data is not a list")
    state = _text(body.get("state"))
    items = []
    for entry in data:
        code = _text(entry.get("statusCode")) or _word_code(entry.get("status"))
        items.append(TrackItem(at=parse_time(entry.get("ftime") or entry["time"]),
                               context=str(entry.get("context", "")).strip(), state_code=code,
                               area=str(entry.get("areaName") or entry.get("location") or "")[:100], raw=entry))
    items.sort(key=lambda item: (item.at, item.context), reverse=True)
    if items and items[0].state_code is None and state is not None:
        items[0] = TrackItem(items[0].at, items[0].context, state, items[0].area, items[0].raw)
    return TrackingReport(company=str(company), number=str(number), state_code=state, items=tuple(items),
                          monitoring=monitoring)


def _text(value) -> str | None:
    return str(value).strip() if value not in (None, "") else None


def _word_code(word) -> str | None:
    code = code_for_word(word if isinstance(word, str) else None)
    return None if code is None else str(code)
