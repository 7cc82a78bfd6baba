"""Reading an uploaded order file (.xlsx or .csv) into a header row and text rows.

Everything comes out as stripped text, so one set of row rules (import_rows.py) serves both formats:
Excel cells are typed (numbers, dates), CSV cells are not. Chinese Excel saves CSV as GBK, newer tools
as UTF-8 with a BOM; both are read. Numbers are turned into text through their shortest decimal form,
so a price cell holding 59.9 is "59.9" and a phone number stored as a number keeps all its digits.
"""

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from app.domain.errors import ValidationError
from app.text import N_, Text

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20000
KINDS = ("xlsx", "csv")
# gb18030 is a superset of GBK (what Chinese Excel writes for "CSV") and decodes everything GBK does.
CSV_ENCODINGS = ("utf-8-sig", "gb18030")


@dataclass(frozen=True)
class Sheet:
    header: list[str]
    rows: list[list[str]]  # data rows only; row i is line i + 2 of the file (the header is line 1)


def kind_of(filename: str) -> str:
    """"xlsx" or "csv" by the file name; raises ValidationError for anything else."""
    suffix = (filename or "").rsplit(".", 1)[-1].lower()
    if suffix not in KINDS:
        raise ValidationError({"file": N_("只支持 .xlsx 或 .csv 文件")})
    return suffix


def read(content: bytes, kind: str) -> Sheet:
    """The file's header and data rows; raises ValidationError when it cannot be read or is empty."""
    if len(content) > MAX_BYTES:
        raise ValidationError({"file": N_("文件不能超过 5 MB")})
    rows = _xlsx_rows(content) if kind == "xlsx" else _csv_rows(content)
    rows = [row for row in rows if any(cell for cell in row)]
    if not rows:
        raise ValidationError({"file": N_("文件是空的")})
    header = [cell or Text(N_("第 %(column)s 列"), column=index + 1) for index, cell in enumerate(rows[0])]
    if len(rows) - 1 > MAX_ROWS:
        raise ValidationError({"file": Text(N_("一次最多导入 %(limit)s 行"), limit=MAX_ROWS)})
    if len(rows) < 2:
        raise ValidationError({"file": N_("文件只有表头，没有数据行")})
    width = len(header)
    return Sheet(header, [(row + [""] * width)[:width] for row in rows[1:]])


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return str(Decimal(repr(value)))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _xlsx_rows(content: bytes) -> list[list[str]]:
    from openpyxl import load_workbook  # imported here: only imports need it, and it is slow to load

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a damaged or foreign file
        raise ValidationError({"file": N_("无法读取 Excel 文件，请确认是 .xlsx 格式")}) from error
    try:
        sheet = workbook.worksheets[0]
        return [[cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _csv_rows(content: bytes) -> list[list[str]]:
    text = None
    for encoding in CSV_ENCODINGS:
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        raise ValidationError({"file": N_("无法识别文件编码，请另存为 UTF-8 或 GBK 编码的 CSV")})
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
