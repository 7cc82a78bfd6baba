"""JD JOS simulator: ``/routerjson`` with the md5 signature over ``360buy_param_json``.

Enforced as JOS does (platform-apis §2): app key and signature, timestamp within 10 minutes, the
access token (expired → code 19), the call rate and queued throttles ("调用频率超限", code 66 — JD's
real codes are unpublished, the adapter also recognises the wording), windows of at most one month and
three months of history, page_size ≤ 100. Receiver fields are ciphertexts with ``*Mask`` twins and an
``oaid``; ``jingdong.jos.order.oaid.decrypt`` alone gives the plaintext. A refund before shipping is an
application on the whole order (``request_refund``: the order LOCKED, the application status 0) that
JD grants (status 1, the order TRADE_CANCELED) or the buyer withdraws (status 11, back to
WAIT_SELLER_STOCK_OUT) — ``settle_refund``; ``jingdong.pop.afs.soa.refundapply.queryPageList`` lists
them. The trickle does both.

After shipping, the buyer opens an after-sales service order on one SKU (``open_service``: 退货, status
10001 待审核) that JD completes with the refund (``complete_service``: 10010 完成, a refund entry with
status 13 and ``refoundAmount``) or the buyer cancels (``cancel_service``: 10011 取消); neither changes
the order. ``jingdong.asc.query.list`` lists the services (by order, or updated in a time range) and
``jingdong.asc.serviceAndRefund.view`` an order's refunds; ``POST /_sim/after_sales`` {action open /
complete / cancel, orderId, skuId | serviceId, refoundAmount} drives them over HTTP. The trickle opens
some on shipped orders and settles them.
"""

import base64
import copy
import json
from datetime import timedelta

from flask import Flask, Response, jsonify, request

from app.demo_orders import RECEIVERS
from app.domain.channels.adapters.signing import constant_time_equal, md5_wrapped
from app.money import fen_to_yuan, yuan_to_fen
from app.simulators.shop_platform import (
    CLOCK_SKEW_SECONDS,
    PlatformSimulator,
    gmt8,
    mask_detail,
    mask_name,
    mask_phone,
    now_gmt8,
    parse_gmt8,
    stand_in,
    token,
)

DEMO_APP_KEY, DEMO_APP_SECRET = "sim-jd-app", "sim-jd-secret"
DEMO_SESSIONS = {"sim-jd-token": "小满生活京东旗舰店"}
NOT_YET = "0001-01-01 00:00:00"
SHIPPABLE = {"WAIT_SELLER_STOCK_OUT", "WAIT_SELLER_DELIVERY"}
AFTER_SALES_STATES = {"WAIT_GOODS_RECEIVE_CONFIRM", "RECEIPTS_CONFIRM", "FINISHED_L"}
SERVICE_STATUS_NAMES = {"10001": "待审核", "10010": "完成", "10011": "取消"}
STATE_REMARKS = {"WAIT_SELLER_STOCK_OUT": "等待出库", "WAIT_GOODS_RECEIVE_CONFIRM": "等待确认收货",
                 "FINISHED_L": "完成", "TRADE_CANCELED": "取消", "LOCKED": "已锁定"}


class JosError(Exception):
    def __init__(self, code: str, zh_desc: str, en_desc: str = ""):
        super().__init__(zh_desc)
        self.body = {"error_response": {"code": code, "zh_desc": zh_desc, "en_desc": en_desc or zh_desc}}


#: The consignee fields JD encrypts, and what each holds (for the stand-in plaintext of a loaded one).
CIPHER_KINDS = {"fullname": "name", "mobile": "phone", "telephone": "phone", "fullAddress": "address"}
PLAIN_FIELDS = ("fullname", "mobile", "telephone", "fullAddress", "province", "city", "county", "town")
CIPHER_PREFIXES = ("ENC:", "JDE:")  # JD's TDE ciphertexts, and this simulator's own


def is_cipher(value) -> bool:
    return isinstance(value, str) and value.startswith(CIPHER_PREFIXES)


