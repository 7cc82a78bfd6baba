"""Field mappings: how a platform payload's fields become a PlatformOrder.

A mapping is data (JSON), so operations can adjust one shop without a deploy: each adapter has a
``DEFAULT_MAPPING`` and a shop's ``ChannelSettings.mapping_override`` is merged over it key by key
(nested objects merge, everything else replaces). Values are paths into the payload:

- ``"receiver_city|receiver_district"``: alternatives, the first non-empty one wins;
- ``"orders.order.0.invoice_no"``: dotted keys, digits index lists (``-1`` the last element);
- ``"order_status+refund_status"`` (``status`` only): several fields joined as ``"1/4"`` (Pinduoduo);
- ``"order_tag_list.ship_hold"``: in a list of ``{name, value}`` pairs, the value named ``ship_hold``;
- ``"^after_sales_status"`` (inside ``lines``): a field of the whole order, for every line (Pinduoduo
  reports after-sales per order);
- ``"refund_order[oids.oid=oid].refund_state"`` (inside ``lines``): in the whole order's list
  ``refund_order``, the last entry whose ``oids.oid`` names this line's ``oid``, then its
  ``refund_state`` (Youzan lists its refunds beside the lines; ``…=oid]!.refund_fee`` only when that
  entry names this line alone — an amount for several lines is not one line's);
- inside ``lines`` each ``|`` alternative may be any of these forms, the first with a value wins; an
  entry of a ``list[key=field]`` list in ``refund_status`` naming no line is an error naming it;
- ``"sku_order_list.*.sum_amount"`` (``goods_total`` only): the sum over every element of a list.

Keys: ``external_id``, ``status``, ``modified``, ``created``, ``paid_at``, ``ship_by`` (the promised
ship-by time) (paths); ``time_format``
(``gmt8`` for "yyyy-MM-dd HH:mm:ss" in GMT+8, ``unix``, ``unix_ms``); ``money`` (``yuan`` strings or
``fen`` integers); ``refund_money`` (the unit of ``lines.refund_amount`` when the platform states
refunds in another unit than the order: Youzan); ``payment``, ``shipping``, ``goods_total`` (the goods
total the platform states, checked against the lines), ``buyer_name``, ``remark``; ``receiver`` {name, phone,
province, city, district, address}; ``pii`` {token name: path} (OAID, ciphertexts kept off the order);
``lines`` {path, code, quantity, unit_price, title, item_id, platform_sku_id, line_id (the sub-order id a
split shipment names)}; ``waybill`` {number,
carrier}; ``statuses`` {platform status: stage}; ``carriers`` {platform carrier: our carrier code};
``holds`` {path: "values"} (flags that keep a paid order from the warehouse, see ``holds_of``);
``discounts`` {platform, seller, coupon} (who funds the discount; ``a+b`` sums fields; the one not
given takes the rest); ``invoice`` {requested, info, title, tax_id, email, kind, special} (``invoice_of``).
"""

import copy
import re
from datetime import UTC, datetime
from decimal import Decimal

from app.domain.channels.adapters.base import (
    GMT8,
    MaskedReceiver,
    PlatformInvoice,
    PlatformLine,
    PlatformOrder,
)
from app.domain.errors import DomainError
from app.money import MoneyFormatError, yuan_to_fen
from app.text import N_, Text

#: What a platform status means for the master order (normalise.py walks the order there).
STAGES = ("pending", "paid", "shipped", "signed", "completed", "cancelled", "refunded", "hold")
STAGE_LABELS = {
    "pending": N_("待付款"), "paid": N_("已付款待发货"), "shipped": N_("已发货"), "signed": N_("已签收"), "completed": N_("交易成功"),
    "cancelled": N_("付款前关闭"), "refunded": N_("付款后退款关闭"), "hold": N_("平台暂停/锁定"),
}
TIME_FORMATS = ("gmt8", "unix", "unix_ms")
MONEY_UNITS = ("yuan", "fen")
PATH_KEYS = ("external_id", "status", "modified", "created", "paid_at", "ship_by", "payment", "shipping",
             "goods_total", "buyer_name", "remark")
