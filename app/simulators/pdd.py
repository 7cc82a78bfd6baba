"""Pinduoduo simulator: ``/api/router`` with the md5 signature and the method in ``type``.

Enforced as PDD does (platform-apis §3): client id and signature, timestamp (unix seconds) within 10
minutes, the access token (expired → 10019), the call rate and queued throttles (70031, wording
"调用过于频繁" — PDD's codes are from memory, the adapter also recognises the wording), update-time
windows of at most 30 minutes and three months of history, page_size ≤ 100, ``has_next`` paging with
the newest first. Orders are full order objects in the list; receiver name, phone and addresses are
ciphertexts of PDD's shapes (``~…~…~0~~``, ``$…$…$0$$``) with ``*_mask`` twins, and only
``pdd.open.decrypt.batch`` gives the plaintext back.
"""

import base64
import copy
import json
from datetime import datetime, timedelta

from flask import Flask, Response, jsonify, request

from app.demo_orders import RECEIVERS
from app.domain.channels.adapters.signing import constant_time_equal, md5_wrapped
from app.money import fen_to_yuan
from app.simulators.shop_platform import (
    CLOCK_SKEW_SECONDS,
    GMT8,
    PlatformSimulator,
    gmt8,
    mask_detail,
    now_gmt8,
    parse_gmt8,
    token,
)

DEMO_APP_KEY, DEMO_APP_SECRET = "sim-pdd-client", "sim-pdd-secret"
DEMO_SESSIONS = {"sim-pdd-token": "小满生活拼多多店"}
MAX_WINDOW_SECONDS = 30 * 60
#: Ciphertext fields → pdd.open.decrypt.batch data_type (5 receiver, 6 phone, 7 full address, 8 detail).
CIPHER_FIELDS = {"receiver_name": 5, "receiver_phone": 6, "address": 7, "receiver_address": 8}


class PddError(Exception):
    def __init__(self, code: int, message: str, sub_code: str = ""):
        super().__init__(message)
        self.body = {"error_response": {"error_code": code, "error_msg": message, "sub_code": sub_code,
                                        "sub_msg": message, "request_id": token(code, message)[:20]}}


def encrypt(field: str, value: str, order_sn: str) -> str:
    """PDD's ciphertext shapes, opaque: the plaintext stays in the simulator's table."""
    sealed = base64.b64encode(bytes.fromhex(token(field, value, order_sn)[:24])).decode()
    index = token("index", value)[:8]
    return f"${index}${sealed}$0$$" if field == "receiver_phone" else f"~{sealed}~{index}~0~~"


def mask_name(name: str) -> str:
    """林*坤 / 王*: first and last character kept, as PDD masks."""
    return f"{name[0]}*{name[-1]}" if len(name) > 2 else f"{name[:1]}*"


def mask_phone(phone: str) -> str:
    return f"{phone[:1]}{'*' * (len(phone) - 2)}{phone[-1:]}" if len(phone) > 2 else "*" * len(phone)