def cipher(value: str, salt: str) -> str:
    """A ciphertext stand-in: opaque to OrderHub, reversible only inside the simulator."""
    return "JDE:" + base64.b64encode(f"{token(salt, value)[:8]}:{value}".encode()).decode()


class JdSimulator(PlatformSimulator):
    name = "jd"
    default_apps = {DEMO_APP_KEY: DEMO_APP_SECRET}
    default_sessions = DEMO_SESSIONS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        #: orderId → its refund applications (refundapply.queryPageList results), oldest first.
        self.refund_applications: dict[str, list[dict]] = {}
        #: orderId → its after-sales service orders (asc.query.list results), oldest first.
        self.services: dict[str, list[dict]] = {}
        #: orderId → the refunds of its services (asc.serviceAndRefund.view results).
        self.service_refunds: dict[str, list[dict]] = {}

    def register(self, app: Flask) -> None:
        app.add_url_rule("/routerjson", "gateway", self.gateway, methods=["GET", "POST"])
        app.add_url_rule("/_sim/after_sales", "after_sales", self.after_sales_control, methods=["POST"])

    def after_sales_control(self) -> Response:
        """``POST /_sim/after_sales`` {action: open | complete | cancel, orderId, skuId (open),
        serviceId (else the order's latest), refoundAmount (complete, yuan; default the goods' price)}."""
        body = request.get_json(silent=True) or {}
        order = self.state.orders.get(str(body.get("orderId")))
        if order is None:
            return jsonify({"error": "unknown orderId"}), 404
        try:
            if body.get("action") == "open":
                service = self.open_service(order, str(body.get("skuId") or ""), now_gmt8())
            else:
                service = self._service(order["orderId"], body.get("serviceId"))
                if body.get("action") == "complete":
                    self.complete_service(order, service, now_gmt8(), body.get("refoundAmount"))
                elif body.get("action") == "cancel":
                    self.cancel_service(order, service, now_gmt8())
                else:
                    return jsonify({"error": "action: open, complete or cancel"}), 400
        except ValueError as error:
            return jsonify({"error": str(error)}), 400
        return jsonify(service)

    def gateway(self) -> Response:
        params = request.values.to_dict()
        method = params.get("method", "")
        self.state.counters[method or "?"] += 1
        self.state.stall()
        if self.state.take("fail_next"):
            return Response("Bad Gateway", status=502)
        try:
            seller = self._authenticate(params)
            handler = METHODS.get(method)
            if handler is None:
                raise JosError("22", "API不存在", "Invalid method")
            business = json.loads(params.get("360buy_param_json") or "{}")
            return jsonify({method.replace(".", "_") + "_responce": handler(self, seller, business)})
        except JosError as error:
            return jsonify(error.body)

    def _authenticate(self, params: dict) -> str:
        state = self.state
        secret = state.apps.get(params.get("app_key", ""))
        if secret is None:
            raise JosError("15", "app_key无效", "Invalid app_key")
        if not constant_time_equal(md5_wrapped(secret, params), params.get("sign", "")):
            raise JosError("23", "签名无效", "Invalid signature")
        try:
            skew = abs((now_gmt8() - parse_gmt8(params.get("timestamp", ""))).total_seconds())
        except ValueError as error:
            raise JosError("24", "时间戳格式错误", "Invalid timestamp") from error
        if skew > CLOCK_SKEW_SECONDS:
            raise JosError("24", "时间戳与服务器时间相差超过10分钟", "Invalid timestamp")
        if state.take("throttle_next") or state.over_rate():
            raise JosError("66", "调用频率超限，请稍后再试", "Call frequency exceeded")
        access_token = params.get("access_token", "")
        if access_token in state.expired or access_token not in state.sessions:
            raise JosError("19", "token已过期或被删除", "Invalid access_token")
        return state.sessions[access_token]

    # ---- orders ----------------------------------------------------------------------------------------

    def load(self, data, seller: str | None) -> int:
        if isinstance(data, dict):
            data = data.get("jingdong_pop_order_enSearch_responce", data)
            data = (data.get("searchorderinfo_result") or data).get("orderInfoList", [data])
        seller = seller or next(iter(self.state.sessions.values()))
        with self.state.lock:
            for order in data:
                self._store(copy.deepcopy(order), seller)
        return len(data)

    def _store(self, order: dict, seller: str) -> None:
        """Keep the order as JD would serve it. Plaintext receivers (the demo's own, test builders) are
        encrypted with masked twins; a real-format order's ``ENC:`` ciphertexts stay exactly as given —
        the platform knows what is behind them, so the decrypt call answers with a stand-in."""
        order_id = str(order["orderId"])
        order["orderId"] = order_id
        consignee = order.setdefault("consigneeInfo", {})
        if any(is_cipher(consignee.get(name)) for name in CIPHER_KINDS):
            self.state.plaintext[order_id] = {
                name: stand_in(CIPHER_KINDS[name], consignee[name]) if is_cipher(consignee.get(name))
                else str(consignee.get(name) or "") for name in PLAIN_FIELDS}
        elif consignee.get("fullname"):
            plain = {name: consignee.get(name, "") for name in PLAIN_FIELDS}
            self.state.plaintext[order_id] = plain
            consignee |= {
                "fullnameMask": mask_name(plain["fullname"]), "mobileMask": mask_phone(plain["mobile"]),
                "fullAddressMask": f"{plain['province']}{plain['city']}{plain['county']}"
                                   f"{mask_detail(plain['fullAddress'])}",
            }
            for name in CIPHER_KINDS:
                consignee[name] = cipher(plain[name], order_id) if plain[name] else ""
        # Every JD order carries its OAID (the decrypt call's key), real-format files included.
        order["oaid"] = order.get("oaid") or token(order_id, seller, consignee.get("fullname"), prefix="oaid")
        self.state.orders[order_id] = order
        self.state.sellers[order_id] = seller
        for item in order.get("itemInfoList", []):
            self.state.stock.setdefault(str(item.get("skuId")), 100)

    def new_order(self, seller: str, now) -> dict:
        rng = self.rng
        receiver = rng.choice(RECEIVERS)
        items, goods = [], 0
        for index in rng.sample(range(len(self.catalog)), rng.choice((1, 1, 2))):
            code, title, price = self.catalog[index]
            count = rng.choice((1, 1, 2))
            ware_id, sku_id = self.listing_key(index)
            goods += price * count
            items.append({"skuId": sku_id, "outerSkuId": code, "wareId": ware_id, "skuName": title,
                          "jdPrice": fen_to_yuan(price), "itemTotal": str(count)})
        freight = 0 if goods >= 9900 else 600
        order = {"orderId": self.next_id(300_000_000_000), "venderId": "10001", "orderType": "22", "payType": "4",
                 "orderState": "WAIT_SELLER_STOCK_OUT", "orderStateRemark": STATE_REMARKS["WAIT_SELLER_STOCK_OUT"],
                 "orderTotalPrice": fen_to_yuan(goods), "orderSellerPrice": fen_to_yuan(goods),
                 "orderPayment": fen_to_yuan(goods + freight), "freightPrice": fen_to_yuan(freight),
                 "sellerDiscount": "0.00", "orderStartTime": gmt8(now), "paymentConfirmTime": gmt8(now),
                 "orderEndTime": NOT_YET, "modified": gmt8(now), "orderRemark": "", "venderRemark": "",
                 "waybill": "", "logisticsId": "", "pin": f"jd_{rng.randint(1000, 9999)}***",
                 "consigneeInfo": {"fullname": receiver.name, "mobile": receiver.phone, "telephone": "",
                                   "fullAddress": receiver.address, "province": receiver.province.rstrip("省市"),
                                   "city": receiver.city, "county": receiver.district, "town": ""},
                 "itemInfoList": items}
        with self.state.lock:
            self._store(order, seller)
        return order

    def advance(self, order_id: str, now) -> bool:
        order = self.state.orders[order_id]
        age = now - parse_gmt8(order["modified"])
        state, chance = order["orderState"], self.rng.random()
        pending = self.pending_refund(order_id)
        open_service = self.open_service_of(order_id)
        if open_service is not None:  # JD completes it with the refund, or the buyer cancels it
            if chance < 0.6:
                self.complete_service(order, open_service, now)
            else:
                self.cancel_service(order, open_service, now)
        elif state in AFTER_SALES_STATES and not self.services.get(order_id) and chance < 0.1:
            self.open_service(order, self.rng.choice(order["itemInfoList"])["skuId"], now)
        elif state == "LOCKED" and pending is not None:
            self.settle_refund(order, granted=chance < 0.6, now=now)  # JD's review, or the buyer withdraws
        elif state in SHIPPABLE and age > timedelta(minutes=1) and chance < 0.08:
            self.request_refund(order, now)  # the buyer asks for a refund before it ships: JD locks it
        elif state in SHIPPABLE and age > timedelta(minutes=3) and chance < 0.1:
            self._set(order, "TRADE_CANCELED", now)
        elif state == "WAIT_GOODS_RECEIVE_CONFIRM" and age > timedelta(minutes=2):
            self._set(order, "FINISHED_L", now)
            order["orderEndTime"] = gmt8(now)
        else:
            return False
        return True

    def _set(self, order: dict, state: str, now) -> None:
        order["orderState"], order["modified"] = state, gmt8(now)
        order["orderStateRemark"] = STATE_REMARKS.get(state, state)

    # ---- refunds before shipping (an application on the whole order) -----------------------------------

    def request_refund(self, order: dict, now, reason: str = "不想要了") -> dict:
        """The buyer applies for a refund before shipping: an application (status 0, 未审核) for what was
        paid, and the order LOCKED while JD reviews it."""
        with self.state.lock:
            application = {"id": self.next_id(70_000_000_000), "orderId": order["orderId"],
                           "buyerId": order.get("pin", ""), "buyerName": order.get("pin", ""),
                           "applyTime": gmt8(now), "checkTime": "", "checkUserName": "",
                           "applyRefundSum": order["orderPayment"], "status": "0", "reason": reason}
            self.refund_applications.setdefault(order["orderId"], []).append(application)
            self._set(order, "LOCKED", now)
        return application

    def settle_refund(self, order: dict, granted: bool, now) -> None:
        """JD grants the application (审核通过, then the order is cancelled: the refund) or the buyer
        withdraws it (用户撤销: the order is released to ship)."""
        with self.state.lock:
            application = self.pending_refund(order["orderId"])
            if application is None:
                return
            application["status"], application["checkTime"] = ("1" if granted else "11"), gmt8(now)
            application["checkUserName"] = "jd_audit" if granted else ""
            self._set(order, "TRADE_CANCELED" if granted else "WAIT_SELLER_STOCK_OUT", now)
            if granted:
                order["orderEndTime"] = gmt8(now)

    def pending_refund(self, order_id: str) -> dict | None:
        applications = self.refund_applications.get(str(order_id)) or []
        return applications[-1] if applications and applications[-1]["status"] == "0" else None

    # ---- after-sales after shipping (a service order on one SKU) ----------------------------------------

    def open_service(self, order: dict, sku_id: str, now, expect: int = 10) -> dict:
        """The buyer opens an after-sales service order (退货 by default) on one SKU of a shipped order:
        status 10001 待审核. The order itself does not change."""
        if order["orderState"] not in AFTER_SALES_STATES:
            raise ValueError(f"订单状态为{order.get('orderStateRemark') or order['orderState']}，不能申请售后")
        item = next((each for each in order.get("itemInfoList", []) if str(each.get("skuId")) == str(sku_id)), None)
        if item is None:
            raise ValueError(f"订单中没有商品 {sku_id}")
        stamp = _millis(now)
        with self.state.lock:
            service = {"serviceId": self.next_id(80_000_000_000), "applyId": self.next_id(81_000_000_000),
                       "orderId": order["orderId"], "orderType": int(order.get("orderType") or 22),
                       "skuId": str(sku_id), "wareName": item.get("skuName", ""), "wareType": 10,
                       "serviceCount": int(item.get("itemTotal") or 1), "customerExpect": expect,
                       "customerExpectName": {10: "退货", 20: "换货", 30: "维修", 11: "仅退款"}.get(expect, ""),
                       "customerPin": order.get("pin", ""), "applyTime": stamp, "updateDate": stamp}
            self._set_service(service, "10001", stamp)
            self.services.setdefault(order["orderId"], []).append(service)
        return service

    def complete_service(self, order: dict, service: dict, now, refund_yuan=None) -> dict:
        """JD completes the service with the refund (status 13 成功): ``refund_yuan`` or the goods' price."""
        item = next(each for each in order["itemInfoList"] if str(each.get("skuId")) == service["skuId"])
        amount = refund_yuan if refund_yuan is not None else fen_to_yuan(
            yuan_to_fen(item["jdPrice"]) * int(service["serviceCount"]))
        stamp = _millis(now)
        with self.state.lock:
            refund = {"afsRefundId": self.next_id(82_000_000_000), "refoundAmount": str(amount), "status": 13,
                      "completeTime": stamp,
                      "sameOrderServiceBill": {"serviceId": service["serviceId"], "afsApplyId": service["applyId"],
                                               "orderId": order["orderId"], "wareId": item.get("wareId", ""),
                                               "wareName": service["wareName"], "afsApplyTime": service["applyTime"],
                                               "approveDate": stamp, "customerPin": service["customerPin"],
                                               "applyReason": "七天无理由退货"}}
            self.service_refunds.setdefault(order["orderId"], []).append(refund)
            self._set_service(service, "10010", stamp)
        return refund

    def cancel_service(self, order: dict, service: dict, now) -> None:
        """The buyer cancels the service (10011 取消): nothing is refunded."""
        with self.state.lock:
            self._set_service(service, "10011", _millis(now))

    def open_service_of(self, order_id: str) -> dict | None:
        services = self.services.get(str(order_id)) or []
        return services[-1] if services and services[-1]["serviceStatus"] == 10001 else None

    def _service(self, order_id: str, service_id) -> dict:
        services = self.services.get(str(order_id)) or []
        found = [each for each in services if not service_id or each["serviceId"] == str(service_id)]
        if not found:
            raise ValueError(f"订单 {order_id} 没有售后服务单 {service_id or ''}".strip())
        return found[-1]

    @staticmethod
    def _set_service(service: dict, status: str, stamp: int) -> None:
        service["serviceStatus"], service["serviceStatusName"] = int(status), SERVICE_STATUS_NAMES[status]
        service["updateDate"] = stamp