GROUPS = {
    "receiver": ("name", "phone", "province", "city", "district", "address", "town", "postcode"),
    "lines": ("path", "code", "quantity", "unit_price", "title", "item_id", "platform_sku_id", "refund_status",
              "refund_amount", "paid_amount", "line_id"),
    "waybill": ("number", "carrier"),
    "discounts": ("platform", "seller", "coupon"),
    "invoice": ("requested", "info", "title", "tax_id", "email", "kind", "special"),
}
#: What a JD-style ``invoiceInfo`` text says when no invoice is wanted, and its keys.
NO_INVOICE = ("不需要开具发票", "不开发票", "0", "false", "False")
INFO_TITLE, INFO_KIND = ("发票抬头", "抬头"), ("发票类型", "类型")
PERSONAL_TITLES = ("个人", "")
FREE_GROUPS = ("pii", "statuses", "carriers", "line_refunds", "holds")  # any keys
#: What a line's platform refund status means (``line_refunds`` {platform value: one of these}).
LINE_REFUNDS = ("none", "requested", "granted")
CHOICES = {"time_format": TIME_FORMATS, "money": MONEY_UNITS, "refund_money": MONEY_UNITS}


class MappingError(DomainError):
    code = "mapping_error"


def effective(default: dict, override: dict | None) -> dict:
    """``default`` with ``override`` merged over it (nested objects merge key by key)."""
    merged = copy.deepcopy(default)
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def validate_override(override) -> dict[str, str]:
    """Errors by key (empty when the override is usable); nothing is applied on any error."""
    if not isinstance(override, dict):
        return {"mapping": N_("映射必须是一个 JSON 对象")}
    errors = {}
    for key, value in override.items():
        if key in PATH_KEYS:
            if not isinstance(value, str) or not value.strip():
                errors[key] = N_("应为字段路径（字符串）")
        elif key in CHOICES:
            if value not in CHOICES[key]:
                errors[key] = Text(N_("可选值: %(choices)s"), choices=", ".join(CHOICES[key]))
        elif key in GROUPS or key in FREE_GROUPS:
            errors |= _group_errors(key, value)
        else:
            errors[key] = N_("未知的映射项")
    return errors


def _group_errors(key: str, value) -> dict[str, str]:
    if not isinstance(value, dict):
        return {key: N_("应为 JSON 对象")}
    errors = {}
    allowed = GROUPS.get(key)
    for inner, path in value.items():
        if allowed is not None and inner not in allowed:
            errors[f"{key}.{inner}"] = N_("未知的映射项")
        elif not isinstance(path, str):
            errors[f"{key}.{inner}"] = N_("应为字符串")
        elif key == "statuses" and path not in STAGES:
            errors[f"{key}.{inner}"] = Text(N_("阶段可选值: %(choices)s"), choices=", ".join(STAGES))
        elif key == "line_refunds" and path not in LINE_REFUNDS:
            errors[f"{key}.{inner}"] = Text(N_("可选值: %(choices)s"), choices=", ".join(LINE_REFUNDS))
    return errors


def get_path(payload, path: str | None):
    """The first non-empty value among the ``|`` alternatives of ``path``; None when all are empty."""
    for alternative in (path or "").split("|"):
        value = payload
        for part in alternative.strip().split("."):
            if isinstance(value, dict):
                value = value.get(part)
            elif isinstance(value, list) and part.lstrip("-").isdigit() and -len(value) <= int(part) < len(value):
                value = value[int(part)]  # "-1": the last element (JD's latest refund application)
            elif isinstance(value, list):
                value = _named(value, part)
            else:
                value = None
            if value is None:
                break
        if value not in (None, "", [], {}):
            return value
    return None


def _named(pairs: list, name: str):
    """The value of the ``{name, value}`` pair called ``name`` (Pinduoduo's order_tag_list)."""
    return next((pair.get("value") for pair in pairs if isinstance(pair, dict) and pair.get("name") == name), None)


def identify(spec: dict, payload: dict) -> tuple[str, datetime | None]:
    """The order id and platform modified time, needed to store a payload before it is mapped."""
    external_id = get_path(payload, spec["external_id"])
    if external_id is None:
        raise MappingError(N_("载荷中没有订单号（%(path)s）"), path=spec["external_id"])
    return str(external_id), parse_time(get_path(payload, spec["modified"]), spec["time_format"])


