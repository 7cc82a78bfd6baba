"""JD POP (京东宙斯 JOS).

Protocol (platform-apis §2): POST form to ``/routerjson``, system params ``method app_key access_token
timestamp v format sign``, every business param inside one compact JSON string ``360buy_param_json``
that is signed byte-identical to what is sent; the signature is TOP's md5 scheme. Orders are pulled
with ``jingdong.pop.order.enSearch`` by modified time (``dateType`` 0), windows of at most one month,
pages computed from ``orderTotal`` and walked from the last backwards; the list carries full orders
(``optional_fields``), ``jingdong.pop.order.enGet`` fetches one. JD's push needs JD's own cloud: JD
shops are pulled every minute.

Errors: ``error_response`` {code, zh_desc, en_desc}; the throttle and token codes are not published
(platform-apis [L]), so both are recognised by code *or* wording and kept in the sets below.

Status mapping:

| JD orderState | meaning | stage |
|---|---|---|
| WAIT_SELLER_STOCK_OUT, WAIT_SELLER_DELIVERY, WAIT_SEND_CODE | paid (or COD accepted), to ship | paid |
| WAIT_GOODS_RECEIVE_CONFIRM, SEND_TO_DISTRIBUTION_CENER, DISTRIBUTION_CENTER_RECEIVED | shipped | shipped |
| RECEIPTS_CONFIRM | receipt confirmed | signed |
| FINISHED_L | completed | completed |
| TRADE_CANCELED | cancelled (a refund when it had been paid) | cancelled |
| LOCKED, PAUSE, POP_ORDER_PAUSE | locked / paused by JD: do not ship | hold |

Fields: money in yuan strings; times GMT+8 text, ``0001-01-01 00:00:00`` meaning "not yet"; receiver
name, phones and address encrypted (ciphertexts and ``oaid`` kept on the channel side, decrypted by
``jingdong.jos.order.oaid.decrypt``) with masked twins ``*Mask`` for display [L: names are ours];
merchant code ``outerSkuId``; waybills "carrier|carrier", numbers "n1,n2": the first one is used.
"""

from collections.abc import Iterator
from datetime import datetime, timedelta

from app.db import utcnow
from app.domain.channels.adapters.base import (
    ChannelAdapter,
    ListEntry,
    Listing,
    PlainReceiver,
    PlatformError,
    PullPage,
    RawOrder,
    ShipmentCall,
    ShippedParcel,
    ThrottledError,
    TokenExpiredError,
    TransientError,
    compact_json,
    gmt8_text,
    parse_gmt8,
)
from app.domain.channels.adapters.signing import md5_wrapped
from app.text import N_

ORDER_STATES = ("WAIT_SELLER_STOCK_OUT,WAIT_SELLER_DELIVERY,WAIT_SEND_CODE,WAIT_GOODS_RECEIVE_CONFIRM,"
                "SEND_TO_DISTRIBUTION_CENER,DISTRIBUTION_CENTER_RECEIVED,RECEIPTS_CONFIRM,FINISHED_L,"
                "TRADE_CANCELED,LOCKED,PAUSE,POP_ORDER_PAUSE")
OPTIONAL_FIELDS = ("orderId,venderId,orderType,payType,orderState,orderStateRemark,orderTotalPrice,"
                   "orderSellerPrice,orderPayment,freightPrice,sellerDiscount,orderStartTime,paymentConfirmTime,"
                   "orderEndTime,modified,orderRemark,venderRemark,waybill,logisticsId,pin,consigneeInfo,"
                   "itemInfoList,oaid,invoiceInfo,invoiceCode,invoiceEasyInfo,couponDetailList,balanceUsed")
TOKEN_CODES = {"19", "20"}
THROTTLE_CODES = {"66", "90"}
THROTTLE_WORDS = ("频率", "限流", "超限", "too many")

