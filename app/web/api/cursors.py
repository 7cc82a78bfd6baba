"""The order list's cursor: where the next page starts, as an opaque string.

A list page ends with ``next_cursor``; sent back as ``cursor``, it continues the list after the last
order of that page (newest first: before its ``(created_at, id)``), by an index seek rather than by
skipping the rows before it. So a deep page costs what the first one does, and orders that arrive while
a client walks the list neither repeat an order on the next page nor push one past it, as they do with
``page`` (an offset counted from the newest order at the time of each request).

The string is base64url of ``[created_at, id, page]``: the last order's sort key and the number of the
page it leads to (so that ``next_page`` stays true for cursor clients). It is opaque to clients and
not a secret: the list is always limited to the token's own channel, so a forged cursor can only start
the token's own list elsewhere.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic_core import PydanticCustomError

from app.db import MAX_ROW_ID

#: Far more than any cursor this API writes (about 50 characters).
MAX_LENGTH = 200
MAX_PAGE = 10**9


@dataclass(frozen=True)
class ListCursor:
    created_at: datetime  # aware, UTC
    order_id: int
    page: int  # the page this cursor starts

    def encode(self) -> str:
        data = [self.created_at.astimezone(UTC).isoformat(), self.order_id, self.page]
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def after(created_at: datetime, order_id: int, page: int) -> str:
    """The cursor of the page that follows an order shown last on page ``page - 1``."""
    return ListCursor(created_at, order_id, page).encode()


def read_cursor(value) -> ListCursor:
    """A cursor written by :meth:`ListCursor.encode`; anything else is refused with the reason."""
    if not isinstance(value, str) or not value.strip():
        raise _invalid("须为上一页响应中的 next_cursor")
    if len(value) > MAX_LENGTH:
        raise _invalid("过长")
    text = value.strip()
    try:
        data = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError):
        raise _invalid("无法解码") from None
    if not (isinstance(data, list) and len(data) == 3 and isinstance(data[0], str)
            and all(type(number) is int for number in data[1:])):
        raise _invalid("内容不完整")
    stamp, order_id, page = data
    try:
        created_at = datetime.fromisoformat(stamp)
    except ValueError:
        raise _invalid("时间无效") from None
    if created_at.tzinfo is None:
        raise _invalid("时间缺少时区")
    if not 1 <= order_id <= MAX_ROW_ID or not 2 <= page <= MAX_PAGE:
        raise _invalid("位置无效")
    return ListCursor(created_at.astimezone(UTC), order_id, page)


def _invalid(reason: str) -> PydanticCustomError:
    return PydanticCustomError("cursor", "游标无效（{reason}）：请使用上一页响应中的 next_cursor", {"reason": reason})
