"""Douyin shop (抖店开放平台).

Protocol (platform-apis §4): POST to ``{gateway}/{method with . as /}`` (``/order/searchList``) with the
business params as the JSON body (``param_json``); the query string carries ``app_key method
access_token timestamp v=2 sign_method sign``. The signature is HMAC-SHA256 keyed with the app secret
over ``secret + app_key{K}method{M}param_json{P}timestamp{T}v{V} + secret``, lowercase hex, where P
is the body with keys sorted recursively, no spaces and every value a string; the body sent is that
very text. Orders are pulled with ``order.searchList`` by ``update_time`` (unix seconds), 0-based
``page`` and ``size`` ≤ 100, newest first (``order_by=update_time``, ``order_asc=false``), so pages
are walked from the last backwards; the list carries full shop orders, ``order.orderDetail`` fetches one.

Push: the platform POSTs a JSON array of ``{tag, msg_id, data}`` with headers ``app-id`` and
``event-sign`` = md5(app_key + raw body + app_secret); every message names an order (``p_id``), which
is fetched by the detail call, and the reply is ``{"code":0,"msg":"success"}``.

Errors: ``code`` 10000 is success; 60000 throttled (no ban length given: exponential back-off);
40003 with ``isv.access-token-expired`` / ``-no-existed`` and 30001 (shop de-authorised) → token
expired, after one ``/token/refresh``; 20000/20001 transient; anything else is a business error.

Status mapping (shop order ``order_status``):

| order_status | meaning | stage |
|---|---|---|
| 1 | awaiting payment / confirmation | pending |
| 105 | paid | paid |
| 2 | preparing stock (awaiting shipment) | paid |
| 101 | partly shipped: we ship the whole order ourselves | paid |
| 3 | shipped | shipped |
| 4 | cancelled (a refund when it had been paid) | cancelled |
| 5 | completed | completed |

Fields: money in fen integers; times unix seconds (0 = not yet); receiver name, phone and address
detail encrypted (``encrypt_post_receiver``, ``encrypt_post_tel``, ``post_addr.encrypt_detail``: kept
on the channel side, decrypted by ``order.batchDecrypt``) with masked twins ``mask_post_*``; province,
city and district (``town``) are plain; merchant code ``out_sku_id``, else ``code``; the waybill in
``logistics_info[0]`` {tracking_no, company} [L: not in platform-apis, the official SDK's names].

Shipment push-back: one parcel is ``order.logisticsAdd`` (``order_id``, ``company_code``,
``logistics_code`` = the waybill). Several parcels are one ``order.logisticsAddMultiPack`` call:
``order_id`` and ``pack_list``, each pack with ``shipped_order_info`` [{``shipped_order_id`` (the sku
order id), ``shipped_num``}], ``company_code`` and ``logistics_code``; it succeeds or fails as a whole
(no pack shipped when one is refused). [H for the names] repo westng/doudian-sdk
``src/Api/order_logisticsAddMultiPack/param/{OrderLogisticsAddMultiPackParam,PackList,ShippedOrderInfo}.php``
(also ``order_logisticsAdd/param/OrderLogisticsAddParam.php`` for the single call); [M for the
all-or-nothing rule] repo sevencat/ecommerce_sdk ``ecommerce_sdk/douyin/OrderLogisticsAddMultiPack.cs``
(its description). A parcel naming no sku order (the rest of a bundle split across warehouses) has no
pack of its own: its waybill goes with the call, not in ``pack_list``.
"""

import hashlib
import hmac
import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta

import requests

from app.db import utcnow
from app.domain.channels.adapters.base import (
    ChannelAdapter,
    Credentials,
    ListEntry,
    Listing,
    PlainReceiver,
    PlatformError,
    PullPage,
    PushBatch,
    PushMessage,
    RawOrder,
    ShipmentCall,
    ShippedParcel,
    ThrottledError,
    TokenExpiredError,
    TransientError,
    gmt8_text,
)
from app.domain.channels.adapters.signing import constant_time_equal
from app.text import N_, Text

