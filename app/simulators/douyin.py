"""Douyin shop (抖店) simulator: ``/{method with . as /}`` with the HMAC-SHA256 signature over param_json.

Enforced as 抖店 does (platform-apis §4): app key and signature recomputed over the body re-serialised
with sorted keys, no spaces and string values (so a client signing anything else fails: 40003
``isv.signature-invalid``), timestamp within 10 minutes, the access token (expired → 40003
``isv.access-token-expired``), the per-app rate and queued throttles (60000 "触发限流"), update-time
windows of at most 30 minutes and three months of history, 0-based ``page`` and ``size`` ≤ 100.
``/token/refresh`` trades a refresh token (once) for a new access token. Receiver name, phone and
address detail are ciphertexts (``#…#…#``, ``$…$…$``) with ``mask_post_*`` twins; only
``order.batchDecrypt`` gives the plaintext.

Push: with a target URL (``push_targets`` per shop, ``POST /_sim/push``), every new or changed order is
announced like 抖店 does: a JSON array of ``{tag, msg_id, data}`` with headers ``app-id`` and
``event-sign`` = md5(app_key + body + app_secret). Delivery failures are counted, never raised.
"""

import base64
import copy
import json
import logging
import threading
from datetime import timedelta

import requests
from flask import Flask, Response, jsonify, request

from app.demo_orders import RECEIVERS
from app.domain.channels.adapters.douyin import event_sign, param_json, sign, stringify
from app.domain.channels.adapters.signing import constant_time_equal
from app.simulators.shop_platform import (
    CLOCK_SKEW_SECONDS,
    PlatformSimulator,
    mask_detail,
    mask_name,
    mask_phone,
    now_gmt8,
    parse_gmt8,
    token,
)

DEMO_APP_KEY, DEMO_APP_SECRET = "7000000000000000001", "sim-douyin-secret"
DEMO_SESSIONS = {"sim-douyin-token": "小满生活抖音小店"}
DEMO_REFRESH_TOKEN = "sim-douyin-refresh"
SHIPPABLE = {105, 2, 101}
STATUS_DESC = {1: "待确认/待支付", 105: "已支付", 2: "备货中", 101: "部分发货", 3: "已发货", 4: "已取消", 5: "已完成"}
TAGS = {1: "100", 105: "101", 2: "101", 3: "102", 4: "103", 5: "103"}  # status reached → push tag
COMPANIES = {"shunfeng": "顺丰速运", "zhongtong": "中通快递", "yuantong": "圆通速递", "shentong": "申通快递",
             "yunda": "韵达快递", "jd": "京东物流", "ems": "EMS"}
logger = logging.getLogger(__name__)


class DoudianError(Exception):
    def __init__(self, code: int, msg: str, sub_code: str = "", sub_msg: str = ""):
        super().__init__(msg)
        self.body = {"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg or msg,
                     "log_id": token(code, msg, sub_code)[:20], "data": {}}


def invalid(name: str, why: str) -> DoudianError:
    return DoudianError(40003, "参数错误", f"isv.parameter-invalid:{name}", why)


def cipher(value: str, salt: str, mark: str) -> str:
    """A ciphertext stand-in in 抖店's shape (``$idx$data$`` phones, ``#idx#data#`` others)."""
    if not value:
        return ""
    data = base64.b64encode(f"{token(salt, value)[:8]}:{value}".encode()).decode()
    return f"{mark}{token(value)[:12]}{mark}{data}{mark}"


