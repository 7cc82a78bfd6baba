"""Per-shop call limits kept in Redis, so that any number of workers together stay under them.

A fixed one-second window per channel: INCR the counter of the current second; past the limit, wait
for the next second. A platform's own "ban for N seconds" is shared the same way: one worker that
hears it makes every other worker pulling or pushing for that shop wait too. Redis holds only these
short-lived counters; losing them costs at most one second of unthrottled calls.
"""

import time
from collections.abc import Callable

from app.redis_conn import get_redis

PREFIX = "orderhub:channels:ratelimit"


class ChannelLimiter:
    def __init__(self, channel_id: int, per_second: int, *, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time, redis=None):
        self.channel_id = channel_id
        self.per_second = max(1, per_second)
        self.sleep = sleep
        self.clock = clock
        self.redis = redis or get_redis()
        self.own_ban_until = 0.0  # a ban this limiter set: its adapter sleeps that one out itself

    @property
    def ban_key(self) -> str:
        return f"{PREFIX}:{self.channel_id}:ban"

    def wait(self) -> None:
        """Return once this process may make one more call for the shop."""
        banned_until = float(self.redis.get(self.ban_key) or 0)
        if banned_until > self.clock() and banned_until > self.own_ban_until:
            self.sleep(banned_until - self.clock())
        for _ in range(100):  # bounded: a stuck clock must not spin forever
            second = int(self.clock())
            key = f"{PREFIX}:{self.channel_id}:{second}"
            with self.redis.pipeline() as pipeline:
                pipeline.incr(key)
                pipeline.expire(key, 2)
                count, _ = pipeline.execute()
            if count <= self.per_second:
                return
            self.sleep(max(0.01, second + 1 - self.clock()))

    def ban(self, seconds: float) -> None:
        """The platform told us to stop for ``seconds``: every worker of this shop waits that long."""
        until = self.clock() + seconds
        self.own_ban_until = until
        self.redis.set(self.ban_key, str(until), px=max(1, int(seconds * 1000)))