SUCCESS = 10000
TOKEN_SUB_CODES = ("isv.access-token-expired", "isv.access-token-no-existed")
TOKEN_METHODS = ("token.create", "token.refresh")  # called without an access token
REPLY = '{"code":0,"msg":"success"}'
#: Push tags → events [L in platform-apis: keep editable]. Every order message carries ``p_id``.
TAG_EVENTS = {"100": "trade_TradeCreate", "101": "trade_TradePaid", "102": "trade_TradeSellerShip",
              "103": "trade_TradeSuccess_or_Canceled", "105": "trade_TradeAddressChanged",
              "108": "trade_TradeAmountChanged"}

STATUSES = {"1": "pending", "105": "paid", "2": "paid", "101": "paid", "3": "shipped", "4": "cancelled",
            "5": "completed"}
#: Douyin logistics company codes (order.logisticsAdd ``company_code``) ↔ ours [L: check getCompanyList].
CARRIER_CODES = {"shunfeng": "shunfeng", "zhongtong": "zhongtong", "yuantong": "yuantong", "shentong": "shentong",
                 "yunda": "yunda", "jd": "jd", "ems": "ems"}

#: A sku order's ``after_sale_info.after_sale_status``: 6 applied, 7 return under way, 11 return sent
#: back are requests; 12 after-sales succeeded; 27 refused and 28 failed end the request.
LINE_REFUNDS = {"0": "none", "6": "requested", "7": "requested", "11": "requested", "12": "granted",
                "27": "none", "28": "none"}

DEFAULT_MAPPING = {
    "external_id": "order_id", "status": "order_status", "modified": "update_time", "created": "create_time",
    "paid_at": "pay_time", "ship_by": "exp_ship_time", "time_format": "unix", "money": "fen",
    "payment": "pay_amount", "shipping": "post_amount", "goods_total": "sku_order_list.*.sum_amount", "buyer_name": "mask_post_receiver", "remark": "buyer_words",
    "receiver": {"name": "mask_post_receiver", "phone": "mask_post_tel",
                 "province": "mask_post_addr.province.name|post_addr.province.name",
                 "city": "mask_post_addr.city.name|post_addr.city.name",
                 "district": "mask_post_addr.town.name|post_addr.town.name",
                 "address": "mask_post_addr.detail", "town": "post_addr.street.name|mask_post_addr.street.name"},
    "pii": {"encrypt_post_receiver": "encrypt_post_receiver", "encrypt_post_tel": "encrypt_post_tel",
            "encrypt_detail": "post_addr.encrypt_detail",
            # plain on Douyin: kept so the decrypted receiver is a whole address
            "province": "post_addr.province.name", "city": "post_addr.city.name", "district": "post_addr.town.name",
            "street": "post_addr.street.name"},
    "lines": {"path": "sku_order_list", "code": "out_sku_id|code|sku_id", "quantity": "item_num",
              "unit_price": "origin_amount", "title": "product_name", "item_id": "product_id_str|product_id",
              "platform_sku_id": "sku_id", "refund_status": "after_sale_info.after_sale_status",
              "refund_amount": "pay_amount", "paid_amount": "pay_amount", "line_id": "order_id"},
    "discounts": {"platform": "promotion_platform_amount+promotion_talent_amount", "coupon": "promotion_pay_amount"},
    "line_refunds": LINE_REFUNDS,
    "waybill": {"number": "logistics_info.0.tracking_no", "carrier": "logistics_info.0.company"},
    "statuses": STATUSES,
    "carriers": {value: ours for ours, value in CARRIER_CODES.items()},
}