def _own_order(simulator: JdSimulator, seller: str, order_id) -> dict:
    order = simulator.state.orders.get(str(order_id))
    if order is None or simulator.state.sellers.get(str(order_id)) != seller:
        raise JosError("10400001", f"订单 {order_id} 不存在", "Order not found")
    return order


def en_search(simulator: JdSimulator, seller: str, query: dict) -> dict:
    try:
        start, end = parse_gmt8(query["start_date"]), parse_gmt8(query["end_date"])
    except (KeyError, ValueError) as error:
        raise JosError("34", "start_date、end_date格式应为yyyy-MM-dd HH:mm:ss", "Invalid date") from error
    if end - start > timedelta(days=31):
        raise JosError("34", "查询时间间隔不能超过一个月", "Date range too long")
    if start < now_gmt8() - timedelta(days=90):
        raise JosError("34", "只能查询三个月内的订单", "Only the last three months")
    page, size = int(query.get("page", 1)), int(query.get("page_size", 20))
    if not 1 <= size <= 100:
        raise JosError("34", "page_size取值范围为1到100", "Invalid page_size")
    states = set(filter(None, str(query.get("order_state", "")).split(",")))
    with simulator.state.lock:
        found = [order for order_id, order in simulator.state.orders.items()
                 if simulator.state.sellers[order_id] == seller and start <= parse_gmt8(order["modified"]) <= end
                 and (not states or order["orderState"] in states)]
        found.sort(key=lambda order: (order["modified"], order["orderId"]), reverse=str(query.get("sortType")) == "1")
        page_items = copy.deepcopy(found[(page - 1) * size: page * size])
    return {"searchorderinfo_result": {"apiResult": {"success": True, "code": "0"}, "orderTotal": len(found),
                                       "orderInfoList": page_items}}


