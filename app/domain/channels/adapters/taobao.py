"""Taobao and Tmall (淘宝开放平台 TOP). One adapter serves both: a Tmall shop is a TOP seller too.

Protocol (platform-apis §1): POST form to ``/router/rest``, system params ``method app_key session
timestamp format v sign_method sign``, md5 signature (signing.md5_wrapped). Orders are pulled with
``taobao.trades.sold.increment.get`` by modified time, windows of at most one day, at most three
months back, newest first, so pages are walked from the last one backwards; the list is partial and
every new (id, modified) is completed with ``taobao.trade.fullinfo.get``. TOP's push (TMC) is a
WebSocket, not HTTP: Taobao shops are pulled every minute instead.

Errors: code 7 "App Call Limited" → throttled ("This ban will last for N more seconds" → wait N+1 s);
code 27 / ``invalid-sessionkey`` → token expired (the shop is flagged for staff); ``isp.*`` (the
platform's side) → transient, ``isv.*`` (ours) is a refusal; anything else is a business error, not retried.

Status mapping (platform status → stage → what the master order does, see normalise.py):

| Taobao status | meaning | stage |
|---|---|---|
| TRADE_NO_CREATE_PAY, WAIT_BUYER_PAY, PAY_PENDING, WAIT_PRE_AUTH_CONFIRM | not paid yet | pending |
| WAIT_SELLER_SEND_GOODS | paid, to ship | paid |
| PAID_FORBID_CONSIGN | paid, shipping blocked (group-buy not complete) | hold |
| SELLER_CONSIGNED_PART | partly shipped: we ship the whole order ourselves | paid |
| WAIT_BUYER_CONFIRM_GOODS | shipped (with the platform's waybill) | shipped |
| TRADE_BUYER_SIGNED | signed for (COD) | signed |
| TRADE_FINISHED | trade succeeded | completed |
| TRADE_CLOSED | refunded after payment | refunded |
| TRADE_CLOSED_BY_TAOBAO | closed before payment | cancelled |

Fields: money in yuan strings; times GMT+8 text; receiver masked (王**, 138****8000) plus ``oaid``,
decrypted only by ``taobao.top.oaid.decrypt`` with a scene code; merchant code ``outer_sku_id``, else
the item's ``outer_iid``; a county-level city may sit in ``receiver_district`` with an empty city.

Shipment push-back: ``taobao.logistics.offline.send`` (自己联系物流). An order shipped as one parcel is
one call for the whole trade (``tid``, ``out_sid``, ``company_code``). An order shipped as several is
told with TOP's split shipping, one call per parcel: ``is_split=1`` and ``sub_tid`` = the comma-joined
sub-order ``oid``s of the lines in that parcel; the trade reads SELLER_CONSIGNED_PART until the last
sub-order is out. [H] repo bububa/opentaobao ``model/logistic/TaobaoLogisticsOfflineSendAPIRequest.go``
(``sub_tid`` 需要拆单发货的子订单集合, comma-separated; ``is_split`` 1 表示拆单). A sub-order ships once,
so a parcel carrying only sub-orders an earlier parcel named is told with that one (base.sub_order_groups).
"""

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import partial

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
    gmt8_text,
    parse_gmt8,
    sub_order_groups,
)
from app.domain.channels.adapters.signing import md5_wrapped
from app.text import N_

#: Trade types asked for explicitly: without ``type`` TOP returns only a default subset.
TRADE_TYPES = ("fixed,auction,guarantee_trade,step,independent_simple_trade,independent_shop_trade,auto_delivery,"
               "ec,cod,b2c_cod,instant_trade,o2o_offlinetrade,eticket,tmall_i18n,pre_auth_type")
DETAIL_FIELDS = ("tid,tid_str,status,type,modified,created,pay_time,consign_time,end_time,payment,total_fee,"
                 "post_fee,discount_fee,adjust_fee,buyer_nick,buyer_message,seller_memo,seller_flag,oaid,"
                 "receiver_name,receiver_mobile,receiver_phone,receiver_state,receiver_city,receiver_district,"
                 "receiver_town,receiver_address,receiver_zip,platform_subsidy_fee,invoice_name,invoice_kind,"
                 "top_hold,team_buy_hold,share_group_hold,ofp_hold,forbid_consign,orders")
BAN = re.compile(r"ban will last (?:for )?(\d+)", re.IGNORECASE)
#: Waybill scenes (top.oaid.decrypt): 1001 SF, 1002 四通一达, 1003 EMS, 1004 other carriers.
SCENES = {"shunfeng": "1001", "zhongtong": "1002", "yuantong": "1002", "shentong": "1002", "yunda": "1002",
          "ems": "1003"}

