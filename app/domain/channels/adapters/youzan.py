"""Youzan (有赞云).

Protocol (platform-apis §5): ``POST {gateway}/{method}/{version}?access_token=…`` with a JSON body; no
per-request signature, the OAuth access token is the credential. Tokens come from ``/auth/token``;
``refresh_access_token`` uses the shop's refresh token (authorize_type ``refresh_token``), and a token
that is still refused after that flags the shop (sync._with_token_refresh). Orders are pulled with
``youzan.trades.sold.get`` 4.0.4 by ``start_update``/``end_update`` with ``page_no``/``page_size``;
the list carries ``full_order_info`` objects (complete), ``youzan.trade.get`` 4.0.2 fetches one (pushes
name only the tid). Neither the window nor the sort order is published [L]: windows of at most one
day, pages walked from the last one backwards (can repeat an order, never skip one).

Push: Youzan POSTs ``{client_id, id, kdt_id, type, msg, sign, version, test, …}``; ``msg`` is URL-encoded
JSON. ``sign`` = md5_hex(client_id + raw encoded msg + client_secret); newer apps also get an
``Event-Sign`` header = md5_hex(client_id + raw body + client_secret). Test messages are skipped; the
reply is ``{"code":0,"msg":"success"}`` (anything else is redelivered, ``sendCount`` growing).

Errors: ``{"success": false, "code", "message"}`` or ``{"gw_err_resp": {"err_code", "err_msg"}}``. The
codes are not published (platform-apis [L]): token 4201–4203 / 10003 or the word "token"; throttle
20001 / 4004 / 429 or its wording; 5xx and 10500 transient. Kept in the sets below.

Status mapping:

| Youzan status | meaning | stage |
|---|---|---|
| WAIT_BUYER_PAY | not paid yet | pending |
| WAIT_CONFIRM | paid group-buy etc. waiting to be confirmed: not to ship yet | pending |
| TRADE_PAID (push messages only), WAIT_SELLER_SEND_GOODS | paid, to ship | paid |
| WAIT_BUYER_CONFIRM_GOODS | shipped | shipped |
| TRADE_SUCCESS | trade succeeded | completed |
| TRADE_CLOSE | closed (a refund when it had been paid) | cancelled |

Fields: money in yuan strings (``pay_info``); times GMT+8 text; ``receiver_name``, ``receiver_tel``,
``delivery_address`` and the buyer's nickname/phone are ciphertexts ``$<base64>$1$`` kept as tokens;
their masked forms come from ``youzan.cloud.secret.decryptmask.batch`` (one call per page) and are
added to the stored payload under ``masked``, and the trade's ``refund_order`` (sent beside
``full_order_info``) is kept in it — the only keys we add. Plaintext only through
``youzan.cloud.secret.decrypt.batch``. Merchant code ``outer_sku_id``, else ``outer_item_id``.

Shipment push-back: ``youzan.logistics.online.confirm`` 3.0.0 (``tid``, ``is_no_express`` 0, ``out_stype``
the express company id, ``out_sid`` the waybill). An order shipped as several parcels is confirmed once
per parcel with ``oids`` = the comma-joined ``oid``s of the items in it (拆单发货); without ``oids`` the
whole order ships. The order stays WAIT_SELLER_SEND_GOODS until its last item is out, and lists each
parcel under ``delivery_order``. [M] public Java caller of the Youzan SDK (``YouzanLogisticsOnlineConfirmParams``:
"oids 如果需要拆单发货，使用该字段指定要发货的商品交易明细编号，多个明细编号用半角逗号分隔；不需要拆单发货，则该字段不传或值为空")
and a youzanyun-sdk call sample with ``out_stype``, ``out_sid``, ``is_no_express``, ``oids``, ``tid``; the
repositories are not named by the index. An item ships once, so a parcel carrying only items an earlier
parcel named is told with that one (base.sub_order_groups).
"""

import hashlib
import hmac
import json
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from functools import partial
from urllib.parse import unquote

import requests

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
    parse_gmt8,
    sub_order_groups,
)
from app.text import N_, Text

