"""A carrier's rate card as a spreadsheet, in the shape carriers hand theirs out: one row per origin ×
destination province, prices in yuan, weights in kg.

``read`` turns an uploaded .xlsx into rows and names every bad row with what is wrong with it (a cell
that is not a number, a province that does not exist, a repeated pair), so a file is either taken whole
or not at all; ``write`` produces the same layout, so an export edited in Excel imports back.
"""

import io
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from app.domain.errors import ValidationError
from app.domain.reference.places import locate
from app.domain.routing.cards import RateRow, check_rows
from app.domain.routing.models import RateCard
from app.money import fen_to_yuan
from app.text import N_, Text

MAX_BYTES = 2 * 1024 * 1024
#: (header, RateRow field, kind). The headers are what the carriers' own price lists call these columns.
COLUMNS = (
    (N_("始发省"), "origin_province", "text"),
    (N_("目的省"), "destination_province", "text"),
    (N_("首重（公斤）"), "first_weight_g", "kg"),
    (N_("首重价格（元）"), "first_fen", "yuan"),
    (N_("续重单价（元/公斤）"), "extra_fen_per_kg", "yuan"),
    (N_("续重步长（公斤）"), "step_g", "kg"),
    (N_("抛重系数"), "volumetric_divisor", "int"),
    (N_("偏远附加费（元）"), "surcharge_fen", "yuan"),
    (N_("时效（天）"), "transit_days", "int"),
    (N_("是否配送"), "served", "yes_no"),
)
#: The domain check's field names (the API's) → the column they come from.
CHECK_FIELDS = {"from": "origin_province", "to": "destination_province", "first_kg": "first_weight_g",
                "first_price": "first_fen", "additional_price_per_kg": "extra_fen_per_kg",
                "weight_step_kg": "step_g", "volumetric_divisor": "volumetric_divisor",
                "remote_surcharge": "surcharge_fen", "days": "transit_days"}
HEADERS = {field: header for header, field, _kind in COLUMNS}
YES = {"是", "y", "yes", "1", "true", "配送"}
NO = {"否", "n", "no", "0", "false", "不配送"}
FIRST_DATA_LINE = 2  # line 1 is the header


def read(content: bytes) -> list[RateRow]:
    """The file's rows; a ValidationError naming every bad cell by ``cell_key`` (line in the file, column)."""
    cells = _cells(content)
    rows, errors, lines = [], {}, []
    for line, values in enumerate(cells, start=FIRST_DATA_LINE):
        if not any(value not in (None, "") for value in values):
            continue
        parsed = {}
        for (_header, field, kind), value in zip(COLUMNS, values, strict=False):
            try:
                parsed[field] = _parse(kind, value)
            except ValueError as error:
                errors[cell_key(line, field)] = error.args[0]
        if len(parsed) == len(COLUMNS):
            rows.append(RateRow(**parsed))
            lines.append(line)
        else:  # the row's other cells are still checked, so that one upload names every problem
            errors |= _province_errors(line, parsed)
    if not rows and not errors:
        raise ValidationError({"file": N_("文件只有表头，没有数据行")})
    try:
        check_rows(rows, "rows")
    except ValidationError as error:
        errors |= _by_line(error, lines)
    if errors:
        raise ValidationError(dict(sorted(errors.items(), key=lambda item: _order_of(item[0]))))
    return rows


def write(cards: list[RateCard], translate=str) -> bytes:
    from openpyxl import Workbook  # imported here: slow to load, and only these two need it

    book = Workbook()
    sheet = book.active
    sheet.title = translate(N_("运费模板"))
    sheet.append([translate(header) for header, _field, _kind in COLUMNS])
    for card in cards:
        sheet.append([_shown(kind, getattr(card, field), translate) for _header, field, kind in COLUMNS])
    content = io.BytesIO()
    book.save(content)
    return content.getvalue()


def _cells(content: bytes) -> list[tuple]:
    from openpyxl import load_workbook

    if len(content) > MAX_BYTES:
        raise ValidationError({"file": N_("文件不能超过 2 MB")})
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        rows = list(book.worksheets[0].iter_rows(values_only=True))
    except Exception as error:  # openpyxl raises many types for a damaged or foreign file
        raise ValidationError({"file": N_("无法读取 Excel 文件，请确认是 .xlsx 格式")}) from error
    if not rows:
        raise ValidationError({"file": N_("文件是空的")})
    return [(tuple(row) + (None,) * len(COLUMNS))[:len(COLUMNS)] for row in rows[1:]]


def _parse(kind: str, value):
    text = _text(value)
    if kind == "text":
        if not text:
            raise ValueError(N_("此项必填"))
        return text
    if kind == "yes_no":
        if text.lower() in YES or not text:
            return True
        if text.lower() in NO:
            return False
        raise ValueError(N_("应填「是」或「否」"))
    number = _number(text)
    scale = {"kg": 1000, "yuan": 100, "int": 1}[kind]
    scaled = number * scale
    if scaled != scaled.to_integral_value():
        raise ValueError({"kg": N_("重量最多精确到克（三位小数）"), "yuan": N_("金额最多两位小数"),
                          "int": N_("应为整数")}[kind])
    return int(scaled)


def _number(text: str) -> Decimal:
    if not text:
        raise ValueError(N_("此项必填"))
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise ValueError(Text(N_("不是数字: %(value)s"), value=text))
    return number


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(Decimal(repr(value)))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _shown(kind: str, value, translate):
    if kind == "kg":
        return float(Decimal(value) / 1000)
    if kind == "yuan":
        return float(fen_to_yuan(value))
    if kind == "yes_no":
        return translate(N_("是") if value else N_("否"))
    return value


def _province_errors(line: int, parsed: dict) -> dict[str, str]:
    return {cell_key(line, field): Text(N_("省份无法识别: %(name)s"), name=parsed[field])
            for field in ("origin_province", "destination_province") if field in parsed and locate(parsed[field]) is None}


def cell_key(line: int, field: str) -> str:
    """``"7:first_fen"``: line 7 of the file, the 首重价格 column."""
    return f"{line}:{field}"


def cell_of(key: str) -> tuple[int, str] | None:
    """(line, column header) of a ``cell_key``; None for an error about the whole file."""
    line, _, field = key.partition(":")
    return (int(line), HEADERS[field]) if line.isdigit() and field in HEADERS else None


def _by_line(error: ValidationError, lines: list[int]) -> dict[str, str]:
    """``rows[3].first_price`` (the check's path) → the cell of that row in the file."""
    named = {}
    for path, message in error.fields.items():
        index, _, field = path.removeprefix("rows[").partition("].")
        if not field:  # the whole card: too many rows
            named["file"] = message
            continue
        named[cell_key(lines[int(index)], CHECK_FIELDS[field])] = message
    return named


def _order_of(key: str) -> tuple[int, int]:
    cell = cell_of(key)
    if cell is None:
        return (0, 0)
    return (cell[0], list(HEADERS).index(key.partition(":")[2]))