class DouyinSimulator(PlatformSimulator):
    name = "douyin"
    default_apps = {DEMO_APP_KEY: DEMO_APP_SECRET}
    default_sessions = DEMO_SESSIONS
    max_window = timedelta(minutes=30)

    def __init__(self, seed: int | None = None, apps: dict | None = None, sessions: dict | None = None,
                 push_url: str = ""):
        super().__init__(seed, apps, sessions)
        first = next(iter(self.state.sessions.values()))
        self.refresh_tokens = {DEMO_REFRESH_TOKEN: first}  # refresh token → shop (usable once)
        self.push_targets: dict[str, str] = {first: push_url} if push_url else {}
        self.outbox: list[tuple[str, str]] = []  # (shop, JSON body) waiting for delivery
        self.deliver = self._deliver_http

    def register(self, app: Flask) -> None:
        for method in METHODS:
            app.add_url_rule("/" + method.replace(".", "/"), method, self.gateway, methods=["POST"])
        app.add_url_rule("/_sim/push", "push_target", self.set_push_target, methods=["POST"])

    def gateway(self) -> Response:
        method = request.path.strip("/").replace("/", ".")
        self.state.counters[method] += 1
        self.state.stall()
        if self.state.take("fail_next"):
            return Response("Bad Gateway", status=502)
        try:
            body = json.loads(request.get_data(as_text=True) or "{}")
            if not isinstance(body, dict):
                raise invalid("param_json", "param_json应为JSON对象")
            seller = self._authenticate(method, request.args.to_dict(), body)
            data = METHODS[method](self, seller, stringify(body))  # all strings, as signed
        except ValueError:
            return jsonify(invalid("param_json", "param_json不是合法的JSON").body)
        except DoudianError as error:
            return jsonify(error.body)
        if self.outbox:
            threading.Thread(target=self.flush_pushes, daemon=True).start()
        return jsonify({"code": 10000, "msg": "success", "sub_code": "", "sub_msg": "", "data": data})

    def _authenticate(self, method: str, query: dict, body: dict) -> str:
        state = self.state
        secret = state.apps.get(query.get("app_key", ""))
        if secret is None:
            raise DoudianError(40003, "参数错误", "isv.app-key-invalid", "app_key不存在")
        if query.get("method") != method:
            raise invalid("method", "method与请求路径不一致")
        expected = sign(secret, query["app_key"], method, param_json(body), query.get("timestamp", ""),
                        query.get("v", ""))
        if query.get("sign_method") != "hmac-sha256" or not constant_time_equal(expected, query.get("sign", "")):
            raise DoudianError(40003, "参数错误", "isv.signature-invalid", "签名无效")
        try:
            skew = abs((now_gmt8() - parse_gmt8(query.get("timestamp", ""))).total_seconds())
        except ValueError as error:
            raise DoudianError(40003, "参数错误", "isv.timestamp-invalid", "时间戳格式错误") from error
        if skew > CLOCK_SKEW_SECONDS:
            raise DoudianError(40003, "参数错误", "isv.timestamp-invalid", "时间戳与服务器时间相差超过10分钟")
        if state.take("throttle_next") or state.over_rate():
            raise DoudianError(60000, "触发限流，请稍后重试")
        if method == "token.refresh":
            return ""
        access_token = query.get("access_token", "")
        if access_token in state.expired:
            raise DoudianError(40003, "参数错误", "isv.access-token-expired", "access_token已过期")
        if access_token not in state.sessions:
            raise DoudianError(40003, "参数错误", "isv.access-token-no-existed", "access_token不存在")
        return state.sessions[access_token]

    # ---- orders ----------------------------------------------------------------------------------------

    def load(self, data, seller: str | None) -> int:
        if isinstance(data, dict):
            data = (data.get("data") or data).get("shop_order_list", [data])
        seller = seller or next(iter(self.state.sessions.values()))
        with self.state.lock:
            for order in data:
                self._store(copy.deepcopy(order), seller)
        self.flush_pushes()
        return len(data)

    def _store(self, order: dict, seller: str) -> None:
        order_id = str(order["order_id"])
        order["order_id"] = order_id
        address = order.setdefault("post_addr", {})
        if order.get("post_receiver") or order.get("post_tel"):  # plaintext given: encrypt and mask it
            plain = {"name": order.pop("post_receiver", ""), "tel": order.pop("post_tel", ""),
                     "detail": address.get("detail", "")}
            self.state.plaintext[order_id] = plain
            order["encrypt_post_receiver"] = cipher(plain["name"], order_id, "#")
            order["encrypt_post_tel"] = cipher(plain["tel"], order_id, "$")
            address["encrypt_detail"] = cipher(plain["detail"], order_id, "#")
            address["detail"] = mask_detail(plain["detail"])
            order["mask_post_receiver"], order["mask_post_tel"] = mask_name(plain["name"]), mask_phone(plain["tel"])
            order["mask_post_addr"] = {key: copy.deepcopy(value) for key, value in address.items()
                                       if key != "encrypt_detail"}
            order["post_receiver"], order["post_tel"] = "", ""  # deprecated fields: empty, as 抖店 sends them
        self.state.orders[order_id] = order
        self.state.sellers[order_id] = seller
        for line in order.get("sku_order_list", []):
            self.state.stock.setdefault(str(line.get("sku_id")), 100)
        self._announce(order, seller)

    def new_order(self, seller: str, now) -> dict:
        rng = self.rng
        receiver = rng.choice(RECEIVERS)
        order_id = self.next_id(6_900_000_000_000_000_000)
        lines, goods = [], 0
        for index in rng.sample(range(len(self.catalog)), rng.choice((1, 1, 2))):
            code, title, price = self.catalog[index]
            count = rng.choice((1, 1, 2))
            product_id, sku_id = self.listing_key(index)
            goods += price * count
            lines.append({"order_id": self.next_id(6_910_000_000_000_000_000), "parent_order_id": order_id,
                          "product_id": int(product_id), "product_id_str": product_id, "sku_id": int(sku_id),
                          "out_sku_id": code, "code": code, "product_name": title, "item_num": count,
                          "spec": [{"name": "规格", "value": "默认"}], "origin_amount": price,
                          "sum_amount": price * count, "pay_amount": price * count})
        post = 0 if goods >= 9900 else 600
        stamp = int(now.timestamp())
        order = {"order_id": order_id, "shop_id": 100001, "shop_name": seller, "order_status": 1,
                 "order_status_desc": STATUS_DESC[1], "main_status": 1, "create_time": stamp, "update_time": stamp,
                 "pay_time": 0, "finish_time": 0, "ship_time": 0, "exp_ship_time": stamp + 48 * 3600,
                 "order_amount": goods + post, "pay_amount": goods + post, "post_amount": post,
                 "promotion_amount": 0, "pay_type": 1, "buyer_words": "", "seller_words": "",
                 "post_receiver": receiver.name, "post_tel": receiver.phone,
                 "post_addr": {"province": {"name": receiver.province, "id": "31"},
                               "city": {"name": receiver.city, "id": "310100"},
                               "town": {"name": receiver.district, "id": "310115"},
                               "street": {"name": "", "id": ""}, "detail": receiver.address},
                 "sku_order_list": lines, "logistics_info": []}
        with self.state.lock:
            self._store(order, seller)
        return order

    def advance(self, order_id: str, now) -> bool:
        order = self.state.orders[order_id]
        age = now.timestamp() - int(order["update_time"])
        status = int(order["order_status"])
        if status == 1:
            self._set(order, 105 if self.rng.random() < 0.85 else 4, now)
            if order["order_status"] == 105:
                order["pay_time"] = order["update_time"]
        elif status == 105:
            self._set(order, 2, now)
        elif status in SHIPPABLE and age > 180 and self.rng.random() < 0.1:
            self._set(order, 4, now)  # the buyer was refunded before shipping
        elif status == 3 and age > 120:
            self._set(order, 5, now)
            order["finish_time"] = order["update_time"]
        else:
            return False
        return True

    def _set(self, order: dict, status: int, now) -> None:
        order["order_status"], order["order_status_desc"] = status, STATUS_DESC.get(status, str(status))
        order["main_status"], order["update_time"] = status, max(int(now.timestamp()), int(order["update_time"]) + 1)
        self._announce(order, self.state.sellers[order["order_id"]])

    def trickle_step(self) -> None:
        super().trickle_step()
        self.flush_pushes()

    # ---- push --------------------------------------------------------------------------------------------

    def set_push_target(self) -> Response:
        """{"url": "http://…/hooks/douyin/<channel>", "seller": shop (default: the first)}; empty url: stop."""
        body = request.get_json(force=True) or {}
        seller = body.get("seller") or next(iter(self.state.sessions.values()))
        with self.state.lock:
            if body.get("url"):
                self.push_targets[seller] = body["url"]
            else:
                self.push_targets.pop(seller, None)
        return jsonify(ok=True, targets=self.push_targets)

    def _announce(self, order: dict, seller: str) -> None:
        if seller not in self.push_targets:
            return
        status = int(order.get("order_status") or 0)
        data = {"p_id": order["order_id"], "s_ids": [line.get("order_id") for line in order.get("sku_order_list", [])],
                "order_status": status, "order_type": 0, "pay_amount": order.get("pay_amount"),
                "pay_type": order.get("pay_type"), "pay_time": order.get("pay_time"), "shop_id": order.get("shop_id"),
                "update_time": order.get("update_time")}
        message = {"tag": TAGS.get(status, "106"), "msg_id": self.next_id(7_100_000_000_000_000_000),
                   "data": json.dumps(data, ensure_ascii=False, separators=(",", ":"))}
        self.outbox.append((seller, json.dumps([message], ensure_ascii=False, separators=(",", ":"))))

    def flush_pushes(self) -> int:
        """Deliver what is waiting (outside the state lock: the receiver may take its time). Returns sent."""
        with self.state.lock:
            waiting, self.outbox = self.outbox, []
            app_key, secret = next(iter(self.state.apps.items()))
        sent = 0
        for seller, body in waiting:
            raw = body.encode("utf-8")
            headers = {"Content-Type": "application/json", "app-id": app_key,
                       "event-sign": event_sign(app_key, secret, raw)}
            try:
                status, reply = self.deliver(self.push_targets.get(seller, ""), headers, raw)
            except requests.RequestException as error:  # OrderHub not up (yet): one line, no traceback
                logger.warning("douyin push to %s failed: %s", self.push_targets.get(seller), type(error).__name__)
                status, reply = 0, ""
            except Exception:  # whatever else: the receiver must never take the simulator down
                logger.exception("douyin push failed")
                status, reply = 0, ""
            ok = status == 200 and reply.replace(" ", "") == '{"code":0,"msg":"success"}'
            self.state.counters["pushes_sent" if ok else "pushes_failed"] += 1
            sent += ok
        return sent

    @staticmethod
    def _deliver_http(url: str, headers: dict, body: bytes) -> tuple[int, str]:
        response = requests.post(url, data=body, headers=headers, timeout=(2, 10))
        return response.status_code, response.text


