"""The errors the domain raises, as data: a stable ``code``, a kind, and a message template with values.

Nothing here knows HTTP or Flask: ``app/web/errors.py`` maps each kind to a status and renders the
message in the request's language; the API's JSON keeps the Chinese rendering (``str(error.message)``).

    raise Conflict(N_("订单已出库，不能更换仓库"))
    raise NotFound(N_("订单 %(order_no)s 不存在"), order_no=order_no, details={"order_no": order_no})
    raise ValidationError({"reason": Text(N_("原因最多 %(limit)s 字"), limit=MAX_REASON_LENGTH)})
"""

from enum import StrEnum

from app.text import N_, Text


class ErrorKind(StrEnum):
    """What went wrong, in the caller's terms; the web layer turns it into an HTTP status."""

    BAD_REQUEST = "bad_request"
    INVALID = "invalid"
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    CONFLICT = "conflict"


class DomainError(Exception):
    kind = ErrorKind.BAD_REQUEST
    code = "bad_request"

    def __init__(self, template: str, *, details: dict | None = None, **params):
        self.message = Text(template, **params)
        self.details = details or {}
        super().__init__(self.message)


class ValidationError(DomainError):
    """Input that breaks a rule; ``fields`` maps field paths to messages (``details["fields"]`` too).

    A field message is an ``N_``-marked text or a ``Text`` with values; plain strings are wrapped so that
    every message can be translated the same way.
    """

    kind = ErrorKind.INVALID
    code = "validation_error"

    def __init__(self, fields: dict[str, str], template: str = N_("输入有误"), **params):
        self.fields = {path: message if isinstance(message, Text) else Text(message)
                       for path, message in fields.items()}
        super().__init__(template, details={"fields": self.fields}, **params)


class NotFound(DomainError):
    kind = ErrorKind.NOT_FOUND
    code = "not_found"


class PermissionDenied(DomainError):
    kind = ErrorKind.FORBIDDEN
    code = "forbidden"


class Conflict(DomainError):
    kind = ErrorKind.CONFLICT
    code = "conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class OutOfStock(Conflict):
    code = "out_of_stock"


class IdempotencyConflict(Conflict):
    code = "idempotency_conflict"