VERSIONS = {"youzan.trades.sold.get": "4.0.4", "youzan.trade.get": "4.0.2",
            "youzan.logistics.online.confirm": "3.0.0", "youzan.item.quantity.update": "3.0.0",
            "youzan.item.get": "3.0.0", "youzan.cloud.secret.decrypt.batch": "1.0.0",
            "youzan.cloud.secret.decryptmask.batch": "1.0.0"}
TOKEN_CODES = {"4201", "4202", "4203", "10003"}
THROTTLE_CODES = {"20001", "4004", "429"}
THROTTLE_WORDS = ("频率", "限流", "too many", "limit")
TRANSIENT_CODES = {"10500", "500", "502", "503"}
#: (path in full_order_info, key under ``masked``): the ciphertext fields a person may see masked.
CIPHER_FIELDS = (("address_info.receiver_name", "receiver_name"), ("address_info.receiver_tel", "receiver_tel"),
                 ("address_info.delivery_address", "delivery_address"), ("buyer_info.fans_nickname", "fans_nickname"),
                 ("buyer_info.buyer_phone", "buyer_phone"))
REPLY = '{"code":0,"msg":"success"}'

STATUSES = {
    "WAIT_BUYER_PAY": "pending", "WAIT_CONFIRM": "pending", "TRADE_PAID": "paid",
    "WAIT_SELLER_SEND_GOODS": "paid", "WAIT_BUYER_CONFIRM_GOODS": "shipped", "TRADE_SUCCESS": "completed",
    "TRADE_CLOSE": "cancelled",
}
#: Per-line after-sales (issue 12). Youzan lists a trade's refunds beside its lines, not on them: the
#: ``refund_order`` of ``youzan.trade.get`` / ``youzan.trades.sold.get`` [{``oids`` [{``oid``}],
#: ``refund_state``, ``refund_fee``, ``refund_id``, ``refund_type``, ``refund_time``}], and pushes
#: ``trade_refund_RefundCreated`` / ``…RefundSuccess`` / ``…RefundClosed`` naming the tid. Sources: the
#: Youzan cloud connector SDK reference (youzan.github.io/cloud-connector-doc,
#: ``OrderDetailExchangeEntity.RefundOrder``: oids, refundState, refundFee "单位:分", refundId) [H for
#: the names and states, M for the unit]; platform-apis §5.3 for the push types. Decision: a line's
#: refund is the last ``refund_order`` entry naming its ``oid``; its amount only when that entry names
#: this line alone (one refund over several lines has no per-line amount: the line's paid ``payment``
#: is used). The adapter keeps ``refund_order`` in the stored payload (the only key it adds besides
#: ``masked``), as the platform answered it. ``refund_fee`` is read in fen (``refund_money``); a shop
#: whose answers carry yuan gets a payload error naming the field and overrides ``refund_money``.
#: refund_state: 1 applied (waiting for the seller), 20 agreed (waiting for the return), 30 returned
#: (waiting for the seller to confirm) are requests; 60 succeeded is the grant; 10 / 40 refused by the
#: seller, 45 goods re-sent (an exchange, no refund) and 50 closed (withdrawn) end it.
LINE_REFUNDS = {"1": "requested", "20": "requested", "30": "requested", "60": "granted", "10": "none",
                "40": "none", "45": "none", "50": "none"}
REFUND_KEY = "refund_order"

#: Youzan express company ids (out_stype of logistics.online.confirm) ↔ our carrier codes. [L] edit per shop.
CARRIER_CODES = {"shunfeng": "7", "zhongtong": "3", "yuantong": "2", "shentong": "1", "yunda": "4", "jd": "138",
                 "ems": "11"}