STATUSES = {
    "TRADE_NO_CREATE_PAY": "pending", "WAIT_BUYER_PAY": "pending", "PAY_PENDING": "pending",
    "WAIT_PRE_AUTH_CONFIRM": "pending",
    "WAIT_SELLER_SEND_GOODS": "paid", "PAID_FORBID_CONSIGN": "hold", "SELLER_CONSIGNED_PART": "paid",
    "WAIT_BUYER_CONFIRM_GOODS": "shipped", "TRADE_BUYER_SIGNED": "signed", "TRADE_FINISHED": "completed",
    "TRADE_CLOSED": "refunded", "TRADE_CLOSED_BY_TAOBAO": "cancelled",
}
#: TOP's logistics company codes (taobao.logistics.offline.send) ↔ our carrier codes.
CARRIER_CODES = {"shunfeng": "SF", "zhongtong": "ZTO", "yuantong": "YTO", "shentong": "STO", "yunda": "YUNDA",
                 "jd": "JD", "ems": "EMS"}

#: Sub-order refund_status (platform-apis §1.3): a request holds the line, SUCCESS refunds it.
LINE_REFUNDS = {"WAIT_SELLER_AGREE": "requested", "WAIT_BUYER_RETURN_GOODS": "requested",
                "WAIT_SELLER_CONFIRM_GOODS": "requested", "SUCCESS": "granted", "SELLER_REFUSE_BUYER": "none",
                "CLOSED": "none", "NO_REFUND": "none"}

DEFAULT_MAPPING = {
    "external_id": "tid_str|tid", "status": "status", "modified": "modified", "created": "created",
    "paid_at": "pay_time", "time_format": "gmt8", "money": "yuan",
    "payment": "payment", "shipping": "post_fee", "goods_total": "total_fee", "buyer_name": "buyer_nick", "remark": "buyer_message",
    "receiver": {"name": "receiver_name", "phone": "receiver_mobile|receiver_phone", "province": "receiver_state",
                 "city": "receiver_city|receiver_district", "district": "receiver_district",
                 "address": "receiver_address", "town": "receiver_town", "postcode": "receiver_zip"},
    "pii": {"oaid": "oaid"},
    "lines": {"path": "orders.order", "code": "outer_sku_id|outer_iid|sku_id", "quantity": "num",
              "unit_price": "price", "title": "title", "item_id": "num_iid", "platform_sku_id": "sku_id",
              "refund_status": "refund_status", "refund_amount": "divide_order_fee|payment",
              "paid_amount": "divide_order_fee", "line_id": "oid"},
    "line_refunds": LINE_REFUNDS,
    # TOP's interception flags (Trade model): 1 holds the trade from shipping.
    "holds": {"top_hold": "1", "team_buy_hold": "1", "share_group_hold": "1", "ofp_hold": "1", "forbid_consign": "1"},
    "discounts": {"platform": "platform_subsidy_fee"},
    # invoice_kind: 1 electronic, 2 paper, 3 VAT special
    "invoice": {"title": "invoice_name", "kind": "invoice_kind", "special": "3"},
    "waybill": {"number": "orders.order.0.invoice_no", "carrier": "orders.order.0.logistics_company"},
    "statuses": STATUSES,
    "carriers": {value: ours for ours, value in CARRIER_CODES.items()}
    | {"顺丰速运": "shunfeng", "中通快递": "zhongtong", "圆通速递": "yuantong", "申通快递": "shentong",
       "韵达快递": "yunda", "京东物流": "jd", "EMS": "ems"},
}