STATUSES = {
    "WAIT_SELLER_STOCK_OUT": "paid", "WAIT_SELLER_DELIVERY": "paid", "WAIT_SEND_CODE": "paid",
    "WAIT_GOODS_RECEIVE_CONFIRM": "shipped", "SEND_TO_DISTRIBUTION_CENER": "shipped",
    "DISTRIBUTION_CENTER_RECEIVED": "shipped", "RECEIPTS_CONFIRM": "signed", "FINISHED_L": "completed",
    "TRADE_CANCELED": "cancelled", "LOCKED": "hold", "PAUSE": "hold", "POP_ORDER_PAUSE": "hold",
}
#: Refunds before shipping (issue 12). On JD POP a buyer's refund before shipping is an application on
#: the whole order, not on a line: the order turns ``LOCKED`` while it waits, and the applications are
#: read with ``jingdong.pop.afs.soa.refundapply.queryPageList`` (``orderId``; results {``id``,
#: ``orderId``, ``status``, ``applyRefundSum``, ``applyTime``, ``checkTime``, ``reason`` …}). A granted
#: one is carried out by JD cancelling the order (``TRADE_CANCELED``: the status table's refund of what
#: was paid, every line's stock released); a withdrawn or refused one puts the order back to
#: ``WAIT_SELLER_STOCK_OUT``. After shipping, JD's after-sales are per SKU in its after-sales service
#: APIs, not on the order: not read here (the order's own state still drives it). Sources: the JOS SDK
#: request ``PopAfsSoaRefundapplyQueryPageListRequest`` (seven_jd package: ids, status, orderId,
#: pageIndex, pageSize, showSku …) and the older ``refundapply.querylist`` result
#: (starpeng/JdSdk2 ``RefundapplySaf/QueryMap.cs``: id, apply_refund_sum, status, order_id …) [H for
#: the method and fields]; platform-apis §2.3 for ``LOCKED`` [H]; the status values below [M, JOS
#: doc text as ERPs copy it]. Decision: for a LOCKED order the adapter reads its applications and keeps
#: them in the stored payload under ``refundApply`` (the only key it adds), and the mapping reads the
#: latest one's status for every line (``^refundApply.-1.status``), so the hold names the goods and
#: JD's status; a pending or approved application is a request (the grant is the cancellation), a
#: refused, failed-interception or withdrawn one is none. The amount is not mapped: the whole payment
#: is refunded with the cancellation.
#: status: 0 未审核, 1 审核通过, 3 京东财务审核通过, 5 人工审核通过, 6 拦截并退款, 7 青龙拦截成功,
#: 9 强制关单并退款, 10 物流待跟进 — under way; 2 审核不通过, 4 京东财务审核不通过, 8 青龙拦截失败,
#: 11 用户撤销 — ended.
LINE_REFUNDS = {"0": "requested", "1": "requested", "3": "requested", "5": "requested", "6": "requested",
                "7": "requested", "9": "requested", "10": "requested", "2": "none", "4": "none", "8": "none",
                "11": "none"}
REFUND_METHOD = "jingdong.pop.afs.soa.refundapply.queryPageList"
REFUND_KEY = "refundApply"

#: JD carrier ids (logisticsId) ↔ our carrier codes. [L] JD's numbering: edit per shop in the mapping.
CARRIER_CODES = {"shunfeng": "467", "zhongtong": "1499", "yuantong": "463", "shentong": "470", "yunda": "1327",
                 "jd": "2087", "ems": "465"}