def apply(spec: dict, payload: dict, stored_modified_at: datetime | None = None) -> PlatformOrder:
    """Map ``payload`` into a PlatformOrder; raises MappingError naming what is missing or unknown.

    ``stored_modified_at`` stands in when the payload has no time of its own (an imported file row:
    its stored time is the import time, kept out of the content so a re-import is recognised)."""
    external_id, modified_at = identify(spec, payload)
    modified_at = modified_at or stored_modified_at
    if modified_at is None:
        raise MappingError(N_("载荷中没有修改时间（%(path)s）"), path=spec["modified"])
    status = status_of(payload, spec["status"])
    stage = spec.get("statuses", {}).get(status)
    if stage is None:
        raise MappingError(N_("未知的平台状态「%(status)s」，请在字段映射的 statuses 中指定它对应的阶段"), status=status)
    money, time_format = spec["money"], spec["time_format"]
    payment = get_path(payload, spec["payment"])
    if payment is None:
        raise MappingError(N_("载荷中没有实付金额（%(path)s）"), path=spec["payment"])
    carrier = str(get_path(payload, spec.get("waybill", {}).get("carrier")) or "")
    return PlatformOrder(
        external_id=external_id, platform_status=status, stage=stage, modified_at=modified_at,
        created_at=parse_time(get_path(payload, spec.get("created")), time_format),
        paid_at=parse_time(get_path(payload, spec.get("paid_at")), time_format),
        ship_by_at=parse_time(get_path(payload, spec.get("ship_by")), time_format),
        payment_fen=to_fen(payment, money, "payment"),
        shipping_fen=to_fen(get_path(payload, spec.get("shipping")) or 0, money, "shipping"),
        platform_goods_fen=goods_total(payload, spec.get("goods_total"), money),
        buyer_name=str(get_path(payload, spec.get("buyer_name")) or ""),
        remark=str(get_path(payload, spec.get("remark")) or ""),
        receiver=_receiver(spec.get("receiver", {}), payload),
        pii_tokens={name: str(value) for name, path in spec.get("pii", {}).items()
                    if (value := get_path(payload, path)) is not None},
        lines=_lines(spec.get("lines", {}), payload, money, spec.get("line_refunds", {}),
                     spec.get("refund_money") or money),
        holds=holds_of(spec.get("holds", {}), payload),
        discounts={name: _money_sum(payload, path, money, name) for name, path in spec.get("discounts", {}).items()},
        invoice=invoice_of(spec.get("invoice", {}), payload),
        waybill_no=first_token(get_path(payload, spec.get("waybill", {}).get("number"))),
        carrier=carrier, carrier_code=spec.get("carriers", {}).get(carrier, ""),
    )


def status_of(payload: dict, path: str) -> str:
    """The platform status; ``a+b+c`` joins several fields as ``"1/4/0"`` (an absent one empty), for
    platforms whose state is more than one field (Pinduoduo: order, refund and risk status)."""
    if "+" not in path:
        return str(get_path(payload, path) or "")
    parts = (get_path(payload, part) for part in path.split("+"))
    return "/".join("" if value is None else str(value) for value in parts)


def holds_of(holds: dict, payload: dict) -> list[str]:
    """The platform's flags that keep the order from the warehouse, as ``field=value``; ``holds`` maps
    a path to the comma list of values that hold (Pinduoduo ``group_status`` ``0``: group not formed)."""
    found = []
    for path, values in holds.items():
        value = get_path(payload, path)
        if value is not None and str(value) in {each.strip() for each in values.split(",")}:
            found.append(f"{path}={value}")
    return found


def goods_total(payload: dict, path: str | None, money: str) -> int | None:
    """The goods total the platform states (``a+b`` sums fields, ``list.*.field`` sums a list's
    elements); None when the mapping names none or the payload has none."""
    if not path:
        return None
    values = [value for part in path.split("+") for value in _each(payload, part.strip())]
    if not values:
        return None
    return sum(to_fen(value, money, "goods_total") for value in values)


def _each(payload: dict, path: str) -> list:
    """The non-empty values at ``path``; ``*`` walks every element of a list."""
    if "*" not in path.split("."):
        value = get_path(payload, path)
        return [] if value is None else [value]
    head, _, tail = path.partition(".*")
    items = get_path(payload, head) if head else payload
    if isinstance(items, dict):
        items = list(items.values())
    found = []
    for item in items or []:
        found += _each(item, tail.lstrip(".")) if tail.strip(".") else ([item] if item not in (None, "") else [])
    return found