def en_get(simulator: JdSimulator, seller: str, query: dict) -> dict:
    with simulator.state.lock:
        order = copy.deepcopy(_own_order(simulator, seller, query.get("order_id")))
    return {"orderDetailInfo": {"apiResult": {"success": True, "code": "0"}, "orderInfo": order}}


def shipment(simulator: JdSimulator, seller: str, query: dict) -> dict:
    with simulator.state.lock:
        order = _own_order(simulator, seller, query.get("order_id"))
        waybill = str(query.get("waybill", ""))
        if order["orderState"] not in SHIPPABLE:
            if order.get("waybill") == waybill:
                return {"sopjosshipment_result": {"success": True, "chineseErrCode": "重复发货，已忽略"}}
            return {"sopjosshipment_result": {"success": False, "errorCode": "10100",
                                              "chineseErrCode": f"订单状态为{order['orderStateRemark']}，不能出库"}}
        now = now_gmt8()
        simulator._set(order, "WAIT_GOODS_RECEIVE_CONFIRM", now)
        order["waybill"], order["logisticsId"] = waybill, str(query.get("logistics_id", ""))
        simulator.state.shipments[order["orderId"]] = {"logistics_id": order["logisticsId"], "waybill": waybill,
                                                      "at": gmt8(now)}
    return {"sopjosshipment_result": {"success": True}}


