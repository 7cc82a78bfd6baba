"""Money is integer fen (分) inside OrderHub and a two-decimal yuan string at its edges."""

from decimal import Decimal, InvalidOperation

FEN_PER_YUAN = 100


class MoneyFormatError(ValueError):
    pass


def yuan_to_fen(text: str | int | Decimal) -> int:
    """``"59.00"`` → 5900. Refuses floats, more than two decimals and non-numbers."""
    if isinstance(text, float):
        raise MoneyFormatError("金额不能是浮点数")
    try:
        amount = Decimal(str(text).strip())
    except InvalidOperation as exc:
        raise MoneyFormatError(f"不是有效的金额: {text!r}") from exc
    if not amount.is_finite() or amount.as_tuple().exponent < -2:
        raise MoneyFormatError(f"金额最多两位小数: {text!r}")
    return int(amount * FEN_PER_YUAN)


def fen_to_yuan(fen: int) -> str:
    """5900 → ``"59.00"``; exact for any integer."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{whole}.{cents:02d}"


def format_money(fen: int | None) -> str:
    """5900 → ``"¥59.00"``, for people."""
    if fen is None:
        return ""
    text = fen_to_yuan(fen)
    return f"-¥{text[1:]}" if text.startswith("-") else f"¥{text}"

