"""Youzan (有赞云) simulator: ``POST /api/{method}/{version}?access_token=…`` (JSON), ``POST /auth/token``,
and HTTP pushes to OrderHub's hook when an order is created or changes.

Enforced as platform-apis §5 describes (codes marked [L] there are ours and kept in the adapter's sets):
the access token (expired → ``gw_err_resp`` 4202, unknown → 4203), refresh by refresh token (the old token
stops working), the call rate and queued throttles (``gw_err_resp`` 20001 "调用频率超限"), windows of at
most one day [L] and three months of history, page_size ≤ 100. Receiver name, phone and address and the
buyer's nickname/phone are ciphertexts ``$<base64>$1$``; ``youzan.cloud.secret.decryptmask.batch`` gives
their masked forms, ``youzan.cloud.secret.decrypt.batch`` the plaintext.

Pushes carry ``msg`` (URL-encoded ``{"tid", "status", "update_time"}``), ``sign`` = md5(client_id + msg +
secret) and the ``Event-Sign`` header = md5(client_id + body + secret); each is kept in ``outbox`` and,
when ``push_url`` is set (``POST /_sim/push {"url": …}``), delivered from a background thread.

A line's refund is a ``refund_order`` entry beside the trade ({``oids`` [{``oid``}], ``refund_state``,
``refund_fee`` in fen, ``refund_id``, ``refund_type``, ``refund_time``}): asked (1,
``trade_refund_RefundCreated``), then granted (60, ``…RefundSuccess``) or withdrawn (50,
``…RefundClosed``) — ``request_line_refund`` / ``settle_line_refund``, also in the trickle.
"""

import base64
import copy
import json
import threading
import time
from datetime import timedelta
from urllib.parse import quote

import requests
from flask import Flask, Response, jsonify, request

from app.demo_orders import RECEIVERS
from app.domain.channels.adapters.youzan import REFUND_KEY, is_cipher, push_sign
from app.money import fen_to_yuan, yuan_to_fen
from app.simulators.shop_platform import (
    PlatformSimulator,
    gmt8,
    logger,
    mask_detail,
    mask_name,
    mask_phone,
    now_gmt8,
    parse_gmt8,
    stand_in,
    token,
)

DEMO_APP_KEY, DEMO_APP_SECRET = "sim-youzan-client", "sim-youzan-secret"
DEMO_SESSIONS = {"sim-youzan-token": "小满生活有赞微商城"}
DEMO_REFRESH = {"sim-youzan-refresh": "小满生活有赞微商城"}
KDT_ID = 160000001
#: (group, field, what it holds): the ciphertext fields of a full_order_info.
CIPHER_FIELDS = (("address_info", "receiver_name", "name"), ("address_info", "receiver_tel", "phone"),
                 ("address_info", "delivery_address", "address"), ("buyer_info", "fans_nickname", "name"),
                 ("buyer_info", "buyer_phone", "phone"))
#: Push topic for the status an order just reached (platform-apis §5.3).
TOPICS = {"WAIT_BUYER_PAY": "trade_TradeCreate", "WAIT_SELLER_SEND_GOODS": "trade_TradePaid",
          "WAIT_BUYER_CONFIRM_GOODS": "trade_TradeSellerShip", "TRADE_SUCCESS": "trade_TradeSuccess",
          "TRADE_CLOSE": "trade_TradeClose"}
PUSH_STATUS = {"WAIT_SELLER_SEND_GOODS": "TRADE_PAID"}  # the push names payment its own way


class YouzanError(Exception):
    def __init__(self, code: int, message: str, gateway: bool = False):
        super().__init__(message)
        self.body = ({"gw_err_resp": {"err_code": code, "err_msg": message}} if gateway
                     else {"success": False, "code": code, "message": message})


