"""Taobao/Tmall TOP simulator: ``/router/rest`` with TOP's signature, limits and error envelope.

Enforced as TOP does (platform-apis §1): app key and md5/hmac signature (code 25), timestamp within
10 minutes, the shop session (27 when expired), the per-app call rate and queued throttles (7, "This
ban will last for N more seconds"), windows of at most one day and three months of history (41),
page_size ≤ 100, newest-first lists that carry only the requested fields. Receivers are masked with an
``oaid``; only ``taobao.top.oaid.decrypt`` returns the plaintext. Sessions map to shops: the Taobao
shop and the Tmall flagship are two sellers of one simulator.
"""

import copy
import json
from datetime import timedelta

from flask import Flask, Response, jsonify, request

from app.demo_orders import RECEIVERS
from app.domain.channels.adapters.signing import constant_time_equal, top_sign
from app.money import fen_to_yuan, yuan_to_fen
from app.simulators.shop_platform import (
    CLOCK_SKEW_SECONDS,
    PlatformSimulator,
    gmt8,
    looks_masked,
    mask_detail,
    mask_name,
    mask_phone,
    now_gmt8,
    parse_gmt8,
    token,
)

DEMO_APP_KEY, DEMO_APP_SECRET = "sim-taobao-app", "sim-taobao-secret"
DEMO_SESSIONS = {"sim-taobao-session": "小满生活淘宝店", "sim-tmall-session": "小满生活旗舰店"}
COMPANIES = {"SF": "顺丰速运", "ZTO": "中通快递", "YTO": "圆通速递", "STO": "申通快递", "YUNDA": "韵达快递",
             "JD": "京东物流", "EMS": "EMS"}
SHIPPABLE = {"WAIT_SELLER_SEND_GOODS", "SELLER_CONSIGNED_PART"}
RECEIVER_FIELDS = ("receiver_name", "receiver_mobile", "receiver_address")
REFUND_REQUESTED = {"WAIT_SELLER_AGREE", "WAIT_BUYER_RETURN_GOODS", "WAIT_SELLER_CONFIRM_GOODS"}