def _own_order(simulator: DouyinSimulator, seller: str, order_id) -> dict:
    order = simulator.state.orders.get(str(order_id))
    if order is None or simulator.state.sellers.get(str(order_id)) != seller:
        raise DoudianError(90000, "订单不存在", "isv.business-failed:order-not-exist", f"订单 {order_id} 不存在")
    return order


def search_list(simulator: DouyinSimulator, seller: str, query: dict) -> dict:
    try:
        start, end = int(query["update_time_start"]), int(query["update_time_end"])
        page, size = int(query.get("page", "0")), int(query.get("size", "10"))
    except (KeyError, ValueError) as error:
        raise invalid("update_time_start", "update_time_start、update_time_end应为秒级时间戳") from error
    if end - start > simulator.max_window.total_seconds() or end < start:
        raise invalid("update_time_end", "更新时间跨度不能超过30分钟")
    if start < (now_gmt8() - timedelta(days=90)).timestamp():
        raise invalid("update_time_start", "只能查询三个月内的订单")
    if not 1 <= size <= 100 or page < 0:
        raise invalid("size", "page从0开始，size取值范围为1到100")
    ascending = query.get("order_asc") == "true"
    with simulator.state.lock:
        found = [order for order_id, order in simulator.state.orders.items()
                 if simulator.state.sellers[order_id] == seller and start <= int(order["update_time"]) <= end]
        found.sort(key=lambda order: (int(order["update_time"]), order["order_id"]), reverse=not ascending)
        orders = copy.deepcopy(found[page * size: (page + 1) * size])
    return {"shop_order_list": orders, "page": page, "size": size, "total": len(found)}


