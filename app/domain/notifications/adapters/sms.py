"""SMS through an Aliyun-style gateway (dysmsapi ``SendSms``): RPC-style, HMAC-SHA1 signed request.

The request names a sign name (签名) and a template code the provider approved, and carries only the
template's values as JSON; the provider renders the text. The answer is ``{"Code": "OK", "BizId": …}``
or an error code. Our row id travels as ``OutId``, so a duplicate after a crash shows up in the
provider's records under the same id.
"""

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime
from urllib.parse import quote

from app.domain.notifications import templates
from app.domain.notifications.adapters import PermanentError, TransientError, http

API_VERSION = "2017-05-25"
#: Worth another try later; every other code (bad number, template, signature, balance) is not.
TRANSIENT_CODES = frozenset({
    "isv.BUSINESS_LIMIT_CONTROL",  # per-number minute/hour throttling
    "Throttling", "Throttling.User", "Throttling.Api", "ServiceUnavailable", "InternalError",
    "isp.SYSTEM_ERROR",
})


def percent_encode(value: str) -> str:
    """RFC 3986 encoding, as the RPC signature specifies (space → %20, ``~`` kept)."""
    return quote(str(value), safe="~")


def signature(params: dict[str, str], secret: str, method: str = "POST") -> str:
    """Base64(HMAC-SHA1(secret + "&", METHOD&%2F&encoded(sorted query))), the RPC v1.0 signature."""
    canonical = "&".join(f"{percent_encode(key)}={percent_encode(params[key])}" for key in sorted(params))
    string_to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunSms:
    def __init__(self, endpoint: str, access_key_id: str, access_key_secret: str, sign_name: str,
                 template_codes: dict | None = None):
        self.endpoint = endpoint
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.sign_name = sign_name
        self.template_codes = template_codes or {}

    def send(self, message) -> str:
        params = self.request_params(message)
        params["Signature"] = signature(params, self.access_key_secret)
        status, body = http.post_form(self.endpoint, params)
        code = body.get("Code")
        if code == "OK" and body.get("BizId"):
            return str(body["BizId"])
        error = f"{code or f'HTTP {status}'}：{body.get('Message', '')}"
        if code in TRANSIENT_CODES or status >= 500:
            raise TransientError(error)
        raise PermanentError(error)

    def request_params(self, message, now: datetime | None = None) -> dict[str, str]:
        now = now or datetime.now(UTC)
        return {
            "AccessKeyId": self.access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "OutId": str(message.id),
            "PhoneNumbers": message.recipient,
            "RegionId": "cn-hangzhou",
            "SignName": self.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": templates.sms_template_code(message.template, self.template_codes),
            "TemplateParam": json.dumps(templates.sms_params(message.template, message.params),
                                        ensure_ascii=False, separators=(",", ":")),
            "Timestamp": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": API_VERSION,
        }