def spread_order_discount(lines: list[dict], discount: int) -> None:
    """``divide_order_fee``: each line's payment after the order discount, shared in proportion to the
    lines' amounts, the rounding remainder on the largest line (what TOP reports per sub-order)."""
    amounts = [yuan_to_fen(line["payment"]) for line in lines]
    shares = [discount * amount // sum(amounts) for amount in amounts]
    shares[amounts.index(max(amounts))] += discount - sum(shares)
    for line, amount, share in zip(lines, amounts, shares, strict=True):
        line["divide_order_fee"] = fen_to_yuan(amount - share)


class TopError(Exception):
    def __init__(self, code: int, msg: str, sub_code: str = "", sub_msg: str = ""):
        super().__init__(msg)
        self.body = {"error_response": {"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg,
                                        "request_id": token(code, msg, sub_code)[:13]}}


def invalid(name: str, why: str) -> TopError:
    return TopError(41, "Invalid arguments", f"isv.invalid-parameter:{name}", why)


class TaobaoSimulator(PlatformSimulator):
    name = "taobao"
    default_apps = {DEMO_APP_KEY: DEMO_APP_SECRET}
    default_sessions = DEMO_SESSIONS

    def register(self, app: Flask) -> None:
        app.add_url_rule("/router/rest", "gateway", self.gateway, methods=["GET", "POST"])

    def gateway(self) -> Response:
        params = request.values.to_dict()
        self.state.counters[params.get("method", "?")] += 1
        self.state.stall()
        if self.state.take("fail_next"):
            return Response("Bad Gateway", status=502)
        try:
            seller = self._authenticate(params)
            handler = METHODS.get(params.get("method", ""))
            if handler is None:
                raise TopError(22, "Invalid method")
            return jsonify(handler(self, seller, params))
        except TopError as error:
            return jsonify(error.body)

    def _authenticate(self, params: dict) -> str:
        state = self.state
        secret = state.apps.get(params.get("app_key", ""))
        if secret is None:
            raise TopError(29, "Invalid app Key")
        try:
            expected = top_sign(secret, params)
        except ValueError as error:
            raise TopError(25, "Invalid signature", "isv.invalid-signature", str(error)) from error
        if not constant_time_equal(expected, params.get("sign", "")):
            raise TopError(25, "Invalid signature")
        try:
            skew = abs((now_gmt8() - parse_gmt8(params.get("timestamp", ""))).total_seconds())
        except ValueError as error:
            raise TopError(31, "Invalid timestamp") from error
        if skew > CLOCK_SKEW_SECONDS:
            raise TopError(31, "Invalid timestamp", "isv.invalid-timestamp", "时间戳与服务器时间相差超过10分钟")
        if state.take("throttle_next") or state.over_rate():
            seconds = state.faults.ban_seconds
            raise TopError(7, "App Call Limited", "accesscontrol.limited-by-app-api-access-count",
                           f"This ban will last for {seconds} more seconds")
        session = params.get("session", "")
        if session in state.expired or session not in state.sessions:
            raise TopError(27, "Invalid session", "invalid-sessionkey", "session已过期或无效，请重新授权")
        return state.sessions[session]

    # ---- orders ----------------------------------------------------------------------------------------

    def load(self, data, seller: str | None) -> int:
        if isinstance(data, dict):
            data = data.get("trades_sold_increment_get_response", data.get("trades_sold_get_response", data))
            data = (data.get("trades") or {}).get("trade", []) if "trades" in data else [data]
        with self.state.lock:
            for trade in data:
                # A shop named by the load wins over the file's own seller_nick: the file is filed
                # under the shop that will pull it.
                self._store(dict(trade), seller or trade.get("seller_nick") or next(iter(self.state.sessions.values())))
        return len(data)

    def _store(self, trade: dict, seller: str) -> None:
        tid = str(trade.get("tid_str") or trade["tid"])
        trade.setdefault("tid_str", tid)
        trade["seller_nick"] = seller
        if not looks_masked(trade.get("receiver_name")) and trade.get("receiver_name"):
            self.state.plaintext[tid] = {name: trade.get(name, "") for name in (*RECEIVER_FIELDS, "receiver_state",
                                                                                "receiver_city", "receiver_district",
                                                                                "receiver_town")}
            trade["oaid"] = trade.get("oaid") or token(tid, seller, trade.get("receiver_name"), prefix="oaid")
            trade["receiver_name"] = mask_name(trade["receiver_name"])
            trade["receiver_mobile"] = mask_phone(trade.get("receiver_mobile", ""))
            trade["receiver_address"] = mask_detail(trade.get("receiver_address", ""))
        self.state.orders[tid] = trade
        self.state.sellers[tid] = seller
        for line in (trade.get("orders") or {}).get("order", []):
            key = f"{line.get('num_iid')}:{line.get('outer_sku_id') or line.get('outer_iid')}"
            self.state.stock.setdefault(key, 100)

    def new_order(self, seller: str, now) -> dict:
        rng = self.rng
        receiver = rng.choice(RECEIVERS)
        picks = rng.sample(range(len(self.catalog)), rng.choice((1, 1, 2, 3)))
        lines, goods = [], 0
        for index in picks:
            code, title, price = self.catalog[index]
            num = rng.choice((1, 1, 2))
            item_id, sku_id = self.listing_key(index)
            goods += price * num
            lines.append({"oid": self.next_id(2_000_000_000_000_000_000), "num_iid": int(item_id), "sku_id": sku_id,
                          "outer_iid": code, "outer_sku_id": code, "title": title, "num": num,
                          "price": fen_to_yuan(price), "total_fee": fen_to_yuan(price * num),
                          "payment": fen_to_yuan(price * num), "adjust_fee": "0.00", "status": "WAIT_BUYER_PAY",
                          "refund_status": "NO_REFUND", "invoice_no": "", "logistics_company": ""})
        post = 0 if goods >= 9900 else 800
        discount = 500 if goods >= 20000 else 0
        spread_order_discount(lines, discount)
        tid = self.next_id(3_000_000_000_000_000_000)
        trade = {"tid": int(tid), "tid_str": tid, "status": "WAIT_BUYER_PAY", "type": "fixed",
                 "created": gmt8(now), "modified": gmt8(now), "payment": fen_to_yuan(goods + post - discount),
                 "total_fee": fen_to_yuan(goods), "post_fee": fen_to_yuan(post), "discount_fee": fen_to_yuan(discount),
                 "adjust_fee": "0.00", "buyer_nick": f"t**_{rng.randint(100, 999)}", "buyer_message": "",
                 "receiver_name": receiver.name, "receiver_mobile": receiver.phone, "receiver_phone": "",
                 "receiver_state": receiver.province, "receiver_city": receiver.city,
                 "receiver_district": receiver.district, "receiver_town": "", "receiver_address": receiver.address,
                 "receiver_zip": "000000", "orders": {"order": lines}}
        with self.state.lock:
            self._store(trade, seller)
        return trade

    def advance(self, order_id: str, now) -> bool:
        trade = self.state.orders[order_id]
        age = now - parse_gmt8(trade["modified"])
        status, chance = trade["status"], self.rng.random()
        requested = [line for line in trade["orders"]["order"] if line["refund_status"] in REFUND_REQUESTED]
        if status == "WAIT_BUYER_PAY" and trade["adjust_fee"] == "0.00" and chance < 0.2:
            self.adjust_price(trade, now)  # the seller lowers the price before the buyer pays
        elif status == "WAIT_BUYER_PAY":
            self._set(trade, "WAIT_SELLER_SEND_GOODS" if chance < 0.8 else "TRADE_CLOSED_BY_TAOBAO", now)
            if trade["status"] == "WAIT_SELLER_SEND_GOODS":
                trade["pay_time"] = gmt8(now)
        elif status in SHIPPABLE and requested:
            self.settle_line_refund(trade, requested[0], granted=chance < 0.6, now=now)
        elif status in SHIPPABLE and age > timedelta(minutes=1) and chance < 0.08:
            self.change_address(trade, now)  # the buyer moved the delivery before shipping
        elif status in SHIPPABLE and age > timedelta(minutes=1) and chance < 0.16 and len(trade["orders"]["order"]) > 1:
            self.request_line_refund(trade, now)  # the buyer wants one of the goods refunded
        elif status in SHIPPABLE and age > timedelta(minutes=3) and chance < 0.2:
            self._set(trade, "TRADE_CLOSED", now)  # the buyer asked for a refund before shipping
        elif status == "WAIT_BUYER_CONFIRM_GOODS" and age > timedelta(minutes=2):
            self._set(trade, "TRADE_FINISHED", now)
            trade["end_time"] = gmt8(now)
        else:
            return False
        return True

    def adjust_price(self, trade: dict, now) -> None:
        """改价: the seller takes a tenth off the largest line (at least one yuan) before payment."""
        line = max(trade["orders"]["order"], key=lambda each: yuan_to_fen(each["payment"]))
        cut = max(100, yuan_to_fen(line["payment"]) // 10 // 100 * 100)
        line["adjust_fee"] = fen_to_yuan(-cut)
        for name in ("payment", "divide_order_fee"):
            line[name] = fen_to_yuan(yuan_to_fen(line[name]) - cut)
        trade["adjust_fee"] = fen_to_yuan(-cut)
        trade["payment"] = fen_to_yuan(yuan_to_fen(trade["payment"]) - cut)
        trade["modified"] = gmt8(now)

    def change_address(self, trade: dict, now) -> None:
        receiver = self.rng.choice([each for each in RECEIVERS if each.city != trade["receiver_city"]])
        trade |= {"receiver_name": receiver.name, "receiver_mobile": receiver.phone, "oaid": None,
                  "receiver_state": receiver.province, "receiver_city": receiver.city,
                  "receiver_district": receiver.district, "receiver_address": receiver.address,
                  "modified": gmt8(now)}
        self._store(trade, self.state.sellers[str(trade["tid_str"])])  # masks it again, with a new OAID

    def request_line_refund(self, trade: dict, now) -> None:
        line = self.rng.choice(trade["orders"]["order"])
        line["refund_status"], line["refund_id"] = "WAIT_SELLER_AGREE", self.next_id(9_000_000_000_000)
        trade["modified"] = gmt8(now)

    def settle_line_refund(self, trade: dict, line: dict, granted: bool, now) -> None:
        """The seller agrees (the line is refunded and closed) or the buyer withdraws the request."""
        line["refund_status"] = "SUCCESS" if granted else "CLOSED"
        if granted:
            line["status"] = "TRADE_CLOSED"
        trade["modified"] = gmt8(now)

    def _set(self, trade: dict, status: str, now) -> None:
        trade["status"], trade["modified"] = status, gmt8(now)
        for line in trade["orders"]["order"]:
            if line["status"] != "TRADE_CLOSED":  # a line refunded on its own stays closed
                line["status"] = status

    def consign(self, tid: str, company: str, out_sid: str, now, sub_tids: list[str] | None = None) -> dict:
        """taobao.logistics.offline.send: the whole trade, or with ``is_split`` only the sub-orders
        ``sub_tids`` (拆单发货): those lines take the waybill, and the trade reads SELLER_CONSIGNED_PART
        until its last open sub-order has shipped. A sub-order ships once: the same waybill again is
        answered as done, another one is refused."""
        trade = self.state.orders[tid]
        lines = trade["orders"]["order"]
        if not out_sid or not company:
            raise invalid("out_sid", "运单号和物流公司不能为空")
        if sub_tids is None:
            chosen = [line for line in lines if not line.get("invoice_no") and line["status"] != "TRADE_CLOSED"]
        else:
            oids = {str(line["oid"]): line for line in lines}
            unknown = [oid for oid in sub_tids if oid not in oids]
            if not sub_tids or unknown:
                raise TopError(15, "Remote service error", "isv.invalid-parameter:sub_tid",
                               f"子订单 {','.join(unknown)} 不属于交易 {tid}")
            chosen = [oids[oid] for oid in dict.fromkeys(sub_tids)]
        named = [line for line in (lines if sub_tids is None else chosen) if line["status"] != "TRADE_CLOSED"]
        if named and all(line.get("invoice_no") == out_sid for line in named):
            return {"shipping": {"is_success": True}}  # the same shipment again: already done
        if trade["status"] not in SHIPPABLE or not chosen or any(line.get("invoice_no") for line in chosen):
            raise TopError(15, "Remote service error", "isv.logistics-offline-service-error:B04",
                           f"订单状态为 {trade['status']}，不能发货" if trade["status"] not in SHIPPABLE
                           else "子订单已发货，不能重复发货")
        if any(line["status"] == "TRADE_CLOSED" for line in chosen):
            raise TopError(15, "Remote service error", "isv.logistics-offline-service-error:B04", "子订单已关闭，不能发货")
        if self.state.refuses(out_sid):
            raise TopError(15, "Remote service error", "isv.logistics-offline-service-error:P38",
                           f"运单号 {out_sid} 不符合 {company} 的运单号规则")
        for line in chosen:
            line["invoice_no"], line["logistics_company"] = out_sid, COMPANIES.get(company, company)
            line["status"], line["consign_time"] = "WAIT_BUYER_CONFIRM_GOODS", gmt8(now)
        waiting = [line for line in lines if not line.get("invoice_no") and line["status"] != "TRADE_CLOSED"]
        trade["status"] = "SELLER_CONSIGNED_PART" if waiting else "WAIT_BUYER_CONFIRM_GOODS"
        trade["modified"] = trade["consign_time"] = gmt8(now)
        shipment = self.state.shipments.setdefault(tid, {"company_code": company, "out_sid": out_sid, "at": gmt8(now),
                                                         "parcels": []})
        shipment["parcels"].append({"company_code": company, "out_sid": out_sid, "is_split": sub_tids is not None,
                                    "sub_tid": [str(line["oid"]) for line in chosen], "at": gmt8(now)})
        return {"shipping": {"is_success": True}}


def _own_trade(simulator: TaobaoSimulator, seller: str, tid: str) -> dict:
    trade = simulator.state.orders.get(str(tid))
    if trade is None or simulator.state.sellers.get(str(tid)) != seller:
        raise TopError(15, "Remote service error", "isv.trade-not-exist", f"交易 {tid} 不存在")
    return trade


def increment_get(simulator: TaobaoSimulator, seller: str, params: dict) -> dict:
    try:
        start, end = parse_gmt8(params["start_modified"]), parse_gmt8(params["end_modified"])
    except (KeyError, ValueError) as error:
        raise TopError(40, "Missing required arguments", "isv.missing-parameter:start_modified") from error
    if end - start > timedelta(days=1):
        raise invalid("end_modified", "start_modified与end_modified的时间间隔不能超过一天")
    if start < now_gmt8() - timedelta(days=90):
        raise invalid("start_modified", "只能查询三个月内的交易")
    page_no, page_size = int(params.get("page_no", 1)), int(params.get("page_size", 40))
    if not 1 <= page_size <= 100:
        raise invalid("page_size", "page_size的取值范围为1到100")
    fields = [name.strip() for name in params.get("fields", "tid").split(",")]
    with simulator.state.lock:
        found = [trade for tid, trade in simulator.state.orders.items()
                 if simulator.state.sellers[tid] == seller and start <= parse_gmt8(trade["modified"]) <= end
                 and (not params.get("status") or trade["status"] == params["status"])]
        found.sort(key=lambda trade: (trade["modified"], trade["tid_str"]), reverse=True)
        page = found[(page_no - 1) * page_size: page_no * page_size]
        response = {"trades": {"trade": [copy.deepcopy({name: trade[name] for name in fields if name in trade})
                                         for trade in page]}}
    if params.get("use_has_next") == "true":
        response["has_next"] = page_no * page_size < len(found)
    else:
        response["total_results"] = len(found)
    return {"trades_sold_increment_get_response": response}


def fullinfo_get(simulator: TaobaoSimulator, seller: str, params: dict) -> dict:
    fields = {name.strip() for name in params.get("fields", "").split(",") if name.strip()}
    with simulator.state.lock:
        trade = _own_trade(simulator, seller, params.get("tid", ""))
        chosen = copy.deepcopy({key: value for key, value in trade.items() if key in fields or not fields})
    return {"trade_fullinfo_get_response": {"trade": chosen}}


def offline_send(simulator: TaobaoSimulator, seller: str, params: dict) -> dict:
    _own_trade(simulator, seller, params.get("tid", ""))
    with simulator.state.lock:
        split = str(params.get("is_split", "0")) == "1"
        sub_tids = [oid.strip() for oid in str(params.get("sub_tid", "")).split(",") if oid.strip()] if split else None
        answer = simulator.consign(str(params["tid"]), params.get("company_code", ""), params.get("out_sid", ""),
                                   now_gmt8(), sub_tids)
    return {"logistics_offline_send_response": answer}


def skus_quantity_update(simulator: TaobaoSimulator, seller: str, params: dict) -> dict:
    item = params.get("num_iid", "")
    with simulator.state.lock:
        for pair in params.get("outerid_quantities", "").split(";"):
            code, _, quantity = pair.rpartition(":")
            if not code or not quantity.isdigit():
                raise invalid("outerid_quantities", "格式应为 outerId:数量;outerId:数量")
            simulator.state.stock[f"{item}:{code}"] = int(quantity)
    return {"skus_quantity_update_response": {"item": {"num_iid": item, "modified": gmt8(now_gmt8())}}}


def item_seller_get(simulator: TaobaoSimulator, seller: str, params: dict) -> dict:
    item = str(params.get("num_iid", ""))
    with simulator.state.lock:
        skus = [{"outer_id": key.split(":", 1)[1], "quantity": quantity}
                for key, quantity in simulator.state.stock.items() if key.split(":", 1)[0] == item]
    if not skus:
        raise TopError(15, "Remote service error", "isv.item-not-exist", f"商品 {item} 不存在")
    return {"item_seller_get_response": {"item": {"num_iid": item, "num": sum(s["quantity"] for s in skus),
                                                  "skus": {"sku": skus}}}}


def oaid_decrypt(simulator: TaobaoSimulator, seller: str, params: dict) -> dict:
    queries = json.loads(params.get("query_list") or "[]")
    if len(queries) > 20:
        raise invalid("query_list", "每次最多解密20条")
    receivers = []
    for query in queries:
        trade = _own_trade(simulator, seller, query.get("tid", ""))
        plain = simulator.state.plaintext.get(trade["tid_str"])
        if plain is None or trade.get("oaid") != query.get("oaid") or not query.get("scene"):
            raise invalid("query_list", "oaid与订单不匹配，或缺少场景码")
        simulator.state.counters["decrypted"] += 1
        receivers.append({"oaid": trade["oaid"], "tid": trade["tid_str"], "name": plain["receiver_name"],
                          "mobile": plain["receiver_mobile"], "state": plain["receiver_state"],
                          "city": plain["receiver_city"], "district": plain["receiver_district"],
                          "town": plain["receiver_town"], "address_detail": plain["receiver_address"]})
    return {"top_oaid_decrypt_response": {"receiver_list": {"receiver": receivers}}}


METHODS = {
    "taobao.trades.sold.increment.get": increment_get,
    "taobao.trade.fullinfo.get": fullinfo_get,
    "taobao.logistics.offline.send": offline_send,
    "taobao.skus.quantity.update": skus_quantity_update,
    "taobao.item.seller.get": item_seller_get,
    "taobao.top.oaid.decrypt": oaid_decrypt,
}
