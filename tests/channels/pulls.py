"""Helpers for tests that load Taobao trades into the simulator and pull them through the real sync."""

from datetime import timedelta

import requests
from sqlalchemy import select

from app.db import utcnow
from app.domain.channels import sync
from app.domain.channels.models import ChannelOrder, RunStatus
from app.extensions import db

T0 = utcnow().replace(microsecond=0) - timedelta(minutes=30)


def load_trade(sim, trade: dict) -> None:
    body = {"trades_sold_increment_get_response": {"trades": {"trade": [trade]}}}
    assert requests.post(f"{sim.url}/_sim/orders", json=body, timeout=5).ok


def pull_order(channel, adapter, tid: str):
    """Pull from shortly before T0 and return the (refreshed) order made from ``tid``."""
    report = sync.pull(channel, adapter, checkpoint=db.session.commit, now=utcnow(), since=T0 - timedelta(minutes=5))
    assert report.status == RunStatus.SUCCEEDED, report.errors
    link = db.session.scalar(select(ChannelOrder).where(ChannelOrder.external_id == tid))
    db.session.refresh(link.order)
    return link.order
