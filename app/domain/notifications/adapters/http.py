"""The little HTTP the adapters need (stdlib only), with network failures turned into TransientError."""

import json
from http.client import HTTPException
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from app.domain.notifications.adapters import TransientError
from app.text import N_, Text

TIMEOUT = 10  # seconds; far inside the send job's own timeout


def post_form(url: str, fields: dict[str, str], timeout: float = TIMEOUT) -> tuple[int, dict]:
    body = urlencode(fields).encode()
    return _exchange(Request(url, data=body, method="POST",
                             headers={"Content-Type": "application/x-www-form-urlencoded"}), timeout)


def post_json(url: str, payload: dict, timeout: float = TIMEOUT) -> tuple[int, dict]:
    body = json.dumps(payload, ensure_ascii=False).encode()
    return _exchange(Request(url, data=body, method="POST",
                             headers={"Content-Type": "application/json; charset=utf-8"}), timeout)


def get_json(url: str, timeout: float = TIMEOUT) -> tuple[int, dict]:
    return _exchange(Request(url, method="GET"), timeout)


def _exchange(request: Request, timeout: float) -> tuple[int, dict]:
    """(HTTP status, JSON body). Error statuses with a JSON body are returned for the adapter to read
    the provider's error code; no answer, or one that is not JSON, is transient."""
    try:
        with urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except HTTPError as error:
        status, raw = error.code, error.read()
    except (URLError, TimeoutError, ConnectionError, HTTPException) as error:
        raise TransientError(Text(N_("网络错误：%(error)s"), error=str(getattr(error, "reason", error)))) from error
    try:
        body = json.loads(raw or b"{}")
    except ValueError as error:
        raise TransientError(Text(N_("HTTP %(status)s：应答不是 JSON"), status=status)) from error
    if not isinstance(body, dict):
        raise TransientError(Text(N_("HTTP %(status)s：应答格式不对"), status=status))
    return status, body
