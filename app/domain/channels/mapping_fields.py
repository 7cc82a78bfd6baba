"""The field mapping as people set it: for each of our order's fields, which field of the platform's
payload fills it — chosen from the fields a real payload of the shop has, or left at the platform's
default. The choices become the same override the JSON editor writes (mapping.py validates both), so
the JSON stays available for what the form does not offer (waybill, discounts, invoice, statuses …).
"""

import json
from dataclasses import dataclass

from app.domain.channels import mapping
from app.text import N_

LINES_PATH = ("lines", "path")


@dataclass(frozen=True)
class MappedField:
    """One of our fields: its key in the mapping (group, key — group None for a top-level key)."""

    group: str | None
    key: str
    label: str
    #: Fixed choices (time format, money unit) instead of the payload's fields.
    options: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The form field's name."""
        return f"map__{self.group}__{self.key}" if self.group else f"map__{self.key}"

    @property
    def in_line(self) -> bool:
        """Read inside each line item (its paths are relative to the item), not from the whole payload."""
        return self.group == "lines" and self.key != "path"


FIELDS = (
    MappedField(None, "external_id", N_("平台订单号")),
    MappedField(None, "status", N_("订单状态")),
    MappedField(None, "created", N_("下单时间")),
    MappedField(None, "modified", N_("最后修改时间")),
    MappedField(None, "paid_at", N_("付款时间")),
    MappedField(None, "ship_by", N_("承诺发货时间")),
    MappedField(None, "payment", N_("实付金额")),
    MappedField(None, "shipping", N_("运费")),
    MappedField(None, "goods_total", N_("平台商品金额")),
    MappedField(None, "buyer_name", N_("买家昵称")),
    MappedField(None, "remark", N_("买家留言")),
    MappedField("receiver", "name", N_("收货人姓名")),
    MappedField("receiver", "phone", N_("收货人电话")),
    MappedField("receiver", "province", N_("省份")),
    MappedField("receiver", "city", N_("城市")),
    MappedField("receiver", "district", N_("区县")),
    MappedField("receiver", "address", N_("详细地址")),
    MappedField("receiver", "town", N_("街道")),
    MappedField("receiver", "postcode", N_("邮编")),
    MappedField("lines", "path", N_("商品明细列表")),
    MappedField("lines", "code", N_("商家编码（对应系统商品）")),
    MappedField("lines", "quantity", N_("商品数量")),
    MappedField("lines", "unit_price", N_("商品单价")),
    MappedField("lines", "title", N_("商品标题")),
    MappedField(None, "time_format", N_("时间格式"), mapping.TIME_FORMATS),
    MappedField(None, "money", N_("金额单位"), mapping.MONEY_UNITS),
)
OPTION_LABELS = {"gmt8": N_("北京时间文本"), "unix": N_("Unix 秒"), "unix_ms": N_("Unix 毫秒"),
                 "yuan": N_("元"), "fen": N_("分")}


def current(override: dict, field: MappedField) -> str:
    """The override's value for ``field``; "" when it keeps the platform's default."""
    value = (override.get(field.group) or {}).get(field.key) if field.group else override.get(field.key)
    return value if isinstance(value, str) else ""


def payload_fields(payload: dict, lines_path: str) -> tuple[list[str], list[str]]:
    """The payload's fields as paths: (those of the order, those of one line item). Lists are walked into
    by their first element (``orders.order.0.title``), the line items' list stops at itself."""
    order_paths: list[str] = []
    _walk(payload, "", order_paths, stop=lines_path)
    items = mapping.get_path(payload, lines_path)
    item_paths: list[str] = []
    if isinstance(items, list) and items and isinstance(items[0], dict):
        _walk(items[0], "", item_paths, stop="")
    elif isinstance(items, dict):
        _walk(items, "", item_paths, stop="")
    return sorted(order_paths), sorted(item_paths)


def _walk(value, prefix: str, found: list[str], stop: str) -> None:
    if prefix and prefix == stop:
        found.append(prefix)
        return
    if isinstance(value, dict):
        for key, inner in value.items():
            _walk(inner, f"{prefix}.{key}" if prefix else str(key), found, stop)
    elif isinstance(value, list):
        if prefix:
            found.append(prefix)  # a list can be the lines' path itself
        if value:
            _walk(value[0], f"{prefix}.0" if prefix else "0", found, stop)
    elif prefix:
        found.append(prefix)


def with_choices(override_text: str, chosen: dict[str, str]) -> str:
    """The JSON override ``override_text`` with the form's choices (form field name → path, "" for the
    platform's default) written over it, as JSON text again (mapping.validate_override judges it).
    Text that is not a JSON object is returned as it is, for the save to report."""
    try:
        override = json.loads(override_text) if (override_text or "").strip() else {}
    except json.JSONDecodeError:
        return override_text
    if not isinstance(override, dict):
        return override_text
    for field in FIELDS:
        if field.name not in chosen:
            continue
        value = (chosen[field.name] or "").strip()
        target = override.setdefault(field.group, {}) if field.group else override
        if not isinstance(target, dict):
            continue
        if value:
            target[field.key] = value
        else:
            target.pop(field.key, None)
        if field.group and not target:
            override.pop(field.group)
    return json.dumps(override, ensure_ascii=False, indent=2) if override else ""