class PddSimulator(PlatformSimulator):
    name = "pdd"
    default_apps = {DEMO_APP_KEY: DEMO_APP_SECRET}
    default_sessions = DEMO_SESSIONS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._goods: dict[str, dict] = {}

    def register(self, app: Flask) -> None:
        app.add_url_rule("/api/router", "gateway", self.gateway, methods=["POST"])

    def gateway(self) -> Response:
        params = request.get_json(silent=True) if request.is_json else None
        params = {key: str(value) for key, value in (params or request.form.to_dict()).items()}
        method = params.get("type", "")
        self.state.counters[method or "?"] += 1
        self.state.stall()
        if self.state.take("fail_next"):
            return Response("Bad Gateway", status=502)
        try:
            seller = self._authenticate(params)
            handler = METHODS.get(method)
            if handler is None:
                raise PddError(10001, f"接口 {method} 不存在", "api.not.exist")
            return jsonify(handler(self, seller, params))
        except PddError as error:
            return jsonify(error.body)

    def _authenticate(self, params: dict) -> str:
        state = self.state
        secret = state.apps.get(params.get("client_id", ""))
        if secret is None:
            raise PddError(10016, "client_id不存在", "client_id.invalid")
        if not constant_time_equal(md5_wrapped(secret, params), params.get("sign", "")):
            raise PddError(10017, "签名错误", "sign.invalid")
        try:
            skew = abs(now_gmt8().timestamp() - int(params.get("timestamp", "")))
        except ValueError as error:
            raise PddError(10018, "timestamp格式错误", "timestamp.invalid") from error
        if skew > CLOCK_SKEW_SECONDS:
            raise PddError(10018, "timestamp与服务器时间相差超过10分钟", "timestamp.invalid")
        if state.take("throttle_next") or state.over_rate():
            raise PddError(70031, "调用过于频繁，请调整调用频率", "rate.limited")
        access_token = params.get("access_token", "")
        if access_token in state.expired or access_token not in state.sessions:
            raise PddError(10019, "access_token已过期", "access_token.expired")
        return state.sessions[access_token]

    # ---- orders ----------------------------------------------------------------------------------------

    def load(self, data, seller: str | None) -> int:
        if isinstance(data, dict):
            data = data.get("order_sn_increment_get_response", data)
            data = data.get("order_sn_list", [data])
        seller = seller or next(iter(self.state.sessions.values()))
        with self.state.lock:
            for order in data:
                self._store(copy.deepcopy(order), seller)
        return len(data)

    def _store(self, order: dict, seller: str) -> None:
        order_sn = str(order["order_sn"])
        name = str(order.get("receiver_name") or "")
        if name and not name.startswith("~"):  # plaintext given: encrypt it as PDD sends it
            phone = str(order.get("receiver_phone") or "")
            detail = str(order.get("receiver_address") or "")
            order["address"] = order.get("address") or f"{order.get('province', '')}{order.get('city', '')}" \
                                                       f"{order.get('town', '')}{detail}"
            order |= {"receiver_name_mask": mask_name(name), "receiver_phone_mask": mask_phone(phone),
                      "receiver_address_mask": mask_detail(detail), "address_mask": mask_detail(order["address"])}
            table = self.state.plaintext.setdefault(order_sn, {})
            for field, data_type in CIPHER_FIELDS.items():
                plain = str(order.get(field) or "")
                order[field] = encrypt(field, plain, order_sn) if plain else ""
                table[order[field]] = (data_type, plain)
        self.state.orders[order_sn] = order
        self.state.sellers[order_sn] = seller
        for item in order.get("item_list", []):
            self.state.stock.setdefault(str(item.get("sku_id")), 100)
            self.goods().setdefault(str(item.get("goods_id")), {})[str(item.get("sku_id"))] = item.get("outer_id", "")

    def goods(self) -> dict:
        """goods_id → {sku_id: outer_id}, learned from the orders (the stock calls need the goods)."""
        return self._goods

    def new_order(self, seller: str, now) -> dict:
        rng = self.rng
        receiver = rng.choice(RECEIVERS)
        items, goods = [], 0
        for index in rng.sample(range(len(self.catalog)), rng.choice((1, 1, 2))):
            code, title, price = self.catalog[index]
            count = rng.choice((1, 1, 2))
            goods_id, sku_id = self.listing_key(index)
            goods += price * count
            items.append({"goods_id": int(goods_id), "sku_id": int(sku_id), "outer_id": code, "outer_goods_id": code,
                          "goods_name": title, "goods_spec": "默认", "goods_price": float(fen_to_yuan(price)),
                          "goods_count": count, "goods_img": ""})
        discount = rng.choice((0, 0, 300, 500)) if goods > 1000 else 0
        sequence = self.next_id(0)[-15:].rjust(15, "0")
        order = {"order_sn": f"{now.astimezone(GMT8):%y%m%d}-{sequence}", "order_status": 1, "refund_status": 1,
                 "confirm_status": 1, "group_status": 0 if rng.random() < 0.15 else 1, "after_sales_status": 0,
                 "risk_control_status": 0, "goods_amount": float(fen_to_yuan(goods)), "discount_amount": float(fen_to_yuan(discount)),
                 "platform_discount": float(fen_to_yuan(discount)), "seller_discount": 0, "capital_free_discount": 0,
                 "postage": 0, "pay_amount": float(fen_to_yuan(goods - discount)), "created_time": gmt8(now),
                 "confirm_time": gmt8(now), "pay_time": gmt8(now), "updated_at": gmt8(now),
                 "last_ship_time": gmt8(now + timedelta(hours=48)), "shipping_time": "", "receive_time": "",
                 "logistics_id": 0, "tracking_number": "", "invoice_status": 0, "buyer_memo": "", "remark": "",
                 "country": "中国", "province": receiver.province, "city": receiver.city, "town": receiver.district,
                 "receiver_name": receiver.name, "receiver_phone": receiver.phone, "receiver_address": receiver.address,
                 "item_list": items}
        with self.state.lock:
            self._store(order, seller)
        return order

    def advance(self, order_sn: str, now) -> bool:
        order = self.state.orders[order_sn]
        age = now - parse_gmt8(order["updated_at"])
        status, refund = int(order["order_status"]), int(order["refund_status"])
        if int(order["group_status"]) == 0:
            order["group_status"] = 1  # 拼团成团: the group formed, the order may now be shipped
        elif status == 1 and refund == 1 and age > timedelta(minutes=3) and self.rng.random() < 0.1:
            order["refund_status"] = 2  # the buyer asks a refund before shipping
        elif status == 1 and refund == 2 and age > timedelta(minutes=1):
            order["refund_status"] = 4
        elif status == 2 and age > timedelta(minutes=2):
            order["order_status"], order["receive_time"] = 3, gmt8(now)
        else:
            return False
        order["updated_at"] = gmt8(now)
        return True


