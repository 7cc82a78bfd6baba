"""The one masking module: every page, export and label that shows personal data goes through here.

PIPL asks us to show no more personal information than a screen needs (minimisation, Arts. 6, 51);
platform practice on customer pages is the first character of a name, the first three and last four
digits of a phone, and an address down to its district. Keeping the rules in one place means a stricter
rule (the e-waybill standard hides at least six phone digits) is a change here, not a hunt through
templates. Functions accept None and empty strings, because optional fields reach templates as either.
"""

import hashlib
import hmac
import re

MASK = "*"
#: An 11-digit mainland mobile number standing on its own inside free text.
_MOBILE_IN_TEXT = re.compile(r"(?<!\d)(1\d{2})\d{4}(\d{4})(?!\d)")


def mask_name(name: str | None) -> str:
    """张晓雯 → 张*: one star whatever the length, so the mask does not tell how long the name is."""
    name = (name or "").strip()
    return f"{name[0]}{MASK}" if name else ""


def mask_phone(phone: str | None) -> str:
    """13800138000 → 138****8000; a short number keeps only its last two digits."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) > 11 and digits.startswith(("0086", "86")) and digits[-11] == "1":
        digits = digits[-11:]  # +86 / 0086 before a mobile number: mask the number itself
    if len(digits) >= 11:
        return digits[:3] + MASK * (len(digits) - 7) + digits[-4:]
    if len(digits) > 2:
        return MASK * (len(digits) - 2) + digits[-2:]
    return MASK * len(digits)


def mask_address(province: str | None, city: str | None, district: str | None, detail: str | None) -> str:
    """Down to the district, the street and house number hidden: "上海市 上海市 浦东新区 ****"."""
    region = " ".join(part.strip() for part in (province, city, district) if part and part.strip())
    if not (detail or "").strip():
        return region
    return f"{region} {MASK * 4}".strip()


def mask_waybill(number: str | None) -> str:
    """YT1234567890 → YT******7890: enough to match the parcel in hand, not to look it up elsewhere."""
    number = (number or "").strip()
    if len(number) <= 6:
        return MASK * len(number)
    return number[:2] + MASK * (len(number) - 6) + number[-4:]


def mask_email(email: str | None) -> str:
    """zhang.xiaowen@example.com → z***@example.com."""
    local, at, domain = (email or "").strip().partition("@")
    if not at:
        return MASK * 3 if local else ""
    return f"{local[:1]}{MASK * 3}@{domain}"


def mask_phones_in(text: str | None) -> str:
    """Free text (a carrier's tracking note, say) with any mobile number in it masked."""
    return _MOBILE_IN_TEXT.sub(lambda match: f"{match[1]}{MASK * 4}{match[2]}", text or "")


def pseudonym(value: str, key: str | bytes) -> str:
    """A keyed, stable stand-in for ``value`` (a phone) for Redis keys and logs: no plaintext there,
    and without the key nobody can test guesses against it."""
    key_bytes = key.encode() if isinstance(key, str) else key
    return hmac.new(key_bytes, value.encode(), hashlib.sha256).hexdigest()[:32]
