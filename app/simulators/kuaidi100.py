"""A 快递100 (Kuaidi100) stand-in: subscriptions, pushes of the whole history, the real-time query.

It speaks the real protocol (platform-apis §6): ``POST /poll`` (``schema=json`` + ``param``) subscribes a
waybill; each parcel then moves through a believable life — 揽收 → 在途 × n → 派件 → 签收, now and then
疑难, 拒签 → 退回, or 退回 — one step at a time, and every step is pushed to the subscription's
``callbackurl`` as form fields ``param`` + ``sign`` = upper(md5(param + salt)), carrying the whole
history, newest first. Like the real service it misbehaves: some pushes come twice, some arrive after a
newer one, a few carry a bad or no sign (a push that is not acknowledged is pushed again next step).
``POST /poll/query.do`` answers the real-time query (sign = upper(md5(param + key + customer))).

Control API for people and tests: ``GET /_sim/parcels``, ``POST /_sim/step`` (one step for every
parcel now, or ``?number=`` for one), ``POST /_sim/config`` ({"duplicate_rate", "stale_rate", "bad_sign_rate", "missing_sign_rate"}).
"""

import json
import logging
import random
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

import requests
from flask import Flask, jsonify, request

from app.config import KUAIDI100_SIMULATOR_SECRETS
from app.domain.logistics.adapters.kuaidi100 import push_sign, query_sign
from app.simulators.shop_platform import gmt8, now_gmt8, parse_gmt8

logger = logging.getLogger(__name__)
DEMO_KEY = KUAIDI100_SIMULATOR_SECRETS["KUAIDI100_KEY"]
DEMO_CUSTOMER = KUAIDI100_SIMULATOR_SECRETS["KUAIDI100_CUSTOMER"]
HUBS = ("杭州转运中心", "上海转运中心", "南京转运中心", "广州转运中心", "武汉转运中心", "北京转运中心")


@dataclass
class Faults:
    duplicate_rate: float = 0.1  # the same push delivered twice
    stale_rate: float = 0.1  # the previous push delivered again after this one (out of order)
    bad_sign_rate: float = 0.03
    missing_sign_rate: float = 0.02


@dataclass
class Parcel:
    company: str
    number: str
    callback_url: str = ""
    salt: str = ""
    city: str = ""
    script: list[tuple[int, str]] = field(default_factory=list)  # (state code, text) still to happen
    data: list[dict] = field(default_factory=list)  # what happened, newest first
    last_push: str = ""  # the previous param pushed (replayed late for the out-of-order fault)
    unacknowledged: bool = False  # the last push was not taken: push again on the next step

    @property
    def state(self) -> int:
        return int(self.data[0]["statusCode"]) if self.data else 0


