"""E-invoice platforms behind one interface (base.py): Nuonuo- or Baiwang-style, chosen by ``EINVOICE_PROVIDER``.

``simulator`` is the Nuonuo-style adapter pointed at the local simulator (app/simulators/einvoice.py),
so the code path tested is the one production runs; ``nuonuo`` points it at Nuonuo with real
credentials. Only workers call a platform, never inside an open database transaction.
"""

from collections.abc import Mapping

from app.domain.invoicing.platforms.base import Platform


class PlatformOff(Exception):
    """``EINVOICE_PROVIDER=off``: nothing is sent; requested invoices wait until a platform is configured."""


def build(config: Mapping) -> Platform:
    """The configured platform's adapter; raises PlatformOff when none is."""
    from app.domain.invoicing.platforms.baiwang import Baiwang
    from app.domain.invoicing.platforms.nuonuo import Nuonuo

    if config["EINVOICE_PROVIDER"] == "off":
        raise PlatformOff("EINVOICE_PROVIDER=off")
    if config["EINVOICE_PROVIDER"] == "baiwang":
        return Baiwang(config["BAIWANG_ENDPOINT"], config["BAIWANG_APP_KEY"], config["BAIWANG_APP_SECRET"],
                       config["BAIWANG_USERNAME"], config["BAIWANG_PASSWORD"], config["BAIWANG_SALT"],
                       config["SELLER_TAX_ID"], timeout=config["EINVOICE_TIMEOUT"])
    return Nuonuo(config["NUONUO_ENDPOINT"], config["NUONUO_APP_KEY"], config["NUONUO_APP_SECRET"],
                  config["NUONUO_ACCESS_TOKEN"], config["SELLER_TAX_ID"], timeout=config["EINVOICE_TIMEOUT"],
                  callback_url=config["EINVOICE_CALLBACK_URL"])
