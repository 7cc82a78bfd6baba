"""Which phone numbers a text message can go to."""

import re

_MOBILE = re.compile(r"1[3-9]\d{9}")
_SEPARATORS = re.compile(r"[\s()-]")


def normalise_mobile(phone: str | None) -> str | None:
    """A mainland mobile number as 11 digits, or None for anything that cannot get an SMS.

    Platforms hand out masked numbers (``138****8000``) and virtual numbers with an extension
    (``18877771111-123``, too long once the hyphen goes) for privacy; neither reaches the customer.
    Landlines cannot receive texts either.
    """
    text = (phone or "").strip()
    if "*" in text:
        return None
    digits = _SEPARATORS.sub("", text)
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix):]
            break
    return digits if _MOBILE.fullmatch(digits) else None


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def is_email(address: str | None) -> bool:
    """A plausible address (the relay has the last word; this keeps typos like "abc@qq" out)."""
    return bool(address) and _EMAIL.fullmatch(address.strip()) is not None