def update_stock(simulator: JdSimulator, seller: str, query: dict) -> dict:
    count = query.get("stockNum")
    if not isinstance(count, int) or count < 0:
        return {"success": False, "message": "stockNum应为非负整数"}
    with simulator.state.lock:
        simulator.state.stock[str(query.get("skuId"))] = count
    return {"success": True}


def read_stock(simulator: JdSimulator, seller: str, query: dict) -> dict:
    with simulator.state.lock:
        count = simulator.state.stock.get(str(query.get("skuId")))
    if count is None:
        raise JosError("10400002", f"SKU {query.get('skuId')} 不存在", "SKU not found")
    return {"skuId": str(query.get("skuId")), "stockNum": count}


def oaid_decrypt(simulator: JdSimulator, seller: str, query: dict) -> dict:
    request_vo = query.get("getReceiverInfoListReqVO") or {}
    if not request_vo.get("scenesType"):
        raise JosError("34", "缺少解密场景 scenesType", "Missing scenesType")
    receivers = []
    for item in request_vo.get("orderInfos") or []:
        order = _own_order(simulator, seller, item.get("orderId"))
        plain = simulator.state.plaintext.get(order["orderId"])
        if plain is None or order.get("oaid") != item.get("oaid"):
            raise JosError("34", "oaid与订单不匹配", "oaid mismatch")
        simulator.state.counters["decrypted"] += 1
        receivers.append({"orderId": order["orderId"], "fullName": plain["fullname"], "mobile": plain["mobile"],
                          "province": plain["province"], "city": plain["city"], "county": plain["county"],
                          "town": plain["town"], "address": plain["fullAddress"]})
    return {"returnType": {"success": True, "data": {"receiverInfoList": receivers}}}