def order_detail(simulator: DouyinSimulator, seller: str, query: dict) -> dict:
    with simulator.state.lock:
        return {"shop_order_detail": copy.deepcopy(_own_order(simulator, seller, query.get("shop_order_id")))}


def logistics_add(simulator: DouyinSimulator, seller: str, query: dict) -> dict:
    with simulator.state.lock:
        order = _own_order(simulator, seller, query.get("order_id"))
        waybill, company = query.get("logistics_code", ""), query.get("company_code", "")
        if not waybill or not company:
            raise invalid("logistics_code", "缺少物流公司或运单号")
        if int(order["order_status"]) not in SHIPPABLE:
            shipped = order.get("logistics_info") or [{}]
            if shipped[0].get("tracking_no") == waybill:
                return {}  # the same shipment again: already done
            raise DoudianError(90000, "订单状态不允许发货", "isv.business-failed:status-not-allow",
                               f"订单状态为{order['order_status_desc']}，不能发货")
        _refuse(simulator, [waybill])
        now = now_gmt8()
        order["logistics_info"] = [{"tracking_no": waybill, "company": company,
                                    "company_name": COMPANIES.get(company, company), "ship_time": int(now.timestamp())}]
        order["ship_time"] = int(now.timestamp())
        simulator._set(order, 3, now)
        simulator.state.shipments[order["order_id"]] = {"company_code": company, "logistics_code": waybill,
                                                        "at": order["ship_time"]}
    return {}