class Kuaidi100Simulator:
    name = "kuaidi100"

    def __init__(self, seed: int | None = None, key: str = DEMO_KEY, customer: str = DEMO_CUSTOMER,
                 deliver=None, faults: Faults | None = None):
        self.key, self.customer = key, customer
        self.rng = random.Random(seed)
        self.parcels: dict[str, Parcel] = {}
        self.faults = faults or Faults()
        self.counters: Counter = Counter()
        self.lock = threading.RLock()
        self.deliver = deliver or _post_form

    def create_app(self) -> Flask:
        app = Flask("kuaidi100-simulator")
        app.add_url_rule("/poll", "subscribe", self._subscribe_view, methods=["POST"])
        app.add_url_rule("/poll/query.do", "query", self._query_view, methods=["POST"])
        app.add_url_rule("/_sim/parcels", "parcels", self._parcels_view)
        app.add_url_rule("/_sim/step", "step", self._step_view, methods=["POST"])
        app.add_url_rule("/_sim/config", "config", self._config_view, methods=["POST"])
        return app

    # ---- the protocol ------------------------------------------------------------------------------

    def subscribe(self, param: dict) -> dict:
        company, number = str(param.get("company", "")).lower(), str(param.get("number", "")).strip()
        parameters = param.get("parameters") or {}
        if param.get("key") != self.key:
            return _result(False, "600", "您不是合法的订阅者（即授权Key出错）")
        if not company or not number or not parameters.get("callbackurl"):
            return _result(False, "700", "订阅参数错误")
        if company == "shunfeng" and not parameters.get("phone"):
            return _result(False, "700", "顺丰单号需要提供收、寄件人的电话号码")
        with self.lock:
            parcel = self.parcels.get(number)
            if parcel is not None and parcel.callback_url:
                return _result(False, "501", "重复订阅")
            parcel = parcel or self._new_parcel(company, number, param.get("to", ""))
            parcel.callback_url, parcel.salt = parameters["callbackurl"], parameters.get("salt", "")
        self.counters["subscribed"] += 1
        return _result(True, "200", "提交成功")

    def query(self, customer: str, param_text: str, sign: str) -> dict:
        if customer != self.customer or sign != query_sign(param_text, self.key, self.customer):
            return _result(False, "600", "签名错误或授权信息不正确")
        param = json.loads(param_text)
        number = str(param.get("num", "")).strip()
        with self.lock:
            parcel = self.parcels.get(number)
            if parcel is None:  # the carrier knows the parcel even if nobody subscribed it
                self._new_parcel(str(param.get("com", "")).lower(), number, param.get("to", ""))
            if parcel is None or not parcel.data:
                return _result(False, "500", "查询无结果，请隔段时间再查")
            self.counters["queries"] += 1
            return {"message": "ok", "nu": number, "ischeck": "1" if parcel.state == 3 else "0", "condition": "F00",
                    "com": parcel.company, "status": "200", "state": str(parcel.state), "data": list(parcel.data)}

    # ---- the life of a parcel ------------------------------------------------------------------------

    def _new_parcel(self, company: str, number: str, city: str) -> Parcel:
        parcel = Parcel(company=company, number=number, city=city or "上海市", script=self._script(city or "上海市"))
        self.parcels[number] = parcel
        return parcel

    def _script(self, city: str) -> list[tuple[int, str]]:
        hubs = self.rng.sample(HUBS, self.rng.randint(1, 3))
        script = [(1, "【杭州市】快递员 王师傅 已揽收")]
        script += [(0, f"快件已到达【{hub}】，准备发往下一站") for hub in hubs]
        roll = self.rng.random()
        if roll < 0.08:
            script += [(2, "收件人电话无人接听，快件滞留待派送"), (0, f"快件已到达【{city}营业部】")]
        script.append((5, f"【{city}】快递员 李师傅 正在派件，请保持电话畅通"))
        if 0.08 <= roll < 0.12:
            script += [(14, "收件人拒收，快件将退回"), (6, "快件已退回寄件人")]
        elif 0.12 <= roll < 0.14:
            script.append((6, "地址不详无法派送，快件退回"))
        else:
            script.append((3, "快件已签收，签收人：本人，感谢使用"))
        return script

    def step(self) -> int:
        """Move every parcel one step now (and push again what was not taken); returns the pushes made."""
        return self._advance_all(lambda parcel: True)

    def step_parcel(self, number: str) -> int:
        """Move one parcel one step now (``POST /_sim/step?number=…``; the benchmark)."""
        return self._advance_all(lambda parcel: parcel.number == number)

    def trickle_step(self) -> None:
        """What the shared Trickle thread calls every 10–30 s: each parcel moves with even odds, and a
        push that was not taken is pushed again (the real service retries too)."""
        self._advance_all(lambda parcel: parcel.unacknowledged or self.rng.random() < 0.5)

    def _advance_all(self, chosen) -> int:
        with self.lock:
            moving = [parcel for parcel in self.parcels.values()
                      if (parcel.script or parcel.unacknowledged) and chosen(parcel)]
            for parcel in moving:
                parcel.unacknowledged = False
                if parcel.script:
                    code, text = parcel.script.pop(0)
                    moment = _next_moment(parcel)
                    parcel.data.insert(0, {"context": text, "time": moment, "ftime": moment, "areaCode": "",
                                           "areaName": parcel.city, "status": _WORDS[code], "statusCode": str(code)})
            pushes = [(parcel, self._envelope(parcel)) for parcel in moving if parcel.callback_url]
        for parcel, param in pushes:
            self._push(parcel, param)
        return len(pushes)

    def _envelope(self, parcel: Parcel) -> str:
        done = not parcel.script
        return json.dumps({
            "status": "shutdown" if done else "polling", "billstatus": "check", "message": "",
            "autoCheck": "0", "comOld": "", "comNew": "",
            "lastResult": {"message": "ok", "state": str(parcel.state), "status": "200", "condition": "F00",
                           "ischeck": "1" if parcel.state == 3 else "0", "com": parcel.company, "nu": parcel.number,
                           "data": list(parcel.data)},
        }, ensure_ascii=False, separators=(",", ":"))

    def _push(self, parcel: Parcel, param: str) -> None:
        rng, faults = self.rng, self.faults
        sign = push_sign(param, parcel.salt)
        if rng.random() < faults.bad_sign_rate:
            sign = push_sign(param, parcel.salt + "x")
        elif rng.random() < faults.missing_sign_rate:
            sign = ""
        taken = self._send(parcel, {"param": param, "sign": sign} if sign else {"param": param})
        if rng.random() < faults.duplicate_rate:
            self._send(parcel, {"param": param, "sign": push_sign(param, parcel.salt)})
        if parcel.last_push and rng.random() < faults.stale_rate:
            self._send(parcel, {"param": parcel.last_push, "sign": push_sign(parcel.last_push, parcel.salt)})
        with self.lock:
            parcel.last_push = param
            parcel.unacknowledged = parcel.unacknowledged or not taken

    def _send(self, parcel: Parcel, fields: dict) -> bool:
        try:
            reply = self.deliver(parcel.callback_url, fields)
        except (requests.RequestException, ValueError) as error:
            self.counters["push_failed"] += 1
            logger.warning("kuaidi100 push to %s failed: %s", parcel.callback_url, type(error).__name__)
            return False
        taken = isinstance(reply, dict) and reply.get("result") is True
        self.counters["push_taken" if taken else "push_refused"] += 1
        return taken

    # ---- views ---------------------------------------------------------------------------------------

    def _subscribe_view(self):
        try:
            param = json.loads(request.form.get("param", ""))
        except ValueError:
            return jsonify(_result(False, "700", "param 不是 JSON"))
        return jsonify(self.subscribe(param if isinstance(param, dict) else {}))

    def _query_view(self):
        try:
            return jsonify(self.query(request.form.get("customer", ""), request.form.get("param", ""),
                                      request.form.get("sign", "")))
        except ValueError:
            return jsonify(_result(False, "700", "param 不是 JSON"))

    def _parcels_view(self):
        with self.lock:
            return jsonify(parcels={number: {"company": parcel.company, "state": parcel.state, "data": parcel.data,
                                             "subscribed": bool(parcel.callback_url), "left": len(parcel.script)}
                                    for number, parcel in self.parcels.items()},
                           counters=dict(self.counters))

    def _step_view(self):
        number = request.args.get("number")
        return jsonify(pushes=self.step_parcel(number) if number else self.step())

    def _config_view(self):
        body = request.get_json(force=True) or {}
        with self.lock:
            for name in ("duplicate_rate", "stale_rate", "bad_sign_rate", "missing_sign_rate"):
                if name in body:
                    setattr(self.faults, name, float(body[name]))
        return jsonify(ok=True)


_WORDS = {0: "在途", 1: "揽收", 2: "疑难", 3: "签收", 4: "退签", 5: "派件", 6: "退回", 7: "转投", 14: "拒签"}


def _next_moment(parcel: Parcel) -> str:
    """Now, but always after the parcel's previous event (steps can come faster than once a second)."""
    moment = now_gmt8()
    if parcel.data:
        moment = max(moment, parse_gmt8(parcel.data[0]["time"]) + timedelta(seconds=1))
    return gmt8(moment)


def _result(ok: bool, code: str, message: str) -> dict:
    return {"result": ok, "returnCode": code, "message": message}


def _post_form(url: str, fields: dict) -> dict:
    return requests.post(url, data=fields, timeout=(3, 10)).json()
