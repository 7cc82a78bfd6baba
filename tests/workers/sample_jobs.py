"""Tiny jobs for the worker tests, wrapped like the real ones so they run as one unit of work."""

import time

from sqlalchemy import select

from app.domain.reference.models import Carrier
from app.extensions import db
from app.redis_conn import get_redis
from workers.runtime import job


@job
def add_carrier(code: str) -> str:
    db.session.add(Carrier(code=code, name=f"任务创建 {code}"))
    return code


@job
def add_carrier_then_fail(code: str) -> None:
    """Writes, then fails: the wrapper must roll the write back."""
    db.session.add(Carrier(code=code, name="不该留下"))
    db.session.flush()
    raise RuntimeError(f"故意失败 {code}")


@job
def rename_carrier(code: str, new_name: str) -> None:
    """Fails while the carrier does not exist yet, so a retry after creating it succeeds."""
    carrier = db.session.scalar(select(Carrier).where(Carrier.code == code))
    if carrier is None:
        raise LookupError(f"carrier {code} not found")
    carrier.name = new_name


@job
def count_runs_and_hang_the_first(counter_key: str) -> int:
    """Counts its runs in Redis; the first one hangs until its worker is killed."""
    runs = get_redis().incr(counter_key)
    if runs == 1:
        time.sleep(3600)
    return runs


@job
def count_runs(counter_key: str) -> int:
    return get_redis().incr(counter_key)
