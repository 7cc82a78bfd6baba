"""Provider adapters: ``send(message) -> provider_id``, raising TransientError or PermanentError.

One class per protocol. The simulator and the real provider are the same class pointed at another
endpoint with other credentials (``build`` reads which from the settings), so the code paths tested
against the simulators are the ones production runs. Only workers call ``send``.
"""

from collections.abc import Mapping
from typing import Protocol

from app.domain.notifications.models import MessageChannel
from app.text import N_, Text


class DeliveryError(Exception):
    """The provider did not take the message; ``str(error)`` is what staff see."""


class TransientError(DeliveryError):
    """It may work later: network trouble, throttling, the provider busy."""


class PermanentError(DeliveryError):
    """Retrying will not help: a bad number or address, an unknown template, rejected credentials."""


class ChannelOff(PermanentError):
    """The channel is switched off in the settings (``*_PROVIDER=off``): not sent, on purpose."""


class Adapter(Protocol):
    def send(self, message) -> str:
        """Hand ``message`` (an outbox.Outgoing) to the provider and return the provider's id for it."""


PROVIDER_SETTINGS = {
    MessageChannel.SMS: ("SMS_PROVIDER", N_("短信")),
    MessageChannel.WECHAT: ("WECHAT_PROVIDER", N_("微信")),
    MessageChannel.EMAIL: ("EMAIL_PROVIDER", N_("邮件")),
}


def build(channel: str, config: Mapping, cache=None) -> Adapter:
    """The adapter for ``channel`` as configured (``config``: the app's settings; ``cache``: a Redis
    client for what all workers share, such as WeChat's access token). Raises ChannelOff."""
    from app.domain.notifications.adapters import email, sms, wechat  # each pulls in its own protocol

    setting, label = PROVIDER_SETTINGS[MessageChannel(channel)]
    if config[setting] == "off":
        raise ChannelOff(Text(N_("%(channel)s通道未启用（%(setting)s=off）"), channel=Text(label), setting=setting))
    if channel == MessageChannel.SMS:
        return sms.AliyunSms(config["SMS_ENDPOINT"], config["SMS_ACCESS_KEY_ID"], config["SMS_ACCESS_KEY_SECRET"],
                             config["SMS_SIGN_NAME"], config["SMS_TEMPLATE_CODES"])
    if channel == MessageChannel.WECHAT:
        return wechat.WeChatTemplates(config["WECHAT_API_BASE"], config["WECHAT_APP_ID"],
                                      config["WECHAT_APP_SECRET"], config["WECHAT_TEMPLATE_IDS"], cache)
    return email.SmtpEmail(config["SMTP_HOST"], config["SMTP_PORT"], config["SMTP_USER"], config["SMTP_PASSWORD"],
                           config["SMTP_SECURITY"], config["SMTP_FROM"])
