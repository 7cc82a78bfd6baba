"""Reading JSON bodies and query strings: types, shapes and lengths, each bad field named by its path.

This is the API's edge only: it turns JSON into Python values of the right type (money strings into
fen, ISO times into aware datetimes) and reports every field it could not, as ``receiver.phone`` or
``lines[1].qty``, the same names the domain's ValidationError uses. Whether a value is *allowed*
(stock, state, a valid tax id) stays the domain's decision.
"""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import request

from app.domain.errors import ValidationError
from app.money import yuan_to_fen

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Yuan with at most two decimals, no sign, no exponent: what the platforms send ("59.00").
MONEY_PATTERN = re.compile(r"^\d{1,9}(\.\d{1,2})?$")
#: Money columns are 32-bit integers of fen; one value may not come near that.
MAX_MONEY_FEN = 1_000_000_000  # 10,000,000.00 yuan
MAX_INTEGER = 1_000_000_000
MONEY_MESSAGE = '金额须为字符串，单位元，最多两位小数，如 "59.00"'
_MISSING = object()


class Body:
    """One JSON object (or a nested one) whose fields are read with a type each.

    Nested objects share the root's error collection, so one ValidationError names every bad field.
    """

    def __init__(self, data: dict, prefix: str = "", errors: dict[str, str] | None = None):
        self.data = data
        self.prefix = prefix
        self.errors: dict[str, str] = {} if errors is None else errors

    @classmethod
    def from_request(cls, *, optional: bool = False) -> "Body":
        """The JSON object in the request body; ``optional``: an empty body reads as ``{}``."""
        if optional and not request.get_data():
            return cls({})
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise ValidationError({"body": "请求体须为 JSON 对象（Content-Type: application/json）"},
                                  "请求体不是有效的 JSON 对象")
        return cls(data)

    @classmethod
    def from_query(cls) -> "Body":
        return cls(request.args.to_dict())

    def path(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def has(self, name: str) -> bool:
        return self.data.get(name) is not None

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(self.path(name), message)

    def _get(self, name: str, required: bool):
        value = self.data.get(name, _MISSING)
        if value is _MISSING or value is None:
            if required:
                self.fail(name, "此项必填")
            return _MISSING
        return value

    def text(self, name: str, *, required: bool = False, max_length: int = 200, default: str = "") -> str:
        value = self._get(name, required)
        if value is _MISSING:
            return default
        if not isinstance(value, str):
            self.fail(name, "须为字符串")
            return default
        if required and not value.strip():
            self.fail(name, "此项必填")
        elif len(value) > max_length:
            self.fail(name, f"最多 {max_length} 个字符")
            return default
        return value

    def optional_text(self, name: str, *, max_length: int = 200) -> str | None:
        return self.text(name, max_length=max_length) if self.has(name) else None

    def integer(self, name: str, *, required: bool = False, minimum: int | None = None,
                maximum: int = MAX_INTEGER, default: int | None = None) -> int | None:
        value = self._get(name, required)
        if value is _MISSING:
            return default
        # bool is an int in Python but never a quantity in JSON.
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(name, "须为整数")
            return default
        if minimum is not None and value < minimum:
            self.fail(name, f"须为不小于 {minimum} 的整数")
            return default
        if value > maximum:
            self.fail(name, f"不能大于 {maximum}")
            return default
        return value

    def money(self, name: str, *, required: bool = False, default: int | None = None) -> int | None:
        """A yuan string ("59.00") as integer fen. Numbers are refused: JSON numbers are floats."""
        value = self._get(name, required)
        if value is _MISSING:
            return default
        if not isinstance(value, str) or not MONEY_PATTERN.match(value.strip()):
            self.fail(name, MONEY_MESSAGE)
            return default
        fen = yuan_to_fen(value)
        if fen > MAX_MONEY_FEN:
            self.fail(name, "金额过大")
            return default
        return fen

    def boolean(self, name: str, *, default: bool = False) -> bool:
        value = self._get(name, False)
        if value is _MISSING:
            return default
        if not isinstance(value, bool):
            self.fail(name, "须为 true 或 false")
            return default
        return value

    def timestamp(self, name: str) -> datetime | None:
        """ISO 8601; without an offset the time is taken as China time (+08:00)."""
        value = self._get(name, False)
        if value is _MISSING:
            return None
        return parse_time(value, lambda message: self.fail(name, message))

    def obj(self, name: str, *, required: bool = False) -> "Body | None":
        value = self._get(name, required)
        if value is _MISSING:
            return None
        if not isinstance(value, dict):
            self.fail(name, "须为 JSON 对象")
            return None
        return Body(value, f"{self.path(name)}.", self.errors)

    def items(self, name: str, *, required: bool = False, max_items: int = 200) -> list["Body"] | None:
        """A list of objects, each read as a Body named ``name[i].``; None when absent."""
        value = self._get(name, required)
        if value is _MISSING:
            return None
        if not isinstance(value, list):
            self.fail(name, "须为数组")
            return []
        if len(value) > max_items:
            self.fail(name, f"最多 {max_items} 项")
            return []
        rows = []
        for index, item in enumerate(value):
            item_name = f"{name}[{index}]"
            if isinstance(item, dict):
                rows.append(Body(item, f"{self.path(item_name)}.", self.errors))
            else:
                self.fail(item_name, "须为 JSON 对象")
        return rows

    def raise_if_errors(self) -> None:
        if self.errors:
            raise ValidationError(dict(self.errors))


def parse_time(value, fail) -> datetime | None:
    if not isinstance(value, str):
        fail("须为 ISO 8601 时间字符串，如 2026-11-25T10:00:00+08:00")
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        fail("须为 ISO 8601 时间字符串，如 2026-11-25T10:00:00+08:00")
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=SHANGHAI)


def renamed(error: ValidationError, names: dict[str, str], prefix: str = "") -> ValidationError:
    """The domain's error with its field names translated to the API's (``price_fen`` → ``price``)."""
    fields = {prefix + names.get(name, name): message for name, message in error.fields.items()}
    return ValidationError(fields, error.message)