DEFAULT_MAPPING = {
    "external_id": "order_info.tid", "status": "order_info.status", "modified": "order_info.update_time",
    "created": "order_info.created", "paid_at": "order_info.pay_time", "time_format": "gmt8", "money": "yuan",
    "payment": "pay_info.payment", "shipping": "pay_info.post_fee", "goods_total": "pay_info.total_fee", "buyer_name": "masked.fans_nickname",
    "remark": "remark_info.buyer_message",
    "receiver": {"name": "masked.receiver_name", "phone": "masked.receiver_tel",
                 "province": "address_info.delivery_province",
                 "city": "address_info.delivery_city|address_info.delivery_district",
                 "district": "address_info.delivery_district", "address": "masked.delivery_address",
                 "postcode": "address_info.delivery_postal_code"},
    "pii": {"receiver_name": "address_info.receiver_name", "receiver_tel": "address_info.receiver_tel",
            "delivery_address": "address_info.delivery_address", "yz_open_id": "buyer_info.yz_open_id",
            # not secret, but the plaintext receiver (decrypt_receiver) is whole only with them
            "province": "address_info.delivery_province", "city": "address_info.delivery_city",
            "district": "address_info.delivery_district"},
    "lines": {"path": "orders", "code": "outer_sku_id|outer_item_id|sku_id", "quantity": "num",
              "unit_price": "price", "title": "title", "item_id": "item_id", "platform_sku_id": "sku_id",
              "paid_amount": "payment", "line_id": "oid",
              "refund_status": "refund_order[oids.oid=oid].refund_state",
              "refund_amount": "refund_order[oids.oid=oid]!.refund_fee"},
    "line_refunds": LINE_REFUNDS, "refund_money": "fen",
    "invoice": {"title": "invoice_info.invoice_title|invoice_info.user_name", "tax_id": "invoice_info.taxpayer_id",
                "email": "invoice_info.email"},
    "waybill": {"number": "delivery_order.0.dists.0.express_info.express_no",
                "carrier": "delivery_order.0.dists.0.express_info.express_id"},
    "statuses": STATUSES,
    "carriers": {value: ours for ours, value in CARRIER_CODES.items()},
}