DEFAULT_MAPPING = {
    "external_id": "orderId", "status": "orderState", "modified": "modified", "created": "orderStartTime",
    "paid_at": "paymentConfirmTime", "time_format": "gmt8", "money": "yuan",
    "payment": "orderPayment", "shipping": "freightPrice", "goods_total": "orderTotalPrice", "buyer_name": "pin", "remark": "orderRemark",
    "receiver": {"name": "consigneeInfo.fullnameMask", "phone": "consigneeInfo.mobileMask|consigneeInfo.telephoneMask",
                 "province": "consigneeInfo.province", "city": "consigneeInfo.city|consigneeInfo.county",
                 "district": "consigneeInfo.county", "address": "consigneeInfo.fullAddressMask",
                 "town": "consigneeInfo.town"},
    "pii": {"oaid": "oaid", "fullname": "consigneeInfo.fullname", "mobile": "consigneeInfo.mobile",
            "telephone": "consigneeInfo.telephone", "fullAddress": "consigneeInfo.fullAddress"},
    "lines": {"path": "itemInfoList", "code": "outerSkuId|skuId", "quantity": "itemTotal", "unit_price": "jdPrice",
              "title": "skuName", "item_id": "wareId", "platform_sku_id": "skuId",
              "refund_status": "^refundApply.-1.status"},
    "line_refunds": LINE_REFUNDS,
    "discounts": {"seller": "sellerDiscount"},
    "invoice": {"info": "invoiceInfo", "tax_id": "invoiceCode"},
    "waybill": {"number": "waybill", "carrier": "logisticsId"},
    "statuses": STATUSES,
    "carriers": {value: ours for ours, value in CARRIER_CODES.items()},
}