def logistics_add_multi_pack(simulator: DouyinSimulator, seller: str, query: dict) -> dict:
    """order.logisticsAddMultiPack: one shop order shipped as several packs, each naming the sku orders
    (``shipped_order_id``) and counts it carries; the whole request succeeds or fails. The order lists
    every pack under ``logistics_info`` (with its ``product_info``) and reads 3 (shipped) once every sku
    order is in a pack, else 101 (partly shipped)."""
    with simulator.state.lock:
        order = _own_order(simulator, seller, query.get("order_id"))
        packs = query.get("pack_list")
        if not isinstance(packs, list) or not packs:
            raise invalid("pack_list", "pack_list不能为空")
        sku_orders = {str(line["order_id"]): line for line in order.get("sku_order_list", [])}
        parsed = []
        for pack in packs:
            waybill, company = pack.get("logistics_code", ""), pack.get("company_code", "")
            shipped = pack.get("shipped_order_info") or []
            if not waybill or not company or not isinstance(shipped, list) or not shipped:
                raise invalid("pack_list", "每个包裹都要有物流公司、运单号和发货的子订单")
            items = []
            for item in shipped:
                sub_order, count = str(item.get("shipped_order_id", "")), str(item.get("shipped_num", ""))
                if sub_order not in sku_orders:
                    raise DoudianError(90000, "子订单不存在", "isv.business-failed:sku-order-not-exist",
                                       f"子订单 {sub_order} 不属于订单 {order['order_id']}")
                if not count.isdigit() or int(count) < 1 or int(count) > int(sku_orders[sub_order]["item_num"]):
                    raise invalid("shipped_num", "shipped_num应为1到子订单商品数量之间的整数")
                items.append((sub_order, int(count)))
            parsed.append((waybill, company, items))
        if int(order["order_status"]) not in SHIPPABLE:
            if sorted(waybill for waybill, _, _ in parsed) == sorted(
                    str(pack.get("tracking_no")) for pack in order.get("logistics_info") or []):
                return {}  # the same packs again: already done
            raise DoudianError(90000, "订单状态不允许发货", "isv.business-failed:status-not-allow",
                               f"订单状态为{order['order_status_desc']}，不能发货")
        _refuse(simulator, [waybill for waybill, _, _ in parsed])
        now = now_gmt8()
        stamp = int(now.timestamp())
        order["logistics_info"] = [{"tracking_no": waybill, "company": company,
                                    "company_name": COMPANIES.get(company, company), "ship_time": stamp,
                                    "product_info": [{"sku_order_id": sub_order, "product_count": count,
                                                      "product_name": sku_orders[sub_order].get("product_name", "")}
                                                     for sub_order, count in items]}
                                   for waybill, company, items in parsed]
        order["ship_time"] = stamp
        covered = {sub_order for _, _, items in parsed for sub_order, _ in items}
        simulator._set(order, 3 if covered >= set(sku_orders) else 101, now)
        simulator.state.shipments[order["order_id"]] = {
            "company_code": parsed[0][1], "logistics_code": parsed[0][0], "at": stamp,
            "packs": [{"company_code": company, "logistics_code": waybill,
                       "shipped_order_info": [{"shipped_order_id": sub_order, "shipped_num": count}
                                              for sub_order, count in items]} for waybill, company, items in parsed]}
    return {}