def _money_sum(payload: dict, path: str, money: str, name: str) -> int:
    """``a+b``: the sum of several money fields (Pinduoduo's platform and capital-free discounts)."""
    return sum(to_fen(get_path(payload, part) or 0, money, name) for part in path.split("+"))


def invoice_of(paths: dict, payload: dict) -> PlatformInvoice | None:
    """The buyer's invoice request: a title (or JD's ``invoiceInfo`` text "发票类型:…;发票抬头:…"), or
    just a request flag (Pinduoduo ``invoice_status`` 1: a personal invoice until the buyer says more)."""
    info = _info_pairs(str(get_path(payload, paths.get("info")) or ""))
    title = str(get_path(payload, paths.get("title")) or next((info[key] for key in INFO_TITLE if key in info), ""))
    tax_id = str(get_path(payload, paths.get("tax_id")) or "").strip()
    requested = str(get_path(payload, paths.get("requested")) or "")
    if not (title or tax_id or info) and requested in ("", *NO_INVOICE):
        return None
    kind = str(get_path(payload, paths.get("kind")) or next((info[key] for key in INFO_KIND if key in info), ""))
    company = bool(tax_id) or title.strip() not in PERSONAL_TITLES
    return PlatformInvoice(
        title_type="company" if company else "personal", title=(title.strip() or "个人")[:100], tax_id=tax_id[:20],
        email=str(get_path(payload, paths.get("email")) or "").strip()[:100],
        kind="special" if kind and (kind == paths.get("special") or "专用" in kind) else "normal")


def _info_pairs(text: str) -> dict[str, str]:
    """"发票类型:电子普通发票;发票抬头:某某公司" → {key: value}; "不需要开具发票" → {}."""
    if not text.strip() or text.strip() in NO_INVOICE:
        return {}
    pairs = (part.replace("：", ":").split(":", 1) for part in text.replace("；", ";").split(";"))
    return {pair[0].strip(): pair[1].strip() for pair in pairs if len(pair) == 2}


def _receiver(paths: dict, payload: dict) -> MaskedReceiver:
    values = {name: str(get_path(payload, paths.get(name)) or "").strip() for name in GROUPS["receiver"]}
    return MaskedReceiver(**values)


def _lines(paths: dict, payload: dict, money: str, refunds: dict, refund_money: str) -> list[PlatformLine]:
    items = get_path(payload, paths.get("path"))
    if isinstance(items, dict):
        items = [items]
    if not items:
        raise MappingError(N_("载荷中没有商品行（%(path)s）"), path=paths.get("path"))
    _check_named_lines(paths.get("refund_status"), items, payload)
    lines = []
    for index, item in enumerate(items):
        quantity = get_path(item, paths.get("quantity"))
        try:
            quantity = int(quantity)
        except (TypeError, ValueError) as error:
            raise MappingError(N_("第 %(line)s 行的数量无效: %(quantity)r"), line=index + 1, quantity=quantity) from error
        lines.append(PlatformLine(
            code=str(get_path(item, paths.get("code")) or "").strip(), quantity=quantity,
            unit_price_fen=to_fen(get_path(item, paths.get("unit_price")) or 0, money, f"lines[{index}].price"),
            title=str(get_path(item, paths.get("title")) or ""),
            item_id=str(get_path(item, paths.get("item_id")) or ""),
            platform_sku_id=str(get_path(item, paths.get("platform_sku_id")) or ""),
            line_id=str(get_path(item, paths.get("line_id")) or ""),
            paid_fen=_optional_fen(get_path(item, paths.get("paid_amount")), money, f"lines[{index}].paid"),
            **_line_refund(paths, item, payload, refund_money, refunds, index),
        ))
    return lines


JOIN = re.compile(r"^(?P<list>[\w.]+)\[(?P<key>[\w.]+)=(?P<field>[\w.]+)\](?P<sole>!?)\.(?P<value>[\w.]+)$")


def _line_value(item: dict, payload: dict, path: str | None):
    """A line's field; ``^path`` reads the whole order's instead, ``list[key=field].value`` the entry
    of the order's ``list`` naming this line (see the module's doc); with ``|`` the first alternative
    that has a value (JD: the refund application before shipping, else the after-sales service)."""
    for alternative in (path or "").split("|"):
        alternative = alternative.strip()
        if alternative.startswith("^"):
            value = get_path(payload, alternative[1:])
        elif join := JOIN.match(alternative):
            value = _joined(item, payload, join)
        else:
            value = get_path(item, alternative)
        if value not in (None, "", [], {}):
            return value
    return None


