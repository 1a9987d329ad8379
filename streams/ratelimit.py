"""What one person may do on one board, whatever the number of their sockets: an op budget
(a token bucket, `rate` a second sustained, `burst` at once) and at most `sockets`
connections, the oldest closed when another one opens (docs/realtime.md, "Limits").

Both hold across every socket of the person on the board:

* With Redis (`VSM_WS_LIMITS_REDIS_URL`, set whenever `REDIS_URL` is), across every server
  process: the bucket is a Redis hash changed by one Lua script (atomic, on Redis's clock), the
  sockets a sorted set by connection time, trimmed by another. A socket of a process that died
  stays in the set until it is the oldest one to close, which costs nothing.
* Without Redis (the embedded default, one process), in this process.

Should Redis fail, the process counts on its own (and logs it) rather than refuse anyone.

Apart from the budget, each socket is read at a pace (`Limits.frame_pace`, in this process): a
client that sends frames of any kind (cursors, pings, refused ops) faster than a person could
is read more slowly, so one socket cannot take the server's loop from everyone else's.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

logger = logging.getLogger(__name__)


class TokenBucket:
    """Starts full. `take()` spends tokens if there are enough and says whether it did.

    Not thread-safe: used from one event loop.
    """

    def __init__(
        self, *, rate: float, burst: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = float(rate)
        self.burst = float(burst)
        self._clock = clock
        self._tokens = self.burst
        self._stamp = clock()

    def take(self, cost: float = 1.0) -> bool:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        if self._tokens < cost:
            return False
        self._tokens -= cost
        return True

    def owe(self, cost: float = 1.0) -> float:
        """Spends `cost` tokens even if there are not enough, and returns the seconds until
        the bucket is out of debt (0.0 when it had them). A caller that waits that long before
        its next `owe()` is held to `rate` once its burst is spent, and never refused."""
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate) - cost
        self._stamp = now
        return max(0.0, -self._tokens / self.rate)


@dataclass(frozen=True)
class Limits:
    rate: float  # ops a second, sustained
    burst: float  # ops at once
    sockets: int  # connections at once
    frame_rate: float = 100.0  # frames of any kind read from one socket a second, sustained
    frame_burst: float = 200.0  # frames of any kind read at once

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            rate=float(getattr(settings, "VSM_WS_OP_RATE", 30)),
            burst=float(getattr(settings, "VSM_WS_OP_BURST", 60)),
            sockets=int(getattr(settings, "VSM_WS_SOCKETS_PER_PERSON", 5)),
            frame_rate=float(getattr(settings, "VSM_WS_FRAME_RATE", 100)),
            frame_burst=float(getattr(settings, "VSM_WS_FRAME_BURST", 200)),
        )

    def frame_pace(self) -> TokenBucket:
        """One socket's reading pace: past `frame_burst`, its frames are read at most
        `frame_rate` a second. The socket waits (`TokenBucket.owe`) rather than refusing, so
        the sender is slowed by TCP, not answered, and no frame is lost."""
        return TokenBucket(rate=self.frame_rate, burst=self.frame_burst)


Person = tuple[int, int]  # (stream id, user id)


class LocalLimits:
    """The limits kept by this process alone."""

    def __init__(self) -> None:
        self._buckets: dict[Person, TokenBucket] = {}
        self._sockets: dict[Person, dict[str, None]] = {}  # conns, oldest first

    async def take(self, person: Person, cost: float, limits: Limits) -> bool:
        bucket = self._buckets.get(person)
        if bucket is None or (bucket.rate, bucket.burst) != (limits.rate, limits.burst):
            bucket = self._buckets[person] = TokenBucket(rate=limits.rate, burst=limits.burst)
        return bucket.take(cost)

    async def joined(self, person: Person, conn: str, limits: Limits) -> list[str]:
        conns = self._sockets.setdefault(person, {})
        conns[conn] = None
        over = len(conns) - limits.sockets
        return list(conns)[:over] if over > 0 else []

    async def left(self, person: Person, conn: str) -> None:
        conns = self._sockets.get(person)
        if conns is None:
            return
        conns.pop(conn, None)
        if not conns:  # the person's last socket here: the budget refills by itself anyway
            del self._sockets[person]
            self._buckets.pop(person, None)


# KEYS[1]: the bucket; ARGV: rate, burst, cost. 1 if the tokens were spent.
TAKE = """
local rate, burst, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens = tonumber(state[1]) or burst
local stamp = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate)
local spent = 0
if tokens >= cost then
  tokens = tokens - cost
  spent = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return spent
"""
# KEYS[1]: the person's sockets; ARGV: conn, most sockets, ttl. The conns to close.
JOIN = """
local clock = redis.call('TIME')
redis.call('ZADD', KEYS[1], tonumber(clock[1]) * 1000000 + tonumber(clock[2]), ARGV[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
local over = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[2])
local closing = {}
if over > 0 then
  local oldest = redis.call('ZPOPMIN', KEYS[1], over)
  for index = 1, #oldest, 2 do
    table.insert(closing, oldest[index])
  end
end
return closing
"""
SOCKETS_TTL = 24 * 3600  # a day without a new socket of the person: the set goes


class RedisLimits:
    """The limits kept in Redis, for every server process at once."""

    def __init__(self, url: str) -> None:
        import redis.asyncio

        self._redis = redis.asyncio.Redis.from_url(url)
        self._take = self._redis.register_script(TAKE)
        self._join = self._redis.register_script(JOIN)
        self._fallback = LocalLimits()

    async def take(self, person: Person, cost: float, limits: Limits) -> bool:
        try:
            rate = max(limits.rate, 1e-6)
            spent = await self._take(
                keys=[f"vsm:ws:ops:{person[0]}:{person[1]}"], args=[rate, limits.burst, cost]
            )
            return bool(spent)
        except Exception:
            logger.exception("op budget: Redis failed; counting in this process")
            return await self._fallback.take(person, cost, limits)

    async def joined(self, person: Person, conn: str, limits: Limits) -> list[str]:
        await self._fallback.joined(person, conn, limits)  # for when Redis fails later
        try:
            closing = await self._join(
                keys=[self._sockets_key(person)], args=[conn, limits.sockets, SOCKETS_TTL]
            )
        except Exception:
            logger.exception("socket limit: Redis failed; counting in this process")
            return await self._fallback.joined(person, conn, limits)
        return [item.decode() if isinstance(item, bytes) else str(item) for item in closing]

    async def left(self, person: Person, conn: str) -> None:
        await self._fallback.left(person, conn)
        try:
            await self._redis.zrem(self._sockets_key(person), conn)
        except Exception:
            logger.exception("socket limit: Redis failed to forget socket %s", conn)

    @staticmethod
    def _sockets_key(person: Person) -> str:
        return f"vsm:ws:sockets:{person[0]}:{person[1]}"


PersonLimits = LocalLimits | RedisLimits
_limits: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[str, PersonLimits]] = (
    weakref.WeakKeyDictionary()
)


def person_limits() -> PersonLimits:
    """This event loop's keeper of the limits: Redis's when configured, else its own."""
    url = str(getattr(settings, "VSM_WS_LIMITS_REDIS_URL", "") or "")
    loop = asyncio.get_running_loop()
    known = _limits.get(loop)
    if known is None or known[0] != url:
        known = _limits[loop] = (url, RedisLimits(url) if url else LocalLimits())
    return known[1]