class JdAdapter(ChannelAdapter):
    platform = "jd"
    gateway_setting = "JD_GATEWAY_URL"
    default_gateway = "https://api.jd.com/routerjson"
    max_window = timedelta(days=30)
    DEFAULT_MAPPING = DEFAULT_MAPPING
    CARRIER_CODES = CARRIER_CODES

    def _send(self, method: str, params: dict) -> dict:
        data = {"method": method, "app_key": self.credentials.app_key,
                "access_token": self.credentials.access_token, "timestamp": gmt8_text(utcnow()),
                "v": "2.0", "format": "json", "360buy_param_json": compact_json(params)}
        data["sign"] = md5_wrapped(self.credentials.app_secret, data)
        body = self._post(data)
        if "error_response" in body:
            raise classify(body["error_response"])
        return body[method.replace(".", "_") + "_responce"]

    def list_window(self, start: datetime, end: datetime) -> Iterator[PullPage]:
        query = {"start_date": gmt8_text(start), "end_date": gmt8_text(end), "order_state": ORDER_STATES,
                 "optional_fields": OPTIONAL_FIELDS, "dateType": 0, "sortType": 1}

        def search(page: int, size: int) -> dict:
            result = self.call("jingdong.pop.order.enSearch", query | {"page": str(page), "page_size": str(size)})
            found = result["searchorderinfo_result"]
            _check_api_result(found)
            return found

        def fetch(page: int, size: int):
            found = search(page, size)
            total = int(found.get("orderTotal") or 0)
            return found.get("orderInfoList") or [], total, page * size < total

        for number, orders in self.pages_backwards(fetch, lambda: int(search(1, 1).get("orderTotal") or 0)):
            for order in orders:
                self._add_refund_applications(order)
            yield PullPage(number, [ListEntry(str(o["orderId"]), parse_gmt8(o.get("modified")), o) for o in orders])

    def fetch_order(self, external_id: str) -> RawOrder:
        result = self.call("jingdong.pop.order.enGet", {"order_id": external_id, "optional_fields": OPTIONAL_FIELDS})
        info = result["orderDetailInfo"]
        _check_api_result(info)
        order = info["orderInfo"]
        self._add_refund_applications(order)
        return RawOrder(str(order["orderId"]), parse_gmt8(order.get("modified")), order)

    def _add_refund_applications(self, order: dict) -> None:
        """A LOCKED order's refund applications, as JD lists them, kept in its payload (see LINE_REFUNDS)."""
        if order.get("orderState") != "LOCKED" or REFUND_KEY in order:
            return
        result = self.call(REFUND_METHOD, {"orderId": str(order["orderId"]), "pageIndex": 1, "pageSize": 50})
        found = result.get("queryResult") or {}
        if found and found.get("success") is False:
            raise PlatformError(str(found.get("errorCode", "refundapply")), str(found.get("errorMsg") or ""))
        applications = sorted(found.get("result") or [], key=lambda each: (str(each.get("applyTime") or ""),
                                                                          str(each.get("id") or "")))
        if applications:
            order[REFUND_KEY] = applications

    def push_shipment(self, external_id: str, carrier: str, waybill_no: str) -> dict:
        result = self.call("jingdong.pop.order.shipment",
                           {"order_id": external_id, "logistics_id": carrier, "waybill": waybill_no})
        answer = result["sopjosshipment_result"]
        if not answer.get("success"):
            raise PlatformError(str(answer.get("errorCode", "shipment")), str(answer.get("chineseErrCode", N_("发货失败"))))
        return answer

    def shipment_calls(self, external_id: str, parcels: list[ShippedParcel]) -> list[ShipmentCall]:
        """Every parcel in one shipment call: JD's waybill field joins one carrier's numbers with ``,``
        and carriers with ``|`` (platform-apis, JD logistics fields); the carriers' ids are joined the same way."""
        numbers: dict[str, list[str]] = {}
        for parcel in parcels:
            numbers.setdefault(parcel.carrier, []).append(parcel.waybill_no)
        carriers, waybills = "|".join(numbers), "|".join(",".join(found) for found in numbers.values())
        return [ShipmentCall(tuple(parcel.waybill_no for parcel in parcels), "jingdong.pop.order.shipment",
                             lambda: self.push_shipment(external_id, carriers, waybills))]

    def push_stock(self, listing: Listing, quantity: int) -> dict:
        result = self.call("jingdong.stock.write.updateSkuStock",
                           {"skuId": listing.platform_sku_id, "stockNum": quantity})
        if not result.get("success"):
            raise PlatformError("stock", str(result.get("message", N_("库存更新失败"))))
        return result

    def read_stock(self, listing: Listing) -> int:
        result = self.call("jingdong.stock.read.findSkuStock", {"skuId": listing.platform_sku_id})
        return int(result.get("stockNum") or 0)

    def decrypt_receiver(self, external_id: str, pii_tokens: dict, scene: str) -> PlainReceiver:
        request = {"getReceiverInfoListReqVO": {
            "orderType": "POP", "appName": "OrderHub", "scenesType": scene,
            "orderInfos": [{"orderId": external_id, "oaid": pii_tokens.get("oaid", "")}]}}
        result = self.call("jingdong.jos.order.oaid.decrypt", request)
        receivers = ((result.get("returnType") or {}).get("data") or {}).get("receiverInfoList") or []
        if not receivers:
            raise PlatformError("decrypt_empty", N_("平台没有返回收件人信息"))
        found = receivers[0]
        return PlainReceiver(found.get("fullName", ""), found.get("mobile", ""), found.get("province", ""),
                             found.get("city", ""), found.get("county", ""),
                             " ".join(part for part in (found.get("town"), found.get("address")) if part))


def _check_api_result(result: dict) -> None:
    api = result.get("apiResult") or {}
    if api and not api.get("success", True):
        raise PlatformError(str(api.get("code", "")), str(api.get("chineseErrCode") or api.get("englishErrCode") or ""))


def classify(error: dict) -> PlatformError:
    code = str(error.get("code", ""))
    message = str(error.get("zh_desc") or error.get("en_desc") or "")
    english = str(error.get("en_desc") or "").lower()
    if code in THROTTLE_CODES or any(word in message or word in english for word in THROTTLE_WORDS):
        return ThrottledError(code, message)
    if code in TOKEN_CODES or "token" in english:
        return TokenExpiredError(code, message or N_("授权已过期"))
    if code.startswith("5") or "服务不可用" in message or "超时" in message:
        return TransientError(code, message)
    return PlatformError(code, message)