def md5_hex(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def push_sign(client_id: str, signed: str, client_secret: str) -> str:
    """Youzan's push signature: md5_hex(client_id + msg (or the raw body) + client_secret)."""
    return md5_hex(client_id + signed + client_secret)


class YouzanAdapter(ChannelAdapter):
    platform = "youzan"
    gateway_setting = "YOUZAN_GATEWAY_URL"
    default_gateway = "https://open.youzanyun.com/api"
    max_window = timedelta(days=1)
    DEFAULT_MAPPING = DEFAULT_MAPPING
    CARRIER_CODES = CARRIER_CODES

    def _send(self, method: str, params: dict) -> dict:
        url = f"{self.gateway.rstrip('/')}/{method}/{VERSIONS.get(method, '1.0.0')}"
        try:
            response = self.http.post(url, params={"access_token": self.credentials.access_token},
                                      json=params, timeout=self.timeout)
        except (requests.ConnectionError, requests.Timeout) as error:
            raise TransientError("network", Text(N_("无法连接平台: %(error)s"), error=type(error).__name__)) from error
        if response.status_code >= 500:
            raise TransientError(str(response.status_code), N_("平台服务暂时不可用"))
        try:
            body = response.json()
        except ValueError as error:
            raise TransientError(str(response.status_code), N_("平台返回了无法解析的内容")) from error
        if "gw_err_resp" in body:
            error = body["gw_err_resp"] or {}
            raise classify(str(error.get("err_code", "")), str(error.get("err_msg", "")))
        if body.get("success") is False or str(body.get("code", 200)) not in ("200", "0"):
            raise classify(str(body.get("code", "")), str(body.get("message", "")))
        return body.get("data") if body.get("data") is not None else {}

    def list_window(self, start: datetime, end: datetime) -> Iterator[PullPage]:
        window = {"start_update": gmt8_text(start), "end_update": gmt8_text(end)}

        def fetch(page: int, size: int):
            data = self.call("youzan.trades.sold.get", window | {"page_no": page, "page_size": size})
            total = int(data.get("total_results") or 0)
            infos = [with_refunds(item) for item in data.get("full_order_info_list") or []]
            return infos, total, page * size < total

        probe = lambda: int(self.call("youzan.trades.sold.get", window | {"page_no": 1, "page_size": 1})  # noqa: E731
                            .get("total_results") or 0)
        for number, infos in self.pages_backwards(fetch, probe):
            self._add_masked(infos)
            yield PullPage(number, [ListEntry(info["order_info"]["tid"], parse_gmt8(info["order_info"].get("update_time")),
                                              info) for info in infos])

    def fetch_order(self, external_id: str) -> RawOrder:
        info = with_refunds(self.call("youzan.trade.get", {"tid": external_id}))
        self._add_masked([info])
        return RawOrder(info["order_info"]["tid"], parse_gmt8(info["order_info"].get("update_time")), info)

    def _add_masked(self, infos: list[dict]) -> None:
        """Masked twins of the ciphertexts (what the order shows), in one decryptmask call per page."""
        ciphers = {value for info in infos for path, _ in CIPHER_FIELDS if is_cipher(value := _dig(info, path))}
        if not ciphers:
            return
        masked = self.call("youzan.cloud.secret.decryptmask.batch", {"sources": sorted(ciphers)})
        for info in infos:
            info["masked"] = {key: masked.get(value, "") if is_cipher(value := _dig(info, path)) else value
                              for path, key in CIPHER_FIELDS}

    def push_shipment(self, external_id: str, carrier: str, waybill_no: str, oids: str = "") -> dict:
        data = self.call("youzan.logistics.online.confirm",
                         {"tid": external_id, "is_no_express": 0, "out_stype": carrier, "out_sid": waybill_no}
                         | ({"oids": oids} if oids else {}))
        if not data.get("is_success", True):
            raise PlatformError("shipment", str(data.get("message") or N_("发货失败")))
        return data

    def shipment_calls(self, external_id: str, parcels: list[ShippedParcel]) -> list[ShipmentCall]:
        groups = sub_order_groups(parcels)
        if groups is None:
            return super().shipment_calls(external_id, parcels)
        return [ShipmentCall(tuple(waybills), "youzan.logistics.online.confirm",
                             partial(self.push_shipment, external_id, parcel.carrier, parcel.waybill_no, ",".join(ids)))
                for waybills, parcel, ids in groups]

    def push_stock(self, listing: Listing, quantity: int) -> dict:
        # type 0 sets the quantity (a full update): repeating it is harmless, never adds.
        return self.call("youzan.item.quantity.update",
                         {"item_id": listing.item_id, "sku_id": listing.platform_sku_id, "quantity": quantity,
                          "type": 0})

    def read_stock(self, listing: Listing) -> int:
        item = self.call("youzan.item.get", {"item_id": listing.item_id}).get("item") or {}
        for sku in item.get("skus") or []:
            if str(sku.get("sku_id")) == listing.platform_sku_id or sku.get("item_no") == listing.platform_code:
                return int(sku.get("quantity") or 0)
        return int(item.get("quantity") or 0)

    def decrypt_receiver(self, external_id: str, pii_tokens: dict, scene: str) -> PlainReceiver:
        names = ("receiver_name", "receiver_tel", "delivery_address")
        sources = [pii_tokens[name] for name in names if is_cipher(pii_tokens.get(name))]
        if not sources:
            raise PlatformError("decrypt_empty", N_("订单没有可解密的收件人密文"))
        plain = self.call("youzan.cloud.secret.decrypt.batch", {"sources": sources})
        values = {name: plain.get(pii_tokens.get(name, ""), "") for name in names}
        province, city, district = (pii_tokens.get(key, "") for key in ("province", "city", "district"))
        return PlainReceiver(values["receiver_name"], values["receiver_tel"], province, city, district,
                             values["delivery_address"])

    def refresh_access_token(self) -> Credentials | None:
        if not self.credentials.refresh_token:
            return None  # a self-use app's silent token needs the shop's kdt_id: staff re-authorise
        url = self.gateway.rstrip("/").removesuffix("/api") + "/auth/token"
        try:
            body = self.http.post(url, json={"authorize_type": "refresh_token", "client_id": self.credentials.app_key,
                                             "client_secret": self.credentials.app_secret,
                                             "refresh_token": self.credentials.refresh_token},
                                  timeout=self.timeout).json()
        except (requests.RequestException, ValueError):
            return None
        data = body.get("data") or {}
        if not body.get("success") or not data.get("access_token"):
            return None
        return Credentials(self.credentials.app_key, self.credentials.app_secret, data["access_token"],
                           data.get("refresh_token") or self.credentials.refresh_token, self.credentials.push_secret)

    # ---- push ------------------------------------------------------------------------------------------

    def verify_push(self, headers: Mapping[str, str], body: bytes) -> bool:
        """The ``Event-Sign`` header over the raw body when sent, and the ``sign`` over the raw ``msg``
        when present; at least one, each from our own app (client_id) and its secret."""
        try:
            envelope = json.loads(body)
        except ValueError:
            return False
        client_id, secret = self.credentials.app_key, self.credentials.app_secret
        if not isinstance(envelope, dict) or str(envelope.get("client_id", client_id)) != client_id:
            return False
        header = headers.get("Event-Sign", "")
        checks = []
        if header:
            checks.append(hmac.compare_digest(push_sign(client_id, body.decode("utf-8", "replace"), secret), header))
        if envelope.get("sign"):
            checks.append(hmac.compare_digest(push_sign(client_id, str(envelope.get("msg", "")), secret),
                                              str(envelope["sign"])))
        return bool(checks) and all(checks)

    def parse_push(self, headers: Mapping[str, str], body: bytes) -> PushBatch:
        envelope = json.loads(body)
        if envelope.get("test") or not str(envelope.get("type", "")).startswith("trade_"):
            return PushBatch([], reply_body=REPLY)  # test pings and non-trade topics: acknowledged, ignored
        raw_msg = str(envelope.get("msg") or "{}")
        try:
            message = json.loads(unquote(raw_msg))
        except ValueError as error:
            raise PlatformError("bad_msg", N_("推送消息 msg 不是合法的 JSON")) from error
        full = message.get("full_order_info")
        order_info = (full or {}).get("order_info", {})
        tid = str(order_info.get("tid") or message.get("tid") or envelope.get("id") or "")
        if not tid:
            raise PlatformError("bad_msg", N_("推送消息没有订单号"))
        if headers.get("Event-Sign"):
            # The whole body is signed; a redelivery repeats type, id and version (only sendCount grows).
            message_id = str(envelope.get("msg_id") or f"{envelope.get('type')}:{tid}:{envelope.get('version', '')}")
        else:
            # Only msg is signed: type, version and id can be changed by whoever replays the body, so
            # the message is known by its signed msg alone.
            message_id = "msg:" + hashlib.sha256(raw_msg.encode()).hexdigest()[:40]
            if not (order_info.get("tid") or message.get("tid")):
                # A redelivery naming the trade only by its (unsigned) id: it can do no more than fetch
                # that trade from Youzan, so the id tells such messages apart.
                message_id = f"id:{tid}:{message_id}"
        sent_at = _signed_time(order_info.get("update_time") or message.get("update_time"))
        payload = full if full and not _has_cipher(full) else None  # ciphertexts need masking: fetch
        return PushBatch([PushMessage(message_id, tid, payload, str(envelope.get("type", "")), sent_at)],
                         reply_body=REPLY)


def with_refunds(answer: dict) -> dict:
    """The ``full_order_info`` of a trade answer, with the ``refund_order`` list Youzan sends beside it."""
    info = answer["full_order_info"]
    if answer.get(REFUND_KEY) and not info.get(REFUND_KEY):
        info[REFUND_KEY] = answer[REFUND_KEY]
    return info


def _signed_time(value) -> datetime | None:
    """msg's update_time; None when absent or malformed (the message id still stops repeats)."""
    try:
        return parse_gmt8(value) if isinstance(value, str) else None
    except ValueError:
        return None


def is_cipher(value) -> bool:
    """Youzan's ciphertext shape: ``$<base64>$1$`` (platform-apis §5.2)."""
    return isinstance(value, str) and value.startswith("$") and value.endswith("$1$") and len(value) > 4


def _has_cipher(info: dict) -> bool:
    return any(is_cipher(_dig(info, path)) for path, _ in CIPHER_FIELDS)


def _dig(info: dict, path: str):
    value = info
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def classify(code: str, message: str) -> PlatformError:
    lowered = message.lower()
    if code in THROTTLE_CODES or any(word in message or word in lowered for word in THROTTLE_WORDS):
        return ThrottledError(code, message)
    if code in TOKEN_CODES or "token" in lowered:
        return TokenExpiredError(code, message or N_("授权已过期"))
    if code in TRANSIENT_CODES or "系统异常" in message:
        return TransientError(code, message)
    return PlatformError(code, message)
