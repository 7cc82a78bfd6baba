"""Request signatures, exactly as the platforms compute them (vectors in tests/channels/test_signing.py).

Taobao TOP, JD JOS and Pinduoduo share one scheme: every parameter but ``sign``, sorted by key in
ASCII order, concatenated as key+value with no separators, wrapped in the app secret, MD5, upper-case
hex. TOP also offers HMAC-MD5 and HMAC-SHA256 over the same string without the wrapping.
"""

import hashlib
import hmac
from collections.abc import Mapping


def sorted_concat(params: Mapping[str, object]) -> str:
    """``k1v1k2v2…`` over every parameter except ``sign`` (and empty ones, which are not sent)."""
    return "".join(f"{key}{value}" for key, value in sorted(params.items())
                   if key != "sign" and value is not None and value != "")


def md5_wrapped(secret: str, params: Mapping[str, object]) -> str:
    """upper(md5(secret + k1v1k2v2… + secret)): TOP ``sign_method=md5``, JD JOS, Pinduoduo."""
    text = secret + sorted_concat(params) + secret
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()


def hmac_hex(secret: str, params: Mapping[str, object], digest: str = "md5") -> str:
    """upper(hmac(secret, k1v1k2v2…)): TOP ``sign_method=hmac`` (md5) and ``hmac-sha256``."""
    return hmac.new(secret.encode("utf-8"), sorted_concat(params).encode("utf-8"), digest).hexdigest().upper()


def top_sign(secret: str, params: Mapping[str, object]) -> str:
    """The signature TOP expects for ``params``, by their own ``sign_method`` (md5 when absent)."""
    method = params.get("sign_method", "md5")
    if method == "md5":
        return md5_wrapped(secret, params)
    if method == "hmac":
        return hmac_hex(secret, params, "md5")
    if method == "hmac-sha256":
        return hmac_hex(secret, params, "sha256")
    raise ValueError(f"unknown sign_method {method!r}")


def constant_time_equal(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode("utf-8"), (given or "").encode("utf-8"))
