"""What every API body model shares: the field types (money, times, strict JSON types), reading a request
into a model, and pydantic's errors as the API's 422 (each bad field named by its JSON path, such as
``receiver.phone`` or ``lines[1].qty``, with a Chinese message).

This is the API's edge only: it turns JSON into Python values of the right type (money strings into
fen, ISO times into aware datetimes). Whether a value is *allowed* (stock, state, a valid tax id) stays
the domain's decision.
"""

import re
from datetime import datetime
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

from flask import request
from pydantic import BaseModel, ConfigDict, PlainValidator, Strict, WithJsonSchema
from pydantic import ValidationError as SchemaError
from pydantic.json_schema import models_json_schema
from pydantic_core import PydanticCustomError

from app.domain.errors import ValidationError
from app.money import yuan_to_fen

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Yuan with at most two decimals, no sign, no exponent: what the platforms send ("59.00").
MONEY_PATTERN = re.compile(r"^\d{1,9}(\.\d{1,2})?$")
#: Money columns are 32-bit integers of fen; one value may not come near that.
MAX_MONEY_FEN = 1_000_000_000  # 10,000,000.00 yuan
MONEY_MESSAGE = '金额须为字符串，单位元，最多两位小数，如 "59.00"'
TIME_MESSAGE = "须为 ISO 8601 时间字符串，如 2026-11-25T10:00:00+08:00"
BODY_MESSAGE = "请求体须为 JSON 对象（Content-Type: application/json）"

Model = TypeVar("Model", bound=BaseModel)


def _money(value: Any) -> int:
    """A yuan string ("59.00") as integer fen. Numbers are refused: JSON numbers are floats."""
    if not isinstance(value, str) or not MONEY_PATTERN.match(value.strip()):
        raise PydanticCustomError("money", MONEY_MESSAGE)
    fen = yuan_to_fen(value)
    if fen > MAX_MONEY_FEN:
        raise PydanticCustomError("money_too_large", "金额过大")
    return fen


def _time(value: Any) -> datetime:
    """ISO 8601; without an offset the time is taken as China time (+08:00)."""
    try:
        parsed = datetime.fromisoformat(value.strip()) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise PydanticCustomError("time", TIME_MESSAGE)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=SHANGHAI)


#: Money in: a yuan string, read as integer fen.
MoneyIn = Annotated[int, PlainValidator(_money), WithJsonSchema({
    "type": "string", "pattern": MONEY_PATTERN.pattern, "examples": ["59.00"],
    "description": "人民币金额，单位元，字符串，最多两位小数；绝不使用浮点数。"})]
#: A time in: ISO 8601, China time when it has no offset.
TimeIn = Annotated[datetime, PlainValidator(_time), WithJsonSchema({
    "type": "string", "format": "date-time", "examples": ["2026-11-25T10:00:00+08:00"],
    "description": "ISO 8601；不带时区时按北京时间"})]
# JSON's own types, strictly: "2" is not a quantity, 1 is not true, 1.5 is not an integer.
StrictText = Annotated[str, Strict()]
StrictInt = Annotated[int, Strict()]
StrictBool = Annotated[bool, Strict()]


class Body(BaseModel):
    """A request body: unknown fields are ignored, a field sent as ``null`` counts as left out (so it
    takes its default, or is named as missing), and text is at most 200 characters unless a field says."""

    model_config = ConfigDict(str_max_length=200)


def parse_body(model: type[Model], *, optional: bool = False) -> Model:
    """The request's JSON object read into ``model``; ``optional``: an empty body reads as ``{}``.
    Raises ValidationError naming every bad field."""
    return validate(model, json_object(optional=optional))


def json_object(*, optional: bool = False) -> dict:
    """The request's body, which must be a JSON object (or, if ``optional``, empty)."""
    if optional and not request.get_data():
        return {}
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationError({"body": BODY_MESSAGE}, "请求体不是有效的 JSON 对象")
    return without_nulls(data)


def without_nulls(data: Any) -> Any:
    """The JSON with every ``null`` member of an object removed: a field sent as null is left out."""
    if isinstance(data, dict):
        return {key: without_nulls(value) for key, value in data.items() if value is not None}
    if isinstance(data, list):
        return [without_nulls(value) for value in data]
    return data


def parse_query(model: type[Model]) -> Model:
    return validate(model, request.args.to_dict())


def validate(model: type[Model], data: Any) -> Model:
    try:
        return model.model_validate(data)
    except SchemaError as error:
        raise ValidationError(fields_of(error)) from error


def fields_of(error: SchemaError) -> dict[str, str]:
    """JSON path → Chinese message, the first message for each path."""
    fields: dict[str, str] = {}
    for item in error.errors():
        fields.setdefault(json_path(item["loc"]), message(item))
    return fields


def json_path(location: tuple) -> str:
    """("lines", 1, "qty") → "lines[1].qty"."""
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "body"


def message(item: dict) -> str:
    """pydantic's error types in the API's words; our own types (money, time, …) carry theirs."""
    context = item.get("ctx", {})
    messages = {
        "missing": "此项必填",
        "string_type": "须为字符串",
        "string_too_long": f"最多 {context.get('max_length')} 个字符",
        "int_type": "须为整数",
        "int_parsing": "须为整数",
        "int_from_float": "须为整数",
        "greater_than_equal": f"须为不小于 {context.get('ge')} 的整数",
        "less_than_equal": f"不能大于 {context.get('le')}",
        "bool_type": "须为 true 或 false",
        "model_type": "须为 JSON 对象",
        "model_attributes_type": "须为 JSON 对象",
        "list_type": "须为数组",
        "too_long": f"最多 {context.get('max_length')} 项",
        "too_short": "至少要有一行",
    }
    return messages.get(item["type"], item["msg"])


def renamed(error: ValidationError, names: dict[str, str], prefix: str = "") -> ValidationError:
    """The domain's error with its field names translated to the API's (``price_fen`` → ``price``)."""
    fields = {prefix + names.get(name, name): text for name, text in error.fields.items()}
    return ValidationError(fields, error.message)


def component_schemas(models: list[type[BaseModel]], mode: str) -> dict[str, dict]:
    """The JSON Schemas (2020-12, the dialect of OpenAPI 3.1) of ``models`` and their parts, each under
    its class name, for ``#/components/schemas``."""
    _, document = models_json_schema([(model, mode) for model in models],
                                     ref_template="#/components/schemas/{model}")
    return document["$defs"]
