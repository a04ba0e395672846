"""Token buckets per write key: a steady rate of events per second with bursts.

In-process and thread-safe; each server process keeps its own buckets (the limit is per
process, which is what protects that process).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    """``take(key, n)`` returns 0 when ``n`` events may pass now, else seconds to wait."""

    def __init__(
        self,
        rate: float,
        *,
        burst_seconds: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = float(rate)
        self.capacity = max(self.rate * burst_seconds, 1.0)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key → (tokens, updated)
        self._lock = threading.Lock()

    def take(self, key: str, n: int) -> float:
        with self._lock:
            now = self._clock()
            tokens, updated = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - updated) * self.rate)
            # A request bigger than the whole bucket may pass when the bucket is full.
            need = min(float(n), self.capacity)
            if tokens >= need:
                self._buckets[key] = (tokens - n, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (need - tokens) / self.rate