def refund_applications(simulator: JdSimulator, seller: str, query: dict) -> dict:
    """jingdong.pop.afs.soa.refundapply.queryPageList: the shop's refund applications, by order or ids."""
    page, size = int(query.get("pageIndex") or 1), int(query.get("pageSize") or 10)
    if not 1 <= size <= 50 or page < 1:
        raise JosError("34", "pageSize取值范围为1到50", "Invalid pageSize")
    wanted_ids = set(filter(None, str(query.get("ids") or "").split(",")))
    with simulator.state.lock:
        if query.get("orderId"):
            _own_order(simulator, seller, query["orderId"])
        found = [application for order_id, applications in simulator.refund_applications.items()
                 if simulator.state.sellers.get(order_id) == seller for application in applications
                 if (not query.get("orderId") or order_id == str(query["orderId"]))
                 and (not wanted_ids or application["id"] in wanted_ids)
                 and (query.get("status") in (None, "") or application["status"] == str(query["status"]))]
        page_items = copy.deepcopy(found[(page - 1) * size: page * size])
    return {"queryResult": {"success": True, "errorCode": "", "errorMsg": "", "totalCount": len(found),
                            "pageIndex": page, "pageSize": size, "result": page_items}}


def service_list(simulator: JdSimulator, seller: str, query: dict) -> dict:
    """jingdong.asc.query.list: the shop's after-sales services, by order, service or update time."""
    page, size = int(query.get("pageNumber") or 1), int(query.get("pageSize") or 10)
    if not 1 <= size <= 50 or page < 1:
        raise JosError("34", "pageSize取值范围为1到50", "Invalid pageSize")
    if not query.get("operatePin"):
        raise JosError("34", "缺少操作人 operatePin", "Missing operatePin")
    try:
        begin = _millis(parse_gmt8(query["updateTimeBegin"])) if query.get("updateTimeBegin") else None
        end = _millis(parse_gmt8(query["updateTimeEnd"])) if query.get("updateTimeEnd") else None
    except ValueError as error:
        raise JosError("34", "时间格式应为yyyy-MM-dd HH:mm:ss", "Invalid date") from error
    with simulator.state.lock:
        if query.get("orderId"):
            _own_order(simulator, seller, query["orderId"])
        found = [service for order_id, services in simulator.services.items()
                 if simulator.state.sellers.get(order_id) == seller for service in services
                 if (not query.get("orderId") or order_id == str(query["orderId"]))
                 and (not query.get("serviceId") or service["serviceId"] == str(query["serviceId"]))
                 and (begin is None or service["updateDate"] >= begin) and (end is None or service["updateDate"] <= end)]
        page_items = copy.deepcopy(found[(page - 1) * size: page * size])
    return {"code": "0", "pageResult": {"success": True, "code": "0", "msg": "", "totalCount": len(found),
                                        "pageNumber": page, "pageSize": size, "data": page_items}}