class YouzanSimulator(PlatformSimulator):
    name = "youzan"
    default_apps = {DEMO_APP_KEY: DEMO_APP_SECRET}
    default_sessions = DEMO_SESSIONS

    def __init__(self, *args, push_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.refresh_tokens = dict(DEMO_REFRESH)
        self.ciphers: dict[str, str] = {}  # ciphertext → plaintext (the platform's key, never shown)
        self.item_skus: dict[str, set[str]] = {}
        self.push_url = push_url
        self.outbox: list[dict] = []
        #: tid → its refund_order list, served beside full_order_info as Youzan does.
        self.refunds: dict[str, list[dict]] = {}

    def register(self, app: Flask) -> None:
        app.add_url_rule("/api/<method>/<version>", "gateway", self.gateway, methods=["POST"])
        app.add_url_rule("/auth/token", "token", self.issue_token, methods=["POST"])
        app.add_url_rule("/_sim/push", "push_config", self.configure_push, methods=["POST"])

    def gateway(self, method: str, version: str) -> Response:
        self.state.counters[method] += 1
        self.state.stall()
        if self.state.take("fail_next"):
            return Response("Bad Gateway", status=502)
        try:
            seller = self._authenticate(request.args.get("access_token", ""))
            handler = METHODS.get(method)
            if handler is None:
                raise YouzanError(4101, f"API {method}/{version} 不存在", gateway=True)
            data = handler(self, seller, request.get_json(silent=True) or {})
            return jsonify({"success": True, "code": 200, "message": "successful", "data": data})
        except YouzanError as error:
            return jsonify(error.body)

    def _authenticate(self, access_token: str) -> str:
        state = self.state
        if state.take("throttle_next") or state.over_rate():
            raise YouzanError(20001, "调用频率超限，请稍后再试", gateway=True)
        if access_token in state.expired:
            raise YouzanError(4202, "access_token已过期", gateway=True)
        if access_token not in state.sessions:
            raise YouzanError(4203, "access_token不存在", gateway=True)
        return state.sessions[access_token]

    def issue_token(self) -> Response:
        body = request.get_json(silent=True) or {}
        with self.state.lock:
            if self.state.apps.get(body.get("client_id", "")) != body.get("client_secret"):
                return jsonify({"success": False, "code": 40001, "message": "client_id或client_secret错误"})
            seller = self.refresh_tokens.pop(body.get("refresh_token", ""), None)
            if body.get("authorize_type") != "refresh_token" or seller is None:
                return jsonify({"success": False, "code": 40004, "message": "refresh_token无效"})
            for old in [key for key, owner in self.state.sessions.items() if owner == seller]:
                del self.state.sessions[old]
            fresh, refresh = token(seller, time.time_ns(), prefix="yz"), token(seller, "r", time.time_ns())
            self.state.sessions[fresh], self.refresh_tokens[refresh] = seller, seller
        return jsonify({"success": True, "code": 200, "message": None, "data": {
            "access_token": fresh, "refresh_token": refresh, "expires": int(time.time() * 1000) + 7 * 86400000,
            "scope": "trade item logistics"}})

    def configure_push(self) -> Response:
        self.push_url = (request.get_json(force=True) or {}).get("url", "")
        return jsonify(ok=True, url=self.push_url)

    # ---- orders ----------------------------------------------------------------------------------------

    def load(self, data, seller: str | None) -> int:
        if isinstance(data, dict):
            data = (data.get("data") or data).get("full_order_info_list", [data])
        seller = seller or next(iter(self.state.sessions.values()))
        with self.state.lock:
            for item in data:
                info = copy.deepcopy(item.get("full_order_info", item))
                refunds = copy.deepcopy(item.get(REFUND_KEY) or info.pop(REFUND_KEY, None))
                self._store(info, seller)
                if refunds is not None:  # a load says what the trade's refunds are now
                    self.refunds[info["order_info"]["tid"]] = refunds
        return len(data)

    def encrypt(self, value: str, kind: str = "name") -> str:
        """The ciphertext of ``value``; a ciphertext (a real-format order) stays as given, and the
        platform's knowledge of what is behind it is a stand-in of ``kind``."""
        if not value:
            return value
        if is_cipher(value):
            self.ciphers.setdefault(value, stand_in(kind, value))
            return value
        cipher = "$" + base64.b64encode(bytes.fromhex(token(KDT_ID, value)[:32])).decode() + "$1$"
        self.ciphers[cipher] = value
        return cipher

    def _store(self, info: dict, seller: str) -> None:
        order = info["order_info"]
        for group, name, kind in CIPHER_FIELDS:
            part = info.setdefault(group, {})
            part[name] = self.encrypt(str(part.get(name) or ""), kind)
        self.state.orders[order["tid"]] = info
        self.state.sellers[order["tid"]] = seller
        for line in info.get("orders", []):
            self.state.stock.setdefault(str(line.get("sku_id")), 100)
            self.item_skus.setdefault(str(line.get("item_id")), set()).add(str(line.get("sku_id")))

    def new_order(self, seller: str, now) -> dict:
        rng = self.rng
        receiver = rng.choice(RECEIVERS)
        lines, goods = [], 0
        for index in rng.sample(range(len(self.catalog)), rng.choice((1, 1, 2))):
            code, title, price = self.catalog[index]
            count = rng.choice((1, 1, 2))
            item_id, sku_id = self.listing_key(index)
            goods += price * count
            lines.append({"oid": f"{len(lines) + 1}{rng.randint(10 ** 8, 10 ** 9)}", "item_id": int(item_id),
                          "sku_id": int(sku_id), "outer_item_id": code, "outer_sku_id": code, "title": title,
                          "num": count, "price": fen_to_yuan(price), "total_fee": fen_to_yuan(price * count),
                          "payment": fen_to_yuan(price * count)})
        post = 0 if goods >= 9900 else 800
        status = "WAIT_BUYER_PAY" if rng.random() < 0.3 else "WAIT_SELLER_SEND_GOODS"
        with self.state.lock:
            self.sequence += 1
            tid = f"E{now:%Y%m%d%H%M%S}{self.sequence:09d}"
        info = {
            "order_info": {"tid": tid, "status": status, "type": 0, "created": gmt8(now), "update_time": gmt8(now),
                           "pay_time": gmt8(now) if status != "WAIT_BUYER_PAY" else "", "consign_time": "",
                           "success_time": "", "order_tags": {"is_payed": status != "WAIT_BUYER_PAY"}},
            "buyer_info": {"buyer_phone": receiver.phone, "yz_open_id": token(receiver.phone, prefix="yzo")[:24],
                           "fans_nickname": receiver.name, "fans_type": 1},
            "address_info": {"receiver_name": receiver.name, "receiver_tel": receiver.phone,
                             "delivery_province": receiver.province, "delivery_city": receiver.city,
                             "delivery_district": receiver.district, "delivery_address": receiver.address,
                             "delivery_postal_code": "", "address_extra": "{}"},
            "pay_info": {"total_fee": fen_to_yuan(goods), "post_fee": fen_to_yuan(post),
                         "payment": fen_to_yuan(goods + post)},
            "remark_info": {"buyer_message": "", "trade_memo": ""}, "source_info": {"is_offline_order": False},
            "orders": lines,
        }
        with self.state.lock:
            self._store(info, seller)
        self.notify(info)
        return info

    def advance(self, order_id: str, now) -> bool:
        info = self.state.orders[order_id]
        order = info["order_info"]
        age = now - parse_gmt8(order["update_time"])
        pending = self.pending_refund(order["tid"])
        chance = self.rng.random()
        if order["status"] == "WAIT_SELLER_SEND_GOODS" and pending is not None:
            self.settle_line_refund(info, pending, granted=chance < 0.6, now=now)
            return True
        if order["status"] == "WAIT_SELLER_SEND_GOODS" and len(info["orders"]) > 1 and chance < 0.08 \
                and age > timedelta(minutes=1) and not self.refunds.get(order["tid"]):
            self.request_line_refund(info, now)  # the buyer wants one of the goods refunded
            return True
        if order["status"] == "WAIT_BUYER_PAY" and age > timedelta(minutes=1):
            paid = self.rng.random() < 0.8
            self._set(info, "WAIT_SELLER_SEND_GOODS" if paid else "TRADE_CLOSE", now)
            order["pay_time"] = gmt8(now) if paid else ""
        elif order["status"] == "WAIT_SELLER_SEND_GOODS" and age > timedelta(minutes=3) and self.rng.random() < 0.1:
            self._set(info, "TRADE_CLOSE", now)  # refunded before shipping
        elif order["status"] == "WAIT_BUYER_CONFIRM_GOODS" and age > timedelta(minutes=2):
            self._set(info, "TRADE_SUCCESS", now)
            order["success_time"] = gmt8(now)
        else:
            return False
        self.notify(info)
        return True

    def _set(self, info: dict, status: str, now) -> None:
        info["order_info"]["status"], info["order_info"]["update_time"] = status, gmt8(now)

    # ---- a refund on one line (refund_order, beside the trade) ----------------------------------------

    def request_line_refund(self, info: dict, now, line: dict | None = None) -> dict:
        """The buyer asks for one line's paid amount back: a ``refund_order`` entry naming its oid,
        ``refund_state`` 1 (waiting for the seller), ``refund_fee`` in fen; pushed as RefundCreated."""
        line = line or self.rng.choice(info["orders"])
        order = info["order_info"]
        with self.state.lock:
            refund = {"refund_id": f"{now:%Y%m%d%H%M%S}{self.next_id(10 ** 6)[-8:]}", "refund_type": 1,
                      "refund_state": 1, "refund_fee": _paid_fen(line), "refund_time": gmt8(now),
                      "oids": [{"oid": line["oid"]}]}
            self.refunds.setdefault(order["tid"], []).append(refund)
            order["update_time"] = gmt8(now)
        self.notify(info, "trade_refund_RefundCreated")
        return refund

    def settle_line_refund(self, info: dict, refund: dict, granted: bool, now) -> None:
        """The seller agrees (``refund_state`` 60, RefundSuccess) or the buyer withdraws (50, RefundClosed)."""
        with self.state.lock:
            refund["refund_state"] = 60 if granted else 50
            info["order_info"]["update_time"] = gmt8(now)
            refunded = {str(oid["oid"]) for each in self.refunds.get(info["order_info"]["tid"]) or []
                        if each["refund_state"] == 60 for oid in each["oids"]}
            if granted and refunded >= {str(line["oid"]) for line in info["orders"]}:
                self._set(info, "TRADE_CLOSE", now)  # every line refunded before shipping: the trade closes
        self.notify(info, "trade_refund_RefundSuccess" if granted else "trade_refund_RefundClosed")

    def pending_refund(self, tid: str) -> dict | None:
        return next((refund for refund in reversed(self.refunds.get(tid) or [])
                     if refund["refund_state"] in (1, 20, 30)), None)

    def answer(self, tid: str) -> dict:
        """A trade as youzan.trade.get / trades.sold.get answer it: full_order_info, refund_order beside it."""
        answer = {"full_order_info": copy.deepcopy(self.state.orders[tid])}
        if self.refunds.get(tid):
            answer[REFUND_KEY] = copy.deepcopy(self.refunds[tid])
        return answer

    # ---- push ------------------------------------------------------------------------------------------

    def push_envelope(self, info: dict, topic: str = "") -> tuple[bytes, dict]:
        """The request Youzan would POST for this order's current state: (raw body, headers)."""
        order = info["order_info"]
        client_id, secret = next(iter(self.state.apps.items()))
        status = PUSH_STATUS.get(order["status"], order["status"])
        msg = quote(json.dumps({"tid": order["tid"], "status": status, "update_time": order["update_time"]},
                               separators=(",", ":")), safe="")
        envelope = {"client_id": client_id, "id": order["tid"], "kdt_id": KDT_ID, "kdt_name": "小满生活",
                    "mode": 1, "msg": msg, "sendCount": 1, "sign": push_sign(client_id, msg, secret),
                    "status": status, "type": topic or TOPICS.get(order["status"], "trade_TradeMemoModified"),
                    "version": int(parse_gmt8(order["update_time"]).timestamp()), "test": False}
        body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()
        return body, {"Content-Type": "application/json",
                      "Event-Sign": push_sign(client_id, body.decode(), secret)}

    def notify(self, info: dict, topic: str = "") -> None:
        body, headers = self.push_envelope(info, topic)
        with self.state.lock:
            self.outbox.append({"body": body.decode(), "headers": headers})
        if self.push_url:  # not under the state lock: OrderHub may call back at once
            threading.Thread(target=self._deliver, args=(self.push_url, body, headers), daemon=True).start()

    def _deliver(self, url: str, body: bytes, headers: dict) -> None:
        try:
            answer = requests.post(url, data=body, headers=headers, timeout=(3, 10))
            self.state.counters[f"push_{answer.status_code}"] += 1
        except requests.RequestException as error:
            self.state.counters["push_failed"] += 1
            logger.warning("youzan push to %s failed: %s", url, type(error).__name__)


def _paid_fen(line: dict) -> int:
    """What the buyer paid for a line, in fen (its ``payment``, else price × num)."""
    return yuan_to_fen(line["payment"]) if line.get("payment") else yuan_to_fen(line["price"]) * int(line["num"])


def _own(simulator: YouzanSimulator, seller: str, tid) -> dict:
    info = simulator.state.orders.get(str(tid))
    if info is None or simulator.state.sellers.get(str(tid)) != seller:
        raise YouzanError(101300001, f"订单 {tid} 不存在")
    return info


def sold_get(simulator: YouzanSimulator, seller: str, query: dict) -> dict:
    try:
        start, end = parse_gmt8(query["start_update"]), parse_gmt8(query["end_update"])
    except (KeyError, ValueError) as error:
        raise YouzanError(10400, "start_update、end_update格式应为yyyy-MM-dd HH:mm:ss") from error
    if end - start > timedelta(days=1):
        raise YouzanError(10400, "更新时间跨度不能超过一天")
    if start < now_gmt8() - timedelta(days=90):
        raise YouzanError(10400, "只能查询三个月内的订单")
    page, size = int(query.get("page_no", 1)), int(query.get("page_size", 20))
    if not 1 <= size <= 100 or page < 1:
        raise YouzanError(10400, "page_size取值范围为1到100")
    with simulator.state.lock:
        found = [info for tid, info in simulator.state.orders.items() if simulator.state.sellers[tid] == seller
                 and start <= parse_gmt8(info["order_info"]["update_time"]) <= end]
        found.sort(key=lambda info: (info["order_info"]["update_time"], info["order_info"]["tid"]), reverse=True)
        page_items = [simulator.answer(info["order_info"]["tid"]) for info in found[(page - 1) * size: page * size]]
    return {"total_results": len(found), "full_order_info_list": page_items}


def trade_get(simulator: YouzanSimulator, seller: str, query: dict) -> dict:
    with simulator.state.lock:
        return simulator.answer(_own(simulator, seller, query.get("tid"))["order_info"]["tid"])


def online_confirm(simulator: YouzanSimulator, seller: str, query: dict) -> dict:
    """youzan.logistics.online.confirm: the whole order, or with ``oids`` only those items (拆单发货). Each
    call adds a parcel to ``delivery_order`` (its ``oids`` and ``dists[].express_info``); the order turns
    WAIT_BUYER_CONFIRM_GOODS when its last item has shipped. An item ships once: the same waybill again is
    answered as done, another one is refused."""
    with simulator.state.lock:
        info = _own(simulator, seller, query.get("tid"))
        order, waybill = info["order_info"], str(query.get("out_sid", ""))
        items = {str(line["oid"]): line for line in info.get("orders", [])}
        shipped = {str(item.get("oid")): parcel["dists"][0]["express_info"].get("express_no")
                   for parcel in info.get("delivery_order") or [] if parcel.get("dists")
                   for item in parcel.get("oids") or []}
        asked = [oid.strip() for oid in str(query.get("oids") or "").split(",") if oid.strip()]
        unknown = [oid for oid in asked if oid not in items]
        if unknown:
            raise YouzanError(101305002, f"交易明细 {','.join(unknown)} 不属于订单 {order['tid']}")
        named = list(dict.fromkeys(asked)) or list(items)
        if named and all(shipped.get(oid) == waybill for oid in named):
            return {"is_success": True}  # the same shipment again: Youzan answers it as done
        wanted = [oid for oid in named if oid not in shipped]
        if order["status"] != "WAIT_SELLER_SEND_GOODS" or not wanted or (asked and len(wanted) < len(named)):
            raise YouzanError(101305001, "订单当前状态不能发货" if order["status"] != "WAIT_SELLER_SEND_GOODS"
                              else "商品已发货，不能重复发货")
        if simulator.state.refuses(waybill):
            raise YouzanError(101305003, f"快递单号 {waybill} 不符合快递公司规则")
        now = now_gmt8()
        express = {"express_no": waybill, "express_id": str(query.get("out_stype", ""))}
        info.setdefault("delivery_order", []).append(
            {"express_state": 1, "oids": [{"oid": oid} for oid in wanted], "dists": [{"express_info": express}]})
        done = len(shipped) + len(wanted) >= len(items)
        simulator._set(info, "WAIT_BUYER_CONFIRM_GOODS" if done else order["status"], now)
        order["consign_time"] = order.get("consign_time") or gmt8(now)
        shipment = simulator.state.shipments.setdefault(order["tid"], {"out_stype": express["express_id"],
                                                                        "out_sid": waybill, "at": gmt8(now),
                                                                        "parcels": []})
        shipment["parcels"].append({"out_stype": express["express_id"], "out_sid": waybill, "oids": wanted})
    simulator.notify(info)
    return {"is_success": True}


def quantity_update(simulator: YouzanSimulator, seller: str, query: dict) -> dict:
    quantity = query.get("quantity")
    if not isinstance(quantity, int) or quantity < 0 or str(query.get("type", 0)) != "0":
        raise YouzanError(10400, "quantity应为非负整数，type只支持0（全量更新）")
    sku_id = str(query.get("sku_id") or "")
    with simulator.state.lock:
        simulator.state.stock[sku_id] = quantity
        simulator.item_skus.setdefault(str(query.get("item_id")), set()).add(sku_id)
    return {"is_success": True}


def item_get(simulator: YouzanSimulator, seller: str, query: dict) -> dict:
    item_id = str(query.get("item_id"))
    with simulator.state.lock:
        if item_id not in simulator.item_skus:
            raise YouzanError(141500101, f"商品 {item_id} 不存在")
        skus = [{"sku_id": sku, "quantity": simulator.state.stock.get(sku, 0)}
                for sku in sorted(simulator.item_skus[item_id])]
    return {"item": {"item_id": item_id, "quantity": sum(sku["quantity"] for sku in skus), "skus": skus}}


def _reveal(simulator: YouzanSimulator, query: dict, mask) -> dict:
    sources = query.get("sources") or []
    if not isinstance(sources, list) or not sources or len(sources) > 10000:
        raise YouzanError(10400, "sources应为1到10000个密文")
    with simulator.state.lock:
        unknown = [cipher for cipher in sources if cipher not in simulator.ciphers]
        if unknown:  # never echoed back: the platform refuses what it did not encrypt
            raise YouzanError(10401, f"{len(unknown)} 个密文无法解析")
        return {cipher: mask(simulator.ciphers[cipher]) for cipher in sources}


def _mask(plain: str) -> str:
    if plain.isdigit():
        return mask_phone(plain)
    return mask_name(plain) if len(plain) <= 4 else mask_detail(plain)


def decrypt_batch(simulator: YouzanSimulator, seller: str, query: dict) -> dict:
    simulator.state.counters["decrypted"] += 1
    return _reveal(simulator, query, lambda plain: plain)


def decryptmask_batch(simulator: YouzanSimulator, seller: str, query: dict) -> dict:
    return _reveal(simulator, query, _mask)


METHODS = {
    "youzan.trades.sold.get": sold_get,
    "youzan.trade.get": trade_get,
    "youzan.logistics.online.confirm": online_confirm,
    "youzan.item.quantity.update": quantity_update,
    "youzan.item.get": item_get,
    "youzan.cloud.secret.decrypt.batch": decrypt_batch,
    "youzan.cloud.secret.decryptmask.batch": decryptmask_batch,
}
