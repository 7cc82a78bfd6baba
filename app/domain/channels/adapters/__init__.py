"""One adapter per platform, behind the interface in base.py. Adding a platform is one module here
and one line in ADAPTERS (plus its simulator under app/simulators)."""

from app.domain.channels.adapters.base import ChannelAdapter
from app.domain.channels.adapters.douyin import DouyinAdapter
from app.domain.channels.adapters.jd import JdAdapter
from app.domain.channels.adapters.pdd import PddAdapter
from app.domain.channels.adapters.taobao import TaobaoAdapter
from app.domain.channels.adapters.youzan import YouzanAdapter

#: platform code (Channel.platform) → adapter class. Tmall shops speak TOP like Taobao shops.
ADAPTERS: dict[str, type[ChannelAdapter]] = {
    "taobao": TaobaoAdapter,
    "tmall": TaobaoAdapter,
    "jd": JdAdapter,
    "youzan": YouzanAdapter,
    "pdd": PddAdapter,
    "douyin": DouyinAdapter,
}


def adapter_class(platform: str) -> type[ChannelAdapter] | None:
    return ADAPTERS.get(platform)