def service_refunds(simulator: JdSimulator, seller: str, query: dict) -> dict:
    """jingdong.asc.serviceAndRefund.view: an order's after-sales services with their refunds."""
    page, size = int(query.get("pageNumber") or 1), int(query.get("pageSize") or 10)
    if not 1 <= size <= 50 or page < 1:
        raise JosError("34", "pageSize取值范围为1到50", "Invalid pageSize")
    with simulator.state.lock:
        _own_order(simulator, seller, query.get("orderId"))
        found = simulator.service_refunds.get(str(query["orderId"])) or []
        page_items = copy.deepcopy(found[(page - 1) * size: page * size])
    return {"pageResult": {"success": True, "code": "0", "msg": "", "totalCount": len(found), "pageNumber": page,
                           "pageSize": size, "data": page_items}}


def vender_info(simulator: JdSimulator, seller: str, query: dict) -> dict:
    """jingdong.seller.vender.info.get: the shop behind the token."""
    return {"vender_info_result": {"vender_id": "10001", "shop_name": seller}}


def _millis(moment) -> int:
    return int(moment.timestamp() * 1000)


METHODS = {
    "jingdong.pop.order.enSearch": en_search,
    "jingdong.pop.order.enGet": en_get,
    "jingdong.pop.order.shipment": shipment,
    "jingdong.stock.write.updateSkuStock": update_stock,
    "jingdong.stock.read.findSkuStock": read_stock,
    "jingdong.jos.order.oaid.decrypt": oaid_decrypt,
    "jingdong.pop.afs.soa.refundapply.queryPageList": refund_applications,
    "jingdong.asc.query.list": service_list,
    "jingdong.asc.serviceAndRefund.view": service_refunds,
    "jingdong.seller.vender.info.get": vender_info,
}