def _own_order(simulator: PddSimulator, seller: str, order_sn) -> dict:
    order = simulator.state.orders.get(str(order_sn))
    if order is None or simulator.state.sellers.get(str(order_sn)) != seller:
        raise PddError(10000, f"订单 {order_sn} 不存在", "order.not.exist")
    return order


def _seconds(params: dict, name: str) -> datetime:
    try:
        return datetime.fromtimestamp(int(params[name]), GMT8)
    except (KeyError, ValueError) as error:
        raise PddError(10000, f"参数错误：{name}应为unix时间戳（秒）", "param.invalid") from error


def increment_get(simulator: PddSimulator, seller: str, params: dict) -> dict:
    start, end = _seconds(params, "start_updated_at"), _seconds(params, "end_updated_at")
    if not timedelta(0) <= end - start <= timedelta(seconds=MAX_WINDOW_SECONDS):
        raise PddError(10000, "参数错误：end_updated_at与start_updated_at的间隔须在30分钟以内", "param.invalid")
    if start < now_gmt8() - timedelta(days=90):
        raise PddError(10000, "只能查询最近三个月的订单", "param.invalid")
    page, size = int(params.get("page", 1)), int(params.get("page_size", 100))
    if not 1 <= size <= 100 or page < 1:
        raise PddError(10000, "参数错误：page_size取值范围为1到100", "param.invalid")
    order_status, refund_status = int(params.get("order_status", 5)), int(params.get("refund_status", 5))
    with simulator.state.lock:
        found = [order for order_sn, order in simulator.state.orders.items()
                 if simulator.state.sellers[order_sn] == seller and start <= parse_gmt8(order["updated_at"]) <= end
                 and order_status in (5, int(order["order_status"])) and refund_status in (5, int(order["refund_status"]))]
        found.sort(key=lambda order: (order["updated_at"], order["order_sn"]), reverse=True)
        page_items = copy.deepcopy(found[(page - 1) * size: page * size])
    response = {"total_count": len(found), "order_sn_list": page_items}
    if params.get("use_has_next") == "true":
        response["has_next"] = page * size < len(found)
    return {"order_sn_increment_get_response": response}


def information_get(simulator: PddSimulator, seller: str, params: dict) -> dict:
    with simulator.state.lock:
        order = copy.deepcopy(_own_order(simulator, seller, params.get("order_sn")))
    return {"order_info_get_response": {"order_info": order}}


def online_send(simulator: PddSimulator, seller: str, params: dict) -> dict:
    with simulator.state.lock:
        order = _own_order(simulator, seller, params.get("order_sn"))
        number, carrier = params.get("tracking_number", ""), params.get("logistics_id", "")
        if int(order["order_status"]) != 1 or int(order["refund_status"]) != 1:
            if order.get("tracking_number") == number:
                return {"logistics_online_send_response": {"is_success": True}}
            raise PddError(10000, "订单状态不允许发货（已发货或售后中）", "order.status.invalid")
        if simulator.state.refuses(number):
            raise PddError(10000, f"运单号 {number} 不符合快递公司规则", "tracking_number.invalid")
        now = now_gmt8()
        order |= {"order_status": 2, "tracking_number": number, "logistics_id": int(carrier or 0),
                  "shipping_time": gmt8(now), "updated_at": gmt8(now)}
        simulator.state.shipments[order["order_sn"]] = {"logistics_id": carrier, "tracking_number": number,
                                                        "at": gmt8(now)}
    return {"logistics_online_send_response": {"is_success": True}}


