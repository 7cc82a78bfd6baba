"""JD POP (京东宙斯 JOS).

Protocol (platform-apis §2): POST form to ``/routerjson``, system params ``method app_key access_token
timestamp v format sign``, every business param inside one compact JSON string ``360buy_param_json``
that is signed byte-identical to what is sent; the signature is TOP's md5 scheme. Orders are pulled
with ``jingdong.pop.order.enSearch`` by modified time (``dateType`` 0), windows of at most one month,
pages computed from ``orderTotal`` and walked from the last backwards; the list carries full orders
(``optional_fields``), ``jingdong.pop.order.enGet`` fetches one. JD's push needs JD's own cloud: JD
shops are pulled every minute. Refund applications before shipping and after-sales service orders
after it are read beside the order and kept in its payload (LINE_REFUNDS, AFTER_SALES below).

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
#: ``WAIT_SELLER_STOCK_OUT``. After shipping, JD's after-sales are per SKU service orders (see
#: AFTER_SALES below). Sources: the JOS SDK
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

#: After-sales after shipping (issue 12). Once goods are shipped a JD buyer opens an after-sales service
#: order (售后服务单: 退货 / 换货 / 维修 / 仅退款) on one SKU of the order; it does not change the order's
#: ``orderState`` nor, as far as the sources show, its ``modified`` [L]. Read with
#: ``jingdong.asc.query.list`` (商家售后 ASC: ``buId`` the vendor id, ``operatePin``/``operateNick``,
#: ``orderId`` or ``updateTimeBegin``/``updateTimeEnd``, ``pageNumber``/``pageSize``; answer
#: ``pageResult`` {``totalCount``, ``data``: [{``serviceId``, ``applyId``, ``orderId``, ``skuId``,
#: ``wareName``, ``serviceCount``, ``customerExpect`` (10 退货, 20 换货, 30 维修, 11 仅退款 …),
#: ``serviceStatus``, ``serviceStatusName``, ``applyTime``, ``updateDate`` …}]}) and the money with
#: ``jingdong.asc.serviceAndRefund.view`` (``orderId``; ``pageResult.data``: [{``afsRefundId``,
#: ``refoundAmount`` (JD's spelling, yuan [M]), ``completeTime``, ``status`` 13 成功 / 14 失败 / others
#: under way, ``sameOrderServiceBill`` {``serviceId``, ``orderId``, ``wareId`` …}}]). Sources [H for the
#: methods, M for the fields and codes]: repo pypi-data/pypi-mirror-377
#: ``packages/seven-jd/seven_jd-1.0.17-py3-none-any.whl/seven_jd/jd/api/rest/AscQueryListRequest.py``
#: (the request fields); repo zeasin/qihangerp-sdk
#: ``open-sdk/src/main/java/cn/qihangerp/open/jd/JdAfterSaleApiHelper.java`` (the call, and
#: ``jingdong_asc_query_list_responce.pageResult.totalCount/data``), ``…/open/jd/model/AfterSale.java``
#: (the list's fields) and ``api/src/main/java/cn/qihangerp/api/domain/OmsJdAfterSale.java`` (the
#: serviceStatus and customerExpect codes as JD's doc lists them); repo rise-worlds/jos
#: ``api/asc/serviceAndRefundView.go`` (serviceAndRefund.view's request and answer, refund status 13/14);
#: repo starpeng/JdSdk2 ``Source/JdSdk/response/seller/VenderInfoResult.cs`` (vender.info.get's
#: ``vender_info_result.vender_id``).
#: Decision: for a shipped, signed or completed order (AFTER_SALES_STATES) the adapter asks the service
#: list by ``orderId`` whenever it reads the order (list page or detail) and keeps it in the stored
#: payload under ``ascServices``, oldest first; when there are any, it asks serviceAndRefund.view by
#: ``orderId`` and puts each finished refund (status 13 or 14) on its service under ``refund`` (the
#: only keys it adds). Since a new service leaves the order's modified time alone, every pull window
#: also lists the services updated in it (``updateTimeBegin``/``End``, the shop's ``buId`` from
#: ``jingdong.seller.vender.info.get``) and reads each order they name that the window's own pages did
#: not carry. The mapping reads the line's latest service by JD ``skuId``
#: (``ascServices[skuId=skuId]``): its refund's status when it has one, else the service's status; the
#: refund's ``refoundAmount`` is the line's refunded amount. A service naming a SKU the order does not
#: have is an error naming it (mapping), nothing applied. JD's ``serviceCount`` (part of a line) is not
#: used: a granted service refunds the line's remaining quantity with JD's amount.
#: serviceStatus: 10000 待审核领取, 10001 待审核, 10002 待客户反馈, 10005 待收货, 10006 待处理领取,
#: 10007 待处理, 10009 待用户确认, 10012 客户已反馈, 10013 待审核和待客户反馈, 10041 提交退款申请,
#: 1100 待下发维修中心接单, 12000 上门维修中, 13000 待收款, 14000 上门检测中 — requested; 10004 审核关闭,
#: 10011 取消 — none (withdrawn or refused); 10010 完成 with no refund — none (an exchange or repair
#: done). Refund status 13 成功 — granted; 14 失败 — requested (still owed: it stays in after-sales).
AFTER_SALES = dict.fromkeys(("10000", "10001", "10002", "10005", "10006", "10007", "10009", "10012", "10013",
                             "10041", "1100", "12000", "13000", "14000", "14"), "requested")
AFTER_SALES |= {"10004": "none", "10011": "none", "10010": "none", "13": "granted"}
AFTER_SALES_STATES = {"WAIT_GOODS_RECEIVE_CONFIRM", "SEND_TO_DISTRIBUTION_CENER", "DISTRIBUTION_CENTER_RECEIVED",
                      "RECEIPTS_CONFIRM", "FINISHED_L"}
SERVICE_METHOD = "jingdong.asc.query.list"
SERVICE_REFUND_METHOD = "jingdong.asc.serviceAndRefund.view"
VENDER_METHOD = "jingdong.seller.vender.info.get"
SERVICE_KEY = "ascServices"
FINISHED_REFUNDS = ("13", "14")
SERVICE_PAGE_SIZE = 50
OPERATOR = "OrderHub"

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
              "refund_status": "^refundApply.-1.status|ascServices[skuId=skuId].refund.status"
                               "|ascServices[skuId=skuId].serviceStatus",
              "refund_amount": "ascServices[skuId=skuId].refund.refoundAmount"},
    "line_refunds": LINE_REFUNDS | AFTER_SALES,
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
    _vender: str | None = None  # the shop's vendor id, once asked

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

        listed: set[str] = set()
        last = 0
        for number, orders in self.pages_backwards(fetch, lambda: int(search(1, 1).get("orderTotal") or 0)):
            for order in orders:
                self._add_refund_applications(order)
                self._add_after_sales(order)
            listed |= {str(order["orderId"]) for order in orders}
            last = max(last, number)
            yield PullPage(number, [ListEntry(str(o["orderId"]), parse_gmt8(o.get("modified")), o) for o in orders])
        yield from self._orders_with_new_after_sales(start, end, listed, last + 1)

    def _orders_with_new_after_sales(self, start: datetime, end: datetime, listed: set[str],
                                     number: int) -> Iterator[PullPage]:
        """The orders whose after-sales services changed in the window though the orders did not (a
        service leaves the order's modified time alone): each read again, services included."""
        updated = self._services({"buId": self._vender_id(), "updateTimeBegin": gmt8_text(start),
                                  "updateTimeEnd": gmt8_text(end)})
        wanted = sorted({str(service.get("orderId")) for service in updated} - listed - {"None", ""})
        for index in range(0, len(wanted), SERVICE_PAGE_SIZE):
            raws = [self.fetch_order(order_id) for order_id in wanted[index:index + SERVICE_PAGE_SIZE]]
            yield PullPage(number + index // SERVICE_PAGE_SIZE,
                           [ListEntry(raw.external_id, raw.modified_at, raw.payload) for raw in raws])

    def fetch_order(self, external_id: str) -> RawOrder:
        result = self.call("jingdong.pop.order.enGet", {"order_id": external_id, "optional_fields": OPTIONAL_FIELDS})
        info = result["orderDetailInfo"]
        _check_api_result(info)
        order = info["orderInfo"]
        self._add_refund_applications(order)
        self._add_after_sales(order)
        return RawOrder(str(order["orderId"]), parse_gmt8(order.get("modified")), order)

    def _add_after_sales(self, order: dict) -> None:
        """A shipped order's after-sales services and their finished refunds, kept in its payload (see
        AFTER_SALES)."""
        if order.get("orderState") not in AFTER_SALES_STATES or SERVICE_KEY in order:
            return
        order_id = str(order["orderId"])
        services = self._services({"buId": str(order.get("venderId") or "") or self._vender_id(), "orderId": order_id})
        if not services:
            return
        refunds = self._service_refunds(order_id)
        for service in services:
            refund = refunds.get(str(service.get("serviceId")))
            if refund is not None:
                service["refund"] = refund
        order[SERVICE_KEY] = sorted(services, key=lambda each: (_number(each.get("applyTime")),
                                                                _number(each.get("serviceId"))))

    def _services(self, query: dict) -> list[dict]:
        """Every service ``jingdong.asc.query.list`` answers for ``query``, all pages."""
        found: list[dict] = []
        page = 1
        while True:
            result = self.call(SERVICE_METHOD, query | {"operatePin": OPERATOR, "operateNick": OPERATOR,
                                                        "pageNumber": page, "pageSize": SERVICE_PAGE_SIZE})
            data = _page_result(result, SERVICE_METHOD)
            found += data.get("data") or []
            if not data.get("data") or len(found) >= int(data.get("totalCount") or 0):
                return found
            page += 1

    def _service_refunds(self, order_id: str) -> dict[str, dict]:
        """The order's finished after-sales refunds (``jingdong.asc.serviceAndRefund.view``) by service id."""
        refunds: dict[str, dict] = {}
        page, seen = 1, 0
        while True:
            result = self.call(SERVICE_REFUND_METHOD, {"orderId": order_id, "pageNumber": page,
                                                       "pageSize": SERVICE_PAGE_SIZE})
            data = _page_result(result, SERVICE_REFUND_METHOD)
            entries = data.get("data") or []
            for entry in entries:
                service_id = str((entry.get("sameOrderServiceBill") or {}).get("serviceId") or "")
                if service_id and str(entry.get("status")) in FINISHED_REFUNDS:
                    refunds[service_id] = entry
            seen += len(entries)
            if not entries or seen >= int(data.get("totalCount") or 0):
                return refunds
            page += 1

    def _vender_id(self) -> str:
        """The shop's vendor id (``buId`` of the after-sales calls), asked once per adapter."""
        if self._vender is None:
            found = self.call(VENDER_METHOD, {}).get("vender_info_result") or {}
            found = (found[0] if found else {}) if isinstance(found, list) else found  # a list in older SDKs
            self._vender = str(found.get("vender_id") or "")
        return self._vender

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


def _page_result(result: dict, method: str) -> dict:
    found = result.get("pageResult") or {}
    if found.get("success") is False:
        raise PlatformError(str(found.get("code") or method), str(found.get("msg") or ""))
    return found


def _number(value) -> int:
    text = str(value or "")
    return int(text) if text.isdigit() else 0


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
