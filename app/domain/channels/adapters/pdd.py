"""Pinduoduo (拼多多开放平台).

Protocol (platform-apis §3): POST form to ``/api/router``, common params ``type`` (the method name)
``client_id access_token timestamp`` (unix seconds) ``data_type=JSON sign``, business params flat
beside them (objects as compact JSON strings); the signature is the md5 scheme TOP uses, over all of
them. Orders are pulled with ``pdd.order.number.list.increment.get`` by update time (unix seconds),
windows of at most 30 minutes ending 3 minutes before now (PDD's advice against missed orders), three
months back, ``use_has_next`` paging walked from the last page backwards; despite its name the list
carries full orders, ``pdd.order.information.get`` fetches one. PDD's message service is a WebSocket:
PDD shops are pulled every minute instead.

Errors: ``error_response`` {error_code, error_msg, sub_code, sub_msg}. The codes are from memory
(platform-apis [L]), so each class is recognised by code *or* wording: 52001/70031 限流 → throttled;
10019 expired, 10020/10035 invalid token → token expired (PDD lets no app refresh alone here: staff
re-authorise); 5xxxx other than the throttle codes, 系统繁忙/服务异常 → transient; anything else is a
business refusal, not retried.

Status: PDD has no single status; ``order_status`` (1 to ship, 2 shipped, 3 signed for),
``refund_status`` (1 none or closed, 2 in progress, 3 refunding, 4 refunded) and
``risk_control_status`` (1 under review: do not ship) together decide the stage, so the mapping's
status path joins the three (``order_status+refund_status+risk_control_status`` → ``"1/2/0"``; an
absent risk flag gives ``"1/2/"``). The increment API lists grouped, paid orders only: no pending.

| order_status | refund_status | risk | stage |
|---|---|---|---|
| 1 to ship | 1 | 0 / absent | paid |
| 1 to ship | 2, 3 (buyer asks a refund before shipping) | any | hold (released back to paid when the refund closes) |
| 1 to ship | 1 | 1 (risk review) | hold |
| 2 shipped | 1, 2, 3 | any | shipped |
| 3 signed for | 1, 2, 3 | any | signed |
| any | 4 refunded | any | refunded |

Fields: money JSON numbers in yuan (read through their shortest decimal, never a float); times GMT+8
text (``updated_at``); ``town`` is the district; receiver name, phone and addresses are ciphertexts
(``~…~…~0~~``, ``$…$…$0$$``) kept on the channel side with the region, decrypted by
``pdd.open.decrypt.batch``, their ``*_mask`` twins shown; merchant code ``outer_id`` (SKU), else
``outer_goods_id``; carrier ``logistics_id`` (PDD's numeric carrier id).

Shipment push-back: PDD ships an order once, per order (its items carry no sub-order ids): the order's
own parcel goes by ``pdd.logistics.online.send`` (``order_sn``, ``logistics_id``, ``tracking_number``),
and the other parcels' waybills by one ``pdd.order.upload.extra.logistics`` call (订单额外运单信息上传:
``order_sn``, ``extra_track_list`` [{``shipping_id`` the carrier id, ``tracking_number``}],
``extra_track_type`` 1 = 分包发货), made after the order shipped. PDD shows extra waybills to the buyer
only; the order's detail keeps its one ``tracking_number``. [H for the names] repo SchafferJ/open-pdd
``src/http/model/order/pdd_order_upload_extra_logistics.rs`` (also the same ``extra_track_list`` shape
in repo pipifamily/pdd-ddk-sdk ``src/Api/Request/PddOrderUploadRelationLogisticsRequest.php``), repo
lywzx/pdd-node-sdk ``packages/pdd-origin-api/src/wuLiu/PddLogisticsOnlineSend.ts`` for the first call;
[L] the answer's envelope key ``order_upload_extra_logistics_response`` {success} (PDD's naming rule,
not seen in a sample).
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
    parse_gmt8,
)
from app.domain.channels.adapters.signing import md5_wrapped
from app.text import N_

THROTTLE_CODES = {"52001", "70031"}
THROTTLE_WORDS = ("限流", "频率", "频繁", "too many", "frequency")
TOKEN_CODES = {"10019", "10020", "10035"}
TRANSIENT_WORDS = ("系统繁忙", "服务异常", "系统异常", "系统错误")
#: pdd.open.decrypt.batch data_type of each ciphertext we keep (5 name, 6 phone, 7 full, 8 detail address).
DATA_TYPES = {"receiver_name": "name", "receiver_phone": "phone", "receiver_address": "address",
              "address": "full_address"}

STAGE_TABLE = (  # (order_status, refund_status, risk_control_status) → stage, the table above
    [((o, r, k), "refunded") for o in "123" for r in "4" for k in ("0", "1", "")]
    + [(("1", "1", k), "paid") for k in ("0", "")]
    + [(("1", "1", "1"), "hold")]
    + [(("1", r, k), "hold") for r in "23" for k in ("0", "1", "")]
    + [((o, r, k), stage) for o, stage in (("2", "shipped"), ("3", "signed")) for r in "123" for k in ("0", "1", "")]
)
STATUSES = {"/".join(key): stage for key, stage in STAGE_TABLE}
#: PDD logistics_id ↔ our carrier codes. [L] from memory (pdd.logistics.companies.get lists them): edit
#: per shop in the mapping's carriers when PDD's list says otherwise.
CARRIER_CODES = {"shunfeng": "44", "zhongtong": "115", "yuantong": "85", "shentong": "1", "yunda": "121",
                 "jd": "120", "ems": "118"}

#: ``after_sales_status``, per order (PDD has no per-line after-sales; one goods per order is usual):
#: 2–8, 27 and 31 are requests under way; 0 none, 9 refused, 11 withdrawn, 12/13 lapsed. A refund
#: granted closes the order as ``refund_status`` 4 (the status table's refunded stage).
LINE_REFUNDS = {"0": "none", "2": "requested", "3": "requested", "4": "requested", "5": "requested",
                "6": "requested", "7": "requested", "8": "requested", "27": "requested", "31": "requested",
                "9": "none", "11": "none", "12": "none", "13": "none"}
#: Paid orders the platform does not let ship yet: the group has not formed, or a ship hold tag.
HOLDS = {"group_status": "0", "order_tag_list.ship_hold": "1"}

DEFAULT_MAPPING = {
    "external_id": "order_sn", "status": "order_status+refund_status+risk_control_status",
    "modified": "updated_at", "created": "created_time", "paid_at": "pay_time", "ship_by": "last_ship_time", "time_format": "gmt8",
    "money": "yuan", "payment": "pay_amount", "shipping": "postage", "goods_total": "goods_amount", "buyer_name": "receiver_name_mask",
    "remark": "buyer_memo",
    "receiver": {"name": "receiver_name_mask", "phone": "receiver_phone_mask", "province": "province",
                 "city": "city", "district": "town", "address": "receiver_address_mask|address_mask"},
    "discounts": {"platform": "platform_discount+capital_free_discount"},
    "invoice": {"requested": "invoice_status"},
    "pii": {"receiver_name": "receiver_name", "receiver_phone": "receiver_phone",
            "receiver_address": "receiver_address", "address": "address",
            "province": "province", "city": "city", "town": "town"},
    "lines": {"path": "item_list", "code": "outer_id|outer_goods_id|sku_id", "quantity": "goods_count",
              "unit_price": "goods_price", "title": "goods_name", "item_id": "goods_id", "platform_sku_id": "sku_id",
              "refund_status": "^after_sales_status"},
    "line_refunds": LINE_REFUNDS,
    "holds": HOLDS,
    "waybill": {"number": "tracking_number", "carrier": "logistics_id"},
    "statuses": STATUSES,
    "carriers": {value: ours for ours, value in CARRIER_CODES.items()},
}


class PddAdapter(ChannelAdapter):
    platform = "pdd"
    gateway_setting = "PDD_GATEWAY_URL"
    default_gateway = "https://gw-api.pinduoduo.com/api/router"
    max_window = timedelta(minutes=30)
    end_lag = timedelta(minutes=3)
    DEFAULT_MAPPING = DEFAULT_MAPPING
    CARRIER_CODES = CARRIER_CODES

    def _send(self, method: str, params: dict) -> dict:
        data = {"type": method, "client_id": self.credentials.app_key, "access_token": self.credentials.access_token,
                "timestamp": str(int(utcnow().timestamp())), "data_type": "JSON"}
        for key, value in params.items():
            if value is not None and value != "":
                data[key] = compact_json(value) if isinstance(value, (dict, list)) else str(value)
        data["sign"] = md5_wrapped(self.credentials.app_secret, data)
        body = self._post(data)
        if "error_response" in body:
            raise classify(body["error_response"])
        return body

    def list_window(self, start: datetime, end: datetime) -> Iterator[PullPage]:
        window = {"start_updated_at": int(start.timestamp()), "end_updated_at": int(end.timestamp()),
                  "order_status": 5, "refund_status": 5, "is_lucky_flag": 0, "use_has_next": "true"}

        def increment(page: int, size: int) -> dict:
            body = self.call("pdd.order.number.list.increment.get", window | {"page": page, "page_size": size})
            return body["order_sn_increment_get_response"]

        def fetch(page: int, size: int):
            found = increment(page, size)
            return found.get("order_sn_list") or [], found.get("total_count"), bool(found.get("has_next"))

        for number, orders in self.pages_backwards(fetch, lambda: int(increment(1, 1).get("total_count") or 0)):
            yield PullPage(number, [ListEntry(str(o["order_sn"]), parse_gmt8(o.get("updated_at")), o) for o in orders])

    def fetch_order(self, external_id: str) -> RawOrder:
        body = self.call("pdd.order.information.get", {"order_sn": external_id})
        order = body["order_info_get_response"]["order_info"]
        return RawOrder(str(order["order_sn"]), parse_gmt8(order.get("updated_at")), order)

    def push_shipment(self, external_id: str, carrier: str, waybill_no: str) -> dict:
        body = self.call("pdd.logistics.online.send",
                         {"order_sn": external_id, "logistics_id": carrier, "tracking_number": waybill_no})
        return _success(body, "logistics_online_send_response", "发货失败")

    def shipment_calls(self, external_id: str, parcels: list[ShippedParcel]) -> list[ShipmentCall]:
        calls = super().shipment_calls(external_id, parcels[:1])
        extra = parcels[1:]
        if extra:
            calls.append(ShipmentCall(tuple(parcel.waybill_no for parcel in extra), "pdd.order.upload.extra.logistics",
                                      lambda: self.push_extra_waybills(external_id, extra)))
        return calls

    def push_extra_waybills(self, external_id: str, parcels: list[ShippedParcel]) -> dict:
        """The waybills of an order's other parcels (分包发货), once the order itself has shipped."""
        tracks = [{"shipping_id": int(parcel.carrier) if parcel.carrier.isdigit() else parcel.carrier,
                   "tracking_number": parcel.waybill_no} for parcel in parcels]
        body = self.call("pdd.order.upload.extra.logistics",
                         {"order_sn": external_id, "extra_track_list": tracks, "extra_track_type": 1})
        return _success(body, "order_upload_extra_logistics_response", N_("额外运单上传失败"))

    def push_stock(self, listing: Listing, quantity: int) -> dict:
        # update_type=1 is a full update (全量): repeating it sets the same number, never adds.
        body = self.call("pdd.goods.quantity.update", {"goods_id": listing.item_id, "sku_id": listing.platform_sku_id,
                                                       "quantity": quantity, "update_type": 1})
        return _success(body, "goods_quantity_update_response", "库存更新失败")

    def read_stock(self, listing: Listing) -> int:
        body = self.call("pdd.goods.information.get", {"goods_id": listing.item_id})
        goods = body["goods_info_get_response"]["goods_info"]
        for sku in goods.get("sku_list") or []:
            if str(sku.get("sku_id")) == listing.platform_sku_id or sku.get("outer_id") == listing.platform_code:
                return int(sku.get("quantity") or 0)
        return int(goods.get("goods_quantity") or 0)

    def decrypt_receiver(self, external_id: str, pii_tokens: dict, scene: str) -> PlainReceiver:
        wanted = {name: pii_tokens[name] for name in DATA_TYPES if pii_tokens.get(name)}
        if not wanted:
            raise PlatformError("decrypt_empty", N_("订单没有可解密的收件人密文"))
        data_list = [{"data_tag": external_id, "encrypted_data": value} for value in wanted.values()]
        body = self.call("pdd.open.decrypt.batch", {"data_list": data_list})
        plain = {}
        for item in body["open_decrypt_batch_response"].get("data_decrypt_list") or []:
            if item.get("error_code") not in (None, 0, "0"):
                raise PlatformError(str(item["error_code"]), N_("平台拒绝解密收件人信息"))
            plain[item.get("encrypted_data")] = item.get("decrypted_data") or ""
        found = {DATA_TYPES[name]: plain.get(value, "") for name, value in wanted.items()}
        return PlainReceiver(found.get("name", ""), found.get("phone", ""), pii_tokens.get("province", ""),
                             pii_tokens.get("city", ""), pii_tokens.get("town", ""),
                             found.get("address") or found.get("full_address", ""))


def _success(body: dict, key: str, refusal: str) -> dict:
    answer = body.get(key) or {}
    if not answer.get("is_success", answer.get("success", False)):
        raise PlatformError("not_success", str(answer.get("error_msg") or refusal))
    return answer


def classify(error: dict) -> PlatformError:
    """PDD's error envelope → the error class that says what to do about it."""
    code, sub_code = str(error.get("error_code", "")), str(error.get("sub_code") or "")
    message = str(error.get("sub_msg") or error.get("error_msg") or "")
    lowered = message.lower()
    if code in THROTTLE_CODES or any(word in lowered for word in THROTTLE_WORDS):
        return ThrottledError(code, message, sub_code)
    if code in TOKEN_CODES or "access_token" in lowered:
        return TokenExpiredError(code, message or N_("授权已过期"), sub_code)
    if (code.startswith("5") and len(code) == 5) or any(word in message for word in TRANSIENT_WORDS):
        return TransientError(code, message, sub_code)
    return PlatformError(code, message, sub_code)
