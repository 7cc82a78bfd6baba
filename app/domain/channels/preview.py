"""Preview a field mapping against a stored payload before saving it: what order would come out.

Reads only: the mapping is applied and the SKUs resolved, nothing is created or moved.
"""

from dataclasses import dataclass, field

from sqlalchemy import select

from app.db import db
from app.domain.catalog.models import Sku
from app.domain.channels import mapping, skus
from app.domain.channels.adapters.base import PlatformLine, PlatformOrder
from app.domain.channels.models import ChannelOrder, RawPayload
from app.domain.channels.normalise import WALK, spec_for
from app.domain.channels.shop_settings import parse_override
from app.domain.errors import DomainError, ValidationError
from app.domain.orders.states import ACTION_LABELS
from app.domain.reference.models import Channel
from app.text import N_, Text


@dataclass
class Preview:
    view: PlatformOrder | None = None
    lines: list[tuple[PlatformLine, Sku | None]] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    existing: ChannelOrder | None = None
    error: str = ""

    @property
    def stage_label(self) -> str:
        return mapping.STAGE_LABELS.get(self.view.stage, self.view.stage) if self.view else ""


def preview(channel: Channel, override_text: str, payload: RawPayload | None) -> Preview:
    if payload is None or payload.channel_id != channel.id:
        return Preview(error=N_("请选择该渠道的一条原始载荷"))
    try:
        view = mapping.apply(spec_for(channel, parse_override(override_text)), payload.payload)
    except ValidationError as error:
        return Preview(error="；".join(error.fields.values()))
    except DomainError as error:
        return Preview(error=error.message)
    found = skus.resolve(channel, {line.code for line in view.lines})
    existing = db.session.scalar(select(ChannelOrder).where(ChannelOrder.channel_id == channel.id,
                                                            ChannelOrder.external_id == view.external_id))
    steps = [] if existing else [N_("创建订单并预占库存")]
    steps += [ACTION_LABELS[action] for action in WALK[view.stage]]
    if view.stage in ("cancelled", "refunded"):
        steps.append(N_("取消或退款，释放库存"))
    missing = [line.code for line in view.lines if line.code not in found]
    error = Text(N_("%(reason)s：将进入等待商品对应队列"), reason=skus.missing_reason(missing)) if missing and not existing else ""
    return Preview(view=view, lines=[(line, found.get(line.code)) for line in view.lines], steps=steps,
                   existing=existing, error=error)
