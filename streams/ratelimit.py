"""A token bucket: `rate` tokens per second sustained, up to `burst` at once."""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBucket:
    """Starts full. `take()` spends tokens if there are enough and says whether it did.

    Not thread-safe: one bucket belongs to one connection, used from its event loop.
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
