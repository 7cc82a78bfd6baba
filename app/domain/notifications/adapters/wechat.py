"""WeChat official-account template messages (模板消息): an access token, then ``message/template/send``.

The token (``/cgi-bin/token``, valid 7200 s) is shared by every worker through Redis: WeChat limits
how often it may be fetched, and fetching one retires the previous after a few minutes, so each worker
keeping its own would keep invalidating the others'. A token the API calls invalid (expired early,
retired by a fetch elsewhere) is fetched anew once. ``client_msg_id`` is our row id: WeChat sends one
message per (openid, client_msg_id) within its dedupe window, which absorbs a resend after a crash.
"""

from urllib.parse import urlencode

from app.domain.notifications import templates
from app.domain.notifications.adapters import PermanentError, TransientError, http
from app.text import N_, Text

TOKEN_INVALID = frozenset({40001, 40014, 42001})  # invalid credential / access_token, token expired
TRANSIENT_CODES = frozenset({-1, 45009, 45011})  # system busy, API quota reached, too frequent
TOKEN_MARGIN = 300  # seconds before WeChat's expiry that we stop using a token


class WeChatTemplates:
    def __init__(self, api_base: str, app_id: str, app_secret: str, template_ids: dict | None = None,
                 cache=None):
        self.api_base = api_base.rstrip("/")
        self.app_id = app_id
        self.app_secret = app_secret
        self.template_ids = template_ids or {}
        self.cache = cache

    @property
    def token_key(self) -> str:
        return f"orderhub:wechat:access_token:{self.app_id}"

    def send(self, message) -> str:
        payload = {
            "touser": message.recipient,
            "template_id": templates.wechat_template_id(message.template, self.template_ids),
            "data": templates.wechat_data(message.template, message.params),
            "client_msg_id": f"orderhub-{message.id}",
        }
        for fresh_token in (False, True):
            url = f"{self.api_base}/cgi-bin/message/template/send?access_token={self.access_token(fresh_token)}"
            status, body = http.post_json(url, payload)
            errcode = body.get("errcode", 0 if status < 400 else None)
            if errcode == 0 and "msgid" in body:
                return str(body["msgid"])
            if errcode in TOKEN_INVALID and not fresh_token:
                continue
            error = f"{errcode}：{body.get('errmsg', f'HTTP {status}')}"
            if errcode in TRANSIENT_CODES or errcode in TOKEN_INVALID or status >= 500:
                raise TransientError(error)
            raise PermanentError(error)
        raise AssertionError("unreachable")

    def access_token(self, refresh: bool = False) -> str:
        if not refresh and self.cache is not None and (cached := self.cache.get(self.token_key)):
            return cached.decode() if isinstance(cached, bytes) else cached
        query = urlencode({"grant_type": "client_credential", "appid": self.app_id, "secret": self.app_secret})
        status, body = http.get_json(f"{self.api_base}/cgi-bin/token?{query}")
        token = body.get("access_token")
        if not token:
            error = Text(N_("获取 access_token 失败 %(code)s：%(reason)s"), code=body.get("errcode"),
                         reason=body.get("errmsg", f"HTTP {status}"))
            raise (TransientError if body.get("errcode") in TRANSIENT_CODES or status >= 500 else PermanentError)(error)
        if self.cache is not None:
            self.cache.set(self.token_key, token, ex=max(int(body.get("expires_in", 7200)) - TOKEN_MARGIN, 60))
        return token