class TaobaoAdapter(ChannelAdapter):
    platform = "taobao"
    gateway_setting = "TAOBAO_GATEWAY_URL"
    default_gateway = "https://gw.api.taobao.com/router/rest"
    max_window = timedelta(days=1)
    list_is_complete = False
    DEFAULT_MAPPING = DEFAULT_MAPPING
    CARRIER_CODES = CARRIER_CODES

    def _send(self, method: str, params: dict) -> dict:
        data = {"method": method, "app_key": self.credentials.app_key, "session": self.credentials.access_token,
                "timestamp": gmt8_text(utcnow()), "format": "json", "v": "2.0", "sign_method": "md5"}
        data |= {key: value for key, value in params.items() if value is not None and value != ""}
        data["sign"] = md5_wrapped(self.credentials.app_secret, data)
        body = self._post(data)
        if "error_response" in body:
            raise classify(body["error_response"])
        return body

    def list_window(self, start: datetime, end: datetime) -> Iterator[PullPage]:
        window = {"start_modified": gmt8_text(start), "end_modified": gmt8_text(end), "type": TRADE_TYPES}

        def probe() -> int:
            body = self.call("taobao.trades.sold.increment.get",
                             window | {"fields": "tid", "page_no": 1, "page_size": 1, "use_has_next": "false"})
            return int(body["trades_sold_increment_get_response"].get("total_results") or 0)

        def fetch(page: int, size: int):
            body = self.call("taobao.trades.sold.increment.get",
                             window | {"fields": "tid,tid_str,status,modified", "page_no": page,
                                       "page_size": size, "use_has_next": "true"})
            response = body["trades_sold_increment_get_response"]
            trades = (response.get("trades") or {}).get("trade") or []
            return trades, None, bool(response.get("has_next"))

        for number, trades in self.pages_backwards(fetch, probe):
            yield PullPage(number, [ListEntry(str(t.get("tid_str") or t["tid"]), parse_gmt8(t.get("modified")),
                                              t, complete=False) for t in trades])

    def fetch_order(self, external_id: str) -> RawOrder:
        body = self.call("taobao.trade.fullinfo.get", {"tid": external_id, "fields": DETAIL_FIELDS})
        trade = body["trade_fullinfo_get_response"]["trade"]
        return RawOrder(str(trade.get("tid_str") or trade["tid"]), parse_gmt8(trade.get("modified")), trade)

    def push_shipment(self, external_id: str, carrier: str, waybill_no: str) -> dict:
        body = self.call("taobao.logistics.offline.send",
                         {"tid": external_id, "out_sid": waybill_no, "company_code": carrier})
        return body["logistics_offline_send_response"]

    def shipment_calls(self, external_id: str, parcels: list[ShippedParcel]) -> list[ShipmentCall]:
        groups = sub_order_groups(parcels)
        if groups is None:
            return super().shipment_calls(external_id, parcels)
        return [ShipmentCall(tuple(waybills), "taobao.logistics.offline.send",
                             partial(self._send_split, external_id, parcel, ids)) for waybills, parcel, ids in groups]

    def _send_split(self, external_id: str, parcel: ShippedParcel, sub_tids: list[str]) -> dict:
        body = self.call("taobao.logistics.offline.send",
                         {"tid": external_id, "out_sid": parcel.waybill_no, "company_code": parcel.carrier,
                          "is_split": 1, "sub_tid": ",".join(sub_tids)})
        return body["logistics_offline_send_response"]

    def push_stock(self, listing: Listing, quantity: int) -> dict:
        # type=1 is a full update (设置库存): repeating it sets the same number, never adds.
        body = self.call("taobao.skus.quantity.update",
                         {"num_iid": listing.item_id, "type": 1,
                          "outerid_quantities": f"{listing.platform_code}:{quantity}"})
        return body["skus_quantity_update_response"]

    def read_stock(self, listing: Listing) -> int:
        body = self.call("taobao.item.seller.get", {"num_iid": listing.item_id, "fields": "num_iid,num,sku"})
        item = body["item_seller_get_response"]["item"]
        for sku in (item.get("skus") or {}).get("sku") or []:
            if sku.get("outer_id") == listing.platform_code or str(sku.get("sku_id")) == listing.platform_sku_id:
                return int(sku.get("quantity") or 0)
        return int(item.get("num") or 0)

    def decrypt_receiver(self, external_id: str, pii_tokens: dict, scene: str) -> PlainReceiver:
        query = [{"oaid": pii_tokens.get("oaid", ""), "tid": external_id, "scene": SCENES.get(scene, scene)}]
        body = self.call("taobao.top.oaid.decrypt", {"query_list": json.dumps(query, separators=(",", ":"))})
        receivers = (body["top_oaid_decrypt_response"].get("receiver_list") or {}).get("receiver") or []
        if not receivers:
            raise PlatformError("decrypt_empty", N_("平台没有返回收件人信息"))
        found = receivers[0]
        return PlainReceiver(found.get("name", ""), found.get("mobile") or found.get("phone", ""),
                             found.get("state", ""), found.get("city", ""), found.get("district", ""),
                             " ".join(part for part in (found.get("town"), found.get("address_detail")) if part))


def classify(error: dict) -> PlatformError:
    """TOP's error envelope → the error class that says what to do about it."""
    code, sub_code = str(error.get("code", "")), str(error.get("sub_code", ""))
    message = str(error.get("sub_msg") or error.get("msg") or "")
    if code == "7" or sub_code.startswith("accesscontrol.limited"):
        match = BAN.search(message)
        return ThrottledError(code, message, sub_code, retry_after=float(match[1]) if match else None)
    if code == "27" or "invalid-sessionkey" in sub_code or "session-expired" in sub_code:
        return TokenExpiredError(code, message or N_("授权已过期"), sub_code)
    if sub_code.startswith("isp.") or (code == "15" and not sub_code):  # isv.* are business refusals
        return TransientError(code, message, sub_code)
    return PlatformError(code, message, sub_code)