def _check_named_lines(path: str | None, items: list, payload: dict) -> None:
    """Every entry of an order-level after-sales list read by ``list[key=field]`` must name a line of
    the order: one naming goods the order does not have is an error naming them, so nothing is applied
    (a refund or a hold must never be guessed onto another line)."""
    for alternative in (path or "").split("|"):
        join = JOIN.match(alternative.strip())
        if not join:
            continue
        own = {str(value) for item in items if (value := get_path(item, join["field"])) not in (None, "")}
        entries = get_path(payload, join["list"])
        for entry in entries if isinstance(entries, list) else []:
            keys = {str(key) for key in _keys(entry, join["key"])}
            if keys and not keys & own:
                raise MappingError(N_("平台的售后记录（%(list)s）指向订单中没有的商品 %(keys)s"), list=join["list"],
                                   keys="、".join(sorted(keys)))


def _joined(item: dict, payload: dict, join: re.Match):
    """The last entry of the order's list whose ``key`` values (walking lists) include this line's
    ``field``, then its ``value``; with ``!`` only when the entry names no other line."""
    own = get_path(item, join["field"])
    if own in (None, ""):
        return None
    entries = get_path(payload, join["list"])
    named = [(entry, keys) for entry in (entries if isinstance(entries, list) else [])
             if str(own) in (keys := {str(key) for key in _keys(entry, join["key"])})]
    if not named:
        return None
    entry, keys = named[-1]
    if join["sole"] and len(keys) > 1:
        return None
    return get_path(entry, join["value"])


def _keys(value, path: str) -> list:
    """Every value at ``path`` in ``value``, walking into lists (``oids.oid`` of ``[{oid}, {oid}]``)."""
    head, _, rest = path.partition(".")
    if isinstance(value, list):
        return [found for each in value for found in _keys(each, path)]
    if not isinstance(value, dict) or value.get(head) is None:
        return []
    return _keys(value[head], rest) if rest else (
        [each for each in value[head] if each not in (None, "")] if isinstance(value[head], list) else [value[head]])


def _line_refund(paths: dict, item: dict, payload: dict, money: str, refunds: dict, index: int) -> dict:
    """A line's after-sales as the platform reports it; an unlisted status counts as none."""
    status = str(_line_value(item, payload, paths.get("refund_status")) or "")
    amount = _line_value(item, payload, paths.get("refund_amount"))
    return {"refund": refunds.get(status, "none"), "refund_status": status,
            "refund_fen": _optional_fen(amount, money, f"lines[{index}].refund")}


def _optional_fen(value, money: str, name: str) -> int | None:
    return None if value is None else to_fen(value, money, name)


def to_fen(value, unit: str, name: str) -> int:
    """Platform money → integer fen. A JSON number in yuan (Pinduoduo) is read through its shortest
    decimal form, so 59.9 is 5990 and never a binary fraction."""
    try:
        if unit == "fen":
            if isinstance(value, float) or not str(value).strip().lstrip("-").isdigit():
                raise MoneyFormatError(Text(N_("分金额应为整数: %(value)r"), value=value))
            return int(value)
        if isinstance(value, float):
            value = Decimal(repr(value))
        return yuan_to_fen(value)
    except MoneyFormatError as error:
        raise MappingError(N_("金额 %(name)s 无法识别: %(value)r"), name=name, value=value) from error


def parse_time(value, time_format: str) -> datetime | None:
    """A platform time → aware UTC. GMT+8 text "0001-01-01 00:00:00" (JD's "not yet") is None."""
    if value in (None, "", 0, "0"):
        return None
    try:
        if time_format == "gmt8":
            text = str(value)
            if text.startswith("0001-01-01"):
                return None
            return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=GMT8).astimezone(UTC)
        seconds = int(value) / (1000 if time_format == "unix_ms" else 1)
        return datetime.fromtimestamp(seconds, UTC)
    except (TypeError, ValueError) as error:
        raise MappingError(N_("时间无法识别: %(value)r（格式 %(format)s）"), value=value, format=time_format) from error


def first_token(value) -> str:
    """The first waybill number of "SF1001,SF1002|YT2001" (JD separates carriers by |, numbers by ,)."""
    text = str(value or "").strip()
    for separator in ("|", ",", ";"):
        text = text.split(separator)[0].strip()
    return text