def _refuse(simulator: DouyinSimulator, waybills: list[str]) -> None:
    """A waybill queued to be refused (``refuse_waybill``) fails the whole request, as a pack does."""
    for waybill in waybills:
        if simulator.state.refuses(waybill):
            raise DoudianError(90000, "运单号校验失败", "isv.business-failed:logistics-code-invalid",
                               f"运单号{waybill}不符合物流公司规则")


def sync_stock(simulator: DouyinSimulator, seller: str, query: dict) -> dict:
    count = query.get("stock_num", "")
    if not count.isdigit():
        raise invalid("stock_num", "stock_num应为非负整数")
    sku_id = query.get("sku_id", "")
    with simulator.state.lock:
        base = simulator.state.stock.get(sku_id, 0) if query.get("incremental") == "true" else 0
        simulator.state.stock[sku_id] = base + int(count)
    return {"sku_id": sku_id, "stock_num": simulator.state.stock[sku_id]}


def sku_detail(simulator: DouyinSimulator, seller: str, query: dict) -> dict:
    with simulator.state.lock:
        count = simulator.state.stock.get(query.get("sku_id", ""))
    if count is None:
        raise DoudianError(90000, "SKU不存在", "isv.business-failed:sku-not-exist")
    return {"id": query["sku_id"], "stock_num": count}


def batch_decrypt(simulator: DouyinSimulator, seller: str, query: dict) -> dict:
    infos = query.get("cipher_infos") or []
    if not infos or len(infos) > 50:
        raise invalid("cipher_infos", "每次解密1到50条")
    answers = []
    with simulator.state.lock:
        for info in infos:
            order = _own_order(simulator, seller, info.get("auth_id"))
            plain = simulator.state.plaintext.get(order["order_id"], {})
            ciphers = {order.get("encrypt_post_receiver"): plain.get("name"),
                       order.get("encrypt_post_tel"): plain.get("tel"),
                       order["post_addr"].get("encrypt_detail"): plain.get("detail")}
            text = ciphers.get(info.get("cipher_text"))
            simulator.state.counters["decrypted"] += text is not None
            answers.append({"auth_id": order["order_id"], "cipher_text": info.get("cipher_text"),
                            "decrypt_text": text or "", "err_no": 0 if text is not None else 300008,
                            "err_msg": "" if text is not None else "密文与订单不匹配"})
    return {"decrypt_infos": answers, "custom_err": {"err_code": 0, "err_msg": ""}}


def refresh_token(simulator: DouyinSimulator, seller: str, query: dict) -> dict:
    state = simulator.state
    with state.lock:
        shop = simulator.refresh_tokens.pop(query.get("refresh_token", ""), None)
        if query.get("grant_type") != "refresh_token" or shop is None:
            raise DoudianError(50001, "系统错误", "dop.token-generate-failed:refresh-token-expired",
                               "refresh_token已失效，请商家重新授权")
        access_token, fresh = token("access", shop, simulator.sequence), token("refresh", shop, simulator.sequence)
        simulator.sequence += 1
        for old in [key for key, value in state.sessions.items() if value == shop]:
            state.expired.add(old)
        state.sessions[access_token] = shop
        simulator.refresh_tokens[fresh] = shop
    return {"access_token": access_token, "expires_in": 604800, "refresh_token": fresh, "scope": "SCOPE",
            "shop_id": 100001, "shop_name": shop}


METHODS = {
    "order.searchList": search_list,
    "order.orderDetail": order_detail,
    "order.logisticsAdd": logistics_add,
    "order.logisticsAddMultiPack": logistics_add_multi_pack,
    "sku.syncStock": sync_stock,
    "sku.detail": sku_detail,
    "order.batchDecrypt": batch_decrypt,
    "token.refresh": refresh_token,
}