def stringify(value):
    """Every leaf as a string, as Douyin signs them (numbers and booleans included)."""
    if isinstance(value, dict):
        return {str(key): stringify(item) for key, item in value.items()}
    if isinstance(value, list):
        return [stringify(item) for item in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def param_json(params: dict) -> str:
    """The body: keys sorted recursively, no spaces, string values (byte-identical to what is signed)."""
    return json.dumps(stringify(params), ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def sign(secret: str, app_key: str, method: str, body: str, timestamp: str, v: str = "2") -> str:
    """hmac-sha256(secret, secret + app_key…method…param_json…timestamp…v… + secret), lowercase hex."""
    text = f"{secret}app_key{app_key}method{method}param_json{body}timestamp{timestamp}v{v}{secret}"
    return hmac.new(secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).hexdigest()


def event_sign(app_key: str, secret: str, body: bytes) -> str:
    """A push's ``event-sign``: md5(app_key + raw body + app_secret), lowercase hex."""
    return hashlib.md5(app_key.encode("utf-8") + body + secret.encode("utf-8")).hexdigest()


class DouyinAdapter(ChannelAdapter):
    platform = "douyin"
    gateway_setting = "DOUYIN_GATEWAY_URL"
    default_gateway = "https://openapi-fxg.jinritemai.com/"
    max_window = timedelta(minutes=30)  # platform-apis §9: Douyin is read in 30-minute slices
    DEFAULT_MAPPING = DEFAULT_MAPPING
    CARRIER_CODES = CARRIER_CODES
    TAG_EVENTS = TAG_EVENTS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.refreshed = False  # refresh once per run; a second expiry goes to staff

    def _send(self, method: str, params: dict) -> dict:
        body, timestamp = param_json(params), gmt8_text(utcnow())
        query = {"app_key": self.credentials.app_key, "method": method, "timestamp": timestamp, "v": "2",
                 "sign_method": "hmac-sha256",
                 "sign": sign(self.credentials.app_secret, self.credentials.app_key, method, body, timestamp)}
        if method not in TOKEN_METHODS:
            query["access_token"] = self.credentials.access_token
        url = self.gateway.rstrip("/") + "/" + method.replace(".", "/")
        answer = self._post_json(url, query, body)
        if answer.get("code") != SUCCESS:
            raise classify(answer)
        return answer.get("data") or {}

    def _post_json(self, url: str, query: dict, body: str) -> dict:
        try:
            response = self.http.post(url, params=query, data=body.encode("utf-8"), timeout=self.timeout,
                                      headers={"Content-Type": "application/json;charset=UTF-8"})
        except (requests.ConnectionError, requests.Timeout) as error:
            raise TransientError("network", Text(N_("无法连接平台: %(error)s"), error=type(error).__name__)) from error
        if response.status_code >= 500:
            raise TransientError(str(response.status_code), N_("平台服务暂时不可用"))
        try:
            return response.json()
        except ValueError as error:
            raise TransientError(str(response.status_code), N_("平台返回了无法解析的内容")) from error

    def list_window(self, start: datetime, end: datetime) -> Iterator[PullPage]:
        window = {"update_time_start": int(start.timestamp()), "update_time_end": int(end.timestamp()),
                  "order_by": "update_time", "order_asc": False}

        def search(page: int, size: int) -> dict:  # ``page`` counts from 1 here, from 0 on Douyin
            return self.call("order.searchList", window | {"page": page - 1, "size": size})

        def fetch(page: int, size: int):
            found = search(page, size)
            total = int(found.get("total") or 0)
            return found.get("shop_order_list") or [], total, page * size < total

        for number, orders in self.pages_backwards(fetch, lambda: int(search(1, 1).get("total") or 0)):
            yield PullPage(number - 1, [ListEntry(str(o["order_id"]), _unix(o.get("update_time")), o) for o in orders])

    def fetch_order(self, external_id: str) -> RawOrder:
        order = self.call("order.orderDetail", {"shop_order_id": external_id})["shop_order_detail"]
        return RawOrder(str(order["order_id"]), _unix(order.get("update_time")), order)

    def push_shipment(self, external_id: str, carrier: str, waybill_no: str) -> dict:
        return self.call("order.logisticsAdd",
                         {"order_id": external_id, "company_code": carrier, "logistics_code": waybill_no})

    def shipment_calls(self, external_id: str, parcels: list[ShippedParcel]) -> list[ShipmentCall]:
        packs = [parcel for parcel in parcels if parcel.lines]
        if len(parcels) < 2 or len(packs) < 2 or not parcels[0].lines:
            return super().shipment_calls(external_id, parcels)
        pack_list = [{"shipped_order_info": [{"shipped_order_id": line_id, "shipped_num": quantity}
                                             for line_id, quantity in parcel.lines],
                      "company_code": parcel.carrier, "logistics_code": parcel.waybill_no} for parcel in packs]
        return [ShipmentCall(tuple(parcel.waybill_no for parcel in parcels), "order.logisticsAddMultiPack",
                             lambda: self.call("order.logisticsAddMultiPack",
                                               {"order_id": external_id, "pack_list": pack_list}))]

    def push_stock(self, listing: Listing, quantity: int) -> dict:
        # incremental=false sets the number (a full update): repeating it is harmless.
        return self.call("sku.syncStock", {"product_id": listing.item_id, "sku_id": listing.platform_sku_id,
                                           "stock_num": quantity, "incremental": False})

    def read_stock(self, listing: Listing) -> int:
        return int(self.call("sku.detail", {"sku_id": listing.platform_sku_id}).get("stock_num") or 0)

    def decrypt_receiver(self, external_id: str, pii_tokens: dict, scene: str) -> PlainReceiver:
        names = ("encrypt_post_receiver", "encrypt_post_tel", "encrypt_detail")
        ciphers = [{"auth_id": external_id, "cipher_text": pii_tokens[name]} for name in names if pii_tokens.get(name)]
        if not ciphers:
            raise PlatformError("decrypt_empty", N_("订单没有收件人密文"))
        found = self.call("order.batchDecrypt", {"cipher_infos": ciphers})
        plain = {item.get("cipher_text"): item.get("decrypt_text", "") for item in found.get("decrypt_infos") or []
                 if not int(item.get("err_no") or 0)}
        value = {name: plain.get(pii_tokens.get(name), "") for name in names}
        if not any(value.values()):
            raise PlatformError("decrypt_empty", N_("平台没有返回收件人信息"))
        detail = " ".join(part for part in (pii_tokens.get("street"), value["encrypt_detail"]) if part)
        return PlainReceiver(value["encrypt_post_receiver"], value["encrypt_post_tel"], pii_tokens.get("province", ""),
                             pii_tokens.get("city", ""), pii_tokens.get("district", ""), detail)

    def refresh_access_token(self) -> Credentials | None:
        """``/token/refresh`` once with the stored refresh token; None (→ staff) when that fails too."""
        if self.refreshed or not self.credentials.refresh_token:
            return None
        self.refreshed = True
        try:
            data = self.call("token.refresh", {"grant_type": "refresh_token",
                                               "refresh_token": self.credentials.refresh_token})
        except PlatformError:
            return None
        if not data.get("access_token"):
            return None
        return Credentials(self.credentials.app_key, self.credentials.app_secret, data["access_token"],
                           data.get("refresh_token") or self.credentials.refresh_token, self.credentials.push_secret)

    def verify_push(self, headers: Mapping[str, str], body: bytes) -> bool:
        if headers.get("app-id", "") != self.credentials.app_key:
            return False
        return constant_time_equal(event_sign(self.credentials.app_key, self.credentials.app_secret, body),
                                   headers.get("event-sign", ""))

    def parse_push(self, headers: Mapping[str, str], body: bytes) -> PushBatch:
        try:
            items = json.loads(body)
        except ValueError as error:
            raise PlatformError("bad_push", N_("推送内容不是 JSON")) from error
        if not isinstance(items, list):
            raise PlatformError("bad_push", N_("推送内容应为消息数组"))
        messages = []
        for item in items:
            data = item.get("data") if isinstance(item, dict) else None
            try:
                data = json.loads(data) if isinstance(data, str) else (data or {})
            except ValueError as error:
                raise PlatformError("bad_push", N_("消息 data 不是 JSON")) from error
            order_id = data.get("p_id") if isinstance(data, dict) else None
            if not order_id:  # the verification message sent when the URL is set: answered, nothing to do
                continue
            tag = str(item.get("tag", ""))
            messages.append(PushMessage(str(item.get("msg_id") or ""), str(order_id), None,
                                        self.TAG_EVENTS.get(tag, tag)))
        return PushBatch(messages, reply_body=REPLY)


def _unix(value) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if value and int(value) > 0 else None


def classify(answer: dict) -> PlatformError:
    """Douyin's envelope {code, msg, sub_code, sub_msg} → the error class that says what to do."""
    code, sub_code = str(answer.get("code", "")), str(answer.get("sub_code") or "")
    message = str(answer.get("sub_msg") or answer.get("msg") or "")
    if code == "60000":
        return ThrottledError(code, message or N_("触发限流"), sub_code)
    if (code == "40003" and sub_code.startswith(TOKEN_SUB_CODES)) or code == "30001":
        return TokenExpiredError(code, message or N_("授权已过期"), sub_code)
    if code in ("20000", "20001"):
        return TransientError(code, message, sub_code)
    return PlatformError(code, message, sub_code)