def upload_extra_logistics(simulator: PddSimulator, seller: str, params: dict) -> dict:
    """pdd.order.upload.extra.logistics: more waybills of an order that has shipped (分包发货, extra_track_type
    1). PDD shows them to the buyer only: the order's detail keeps its one ``tracking_number``, so they are
    kept with the shipment here (``/_sim/state``). A waybill uploaded before is answered as done."""
    try:
        tracks = json.loads(params.get("extra_track_list") or "[]")
    except ValueError as error:
        raise PddError(10000, "参数错误：extra_track_list应为JSON数组", "param.invalid") from error
    if not isinstance(tracks, list) or not tracks or any(
            not isinstance(track, dict) or not track.get("shipping_id") or not track.get("tracking_number")
            for track in tracks):
        raise PddError(10000, "参数错误：extra_track_list每项都要有shipping_id和tracking_number", "param.invalid")
    with simulator.state.lock:
        order = _own_order(simulator, seller, params.get("order_sn"))
        if int(order["order_status"]) == 1:
            raise PddError(10000, "订单未发货，不能上传额外运单", "order.status.invalid")
        shipment = simulator.state.shipments.setdefault(order["order_sn"], {
            "logistics_id": str(order.get("logistics_id")), "tracking_number": order.get("tracking_number"), "at": ""})
        known = {track["tracking_number"] for track in shipment.get("extra_track_list", [])}
        fresh = [track for track in tracks if str(track["tracking_number"]) not in known
                 and str(track["tracking_number"]) != order.get("tracking_number")]
        for track in fresh:
            if simulator.state.refuses(str(track["tracking_number"])):
                raise PddError(10000, f"运单号 {track['tracking_number']} 不符合快递公司规则", "tracking_number.invalid")
        shipment.setdefault("extra_track_list", []).extend(
            {"shipping_id": int(track["shipping_id"]), "tracking_number": str(track["tracking_number"]),
             "extra_track_type": int(params.get("extra_track_type") or 1)} for track in fresh)
    return {"order_upload_extra_logistics_response": {"success": True}}


def quantity_update(simulator: PddSimulator, seller: str, params: dict) -> dict:
    quantity = params.get("quantity", "")
    if not quantity.isdigit() or params.get("update_type", "1") not in ("1", "2"):
        raise PddError(10000, "参数错误：quantity应为非负整数", "param.invalid")
    with simulator.state.lock:
        sku_id = params.get("sku_id", "")
        current = simulator.state.stock.get(sku_id, 0)
        simulator.state.stock[sku_id] = int(quantity) if params.get("update_type", "1") == "1" else current + int(quantity)
        simulator.goods().setdefault(params.get("goods_id", ""), {}).setdefault(sku_id, "")
    return {"goods_quantity_update_response": {"is_success": True}}


def goods_information(simulator: PddSimulator, seller: str, params: dict) -> dict:
    with simulator.state.lock:
        skus = simulator.goods().get(params.get("goods_id", ""))
        if skus is None:
            raise PddError(10000, f"商品 {params.get('goods_id')} 不存在", "goods.not.exist")
        sku_list = [{"sku_id": int(sku_id), "outer_id": outer, "quantity": simulator.state.stock.get(sku_id, 0)}
                    for sku_id, outer in skus.items()]
    return {"goods_info_get_response": {"goods_info": {
        "goods_id": int(params["goods_id"]), "goods_quantity": sum(sku["quantity"] for sku in sku_list),
        "sku_list": sku_list}}}


def decrypt_batch(simulator: PddSimulator, seller: str, params: dict) -> dict:
    try:
        data_list = json.loads(params.get("data_list") or "[]")
    except ValueError as error:
        raise PddError(10000, "参数错误：data_list应为JSON数组", "param.invalid") from error
    results = []
    with simulator.state.lock:
        for item in data_list:
            order = _own_order(simulator, seller, item.get("data_tag"))
            found = simulator.state.plaintext.get(order["order_sn"], {}).get(item.get("encrypted_data"))
            if found is None:
                results.append({"data_tag": item.get("data_tag"), "encrypted_data": item.get("encrypted_data"),
                                "error_code": 20001, "decrypted_data": ""})
                continue
            simulator.state.counters["decrypted"] += 1
            results.append({"data_tag": order["order_sn"], "encrypted_data": item["encrypted_data"],
                            "data_type": found[0], "decrypted_data": found[1], "error_code": 0})
    return {"open_decrypt_batch_response": {"data_decrypt_list": results}}


METHODS = {
    "pdd.order.number.list.increment.get": increment_get,
    "pdd.order.information.get": information_get,
    "pdd.logistics.online.send": online_send,
    "pdd.order.upload.extra.logistics": upload_extra_logistics,
    "pdd.goods.quantity.update": quantity_update,
    "pdd.goods.information.get": goods_information,
    "pdd.open.decrypt.batch": decrypt_batch,
}
