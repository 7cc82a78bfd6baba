"""Which provider each channel uses comes from the environment: the simulators in development, nothing
in production until a real provider is configured with its own credentials."""

import pytest

from app.cli import simulators
from app.config import Config, ConfigError

PRODUCTION = {"ORDERHUB_ENV": "production", "SECRET_KEY": "s" * 32, "DATABASE_URL": "postgresql://db/x",
              "REDIS_URL": "redis://r/1", "CREDENTIAL_KEYS": "8T8pV3oDpN9cZ3Hc1Tj0yq6k1Yc2pZ3qM5xW8vB0aE4="}


def test_development_points_every_channel_at_the_local_simulators():
    settings = Config.from_environment({})

    assert (settings["SMS_PROVIDER"], settings["WECHAT_PROVIDER"], settings["EMAIL_PROVIDER"]) == ("simulator",) * 3
    assert settings["SMS_ENDPOINT"] == "http://127.0.0.1:5101/sms/"
    assert settings["WECHAT_API_BASE"] == "http://127.0.0.1:5101/wechat"
    assert (settings["SMTP_HOST"], settings["SMTP_PORT"]) == ("127.0.0.1", 5125)


def test_production_sends_nothing_until_a_real_provider_is_configured():
    settings = Config.from_environment(PRODUCTION)

    assert (settings["SMS_PROVIDER"], settings["WECHAT_PROVIDER"], settings["EMAIL_PROVIDER"]) == ("off",) * 3


def test_a_real_provider_gets_its_public_endpoint_and_the_credentials_given():
    settings = Config.from_environment(PRODUCTION | {
        "SMS_PROVIDER": "aliyun", "SMS_ACCESS_KEY_ID": "LTAI-id", "SMS_ACCESS_KEY_SECRET": "secret",
        "SMS_SIGN_NAME": "小满生活", "SMS_TEMPLATE_CODES": '{"order_paid": "SMS_481700001"}',
        "WECHAT_PROVIDER": "wechat", "WECHAT_APP_ID": "wx0123456789abcdef", "WECHAT_APP_SECRET": "s",
        "EMAIL_PROVIDER": "smtp", "SMTP_HOST": "smtp.exmail.qq.com", "SMTP_SECURITY": "ssl",
        "SMTP_FROM": "小满生活 <service@xiaoman.example>",
    })

    assert settings["SMS_ENDPOINT"] == "https://dysmsapi.aliyuncs.com/"
    assert settings["SMS_TEMPLATE_CODES"] == {"order_paid": "SMS_481700001"}
    assert settings["WECHAT_API_BASE"] == "https://api.weixin.qq.com"
    assert (settings["SMTP_HOST"], settings["SMTP_PORT"]) == ("smtp.exmail.qq.com", 465)


@pytest.mark.parametrize("environ, complaint", [
    ({"SMS_PROVIDER": "aliyun"}, "SMS_ACCESS_KEY_ID, SMS_ACCESS_KEY_SECRET, SMS_SIGN_NAME"),
    ({"WECHAT_PROVIDER": "wechat", "WECHAT_APP_ID": "wx1"}, "WECHAT_APP_SECRET"),
    ({"EMAIL_PROVIDER": "smtp"}, "SMTP_HOST"),
    ({"SMS_PROVIDER": "twilio"}, "simulator, aliyun or off"),
])
def test_a_real_provider_without_its_credentials_refuses_to_start(environ, complaint):
    with pytest.raises(ConfigError, match=complaint):
        Config.from_environment(environ)


def test_run_all_starts_the_simulators_and_tells_the_other_processes_where_they_are():
    development = Config.from_environment({})
    production = Config.from_environment(PRODUCTION)

    assert simulators.needed(development)
    assert not any(name in simulators.environment(production)
                   for name in ("SMS_ENDPOINT", "WECHAT_API_BASE", "SMTP_HOST", "SMTP_PORT"))
    assert simulators.environment(development).items() >= {
        "MESSAGING_SIMULATOR_URL": "http://127.0.0.1:5101", "SMS_ENDPOINT": "http://127.0.0.1:5101/sms/",
        "WECHAT_API_BASE": "http://127.0.0.1:5101/wechat", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": "5125"}.items()
