"""The shared upstream throttle: at most N Massive requests per window, across processes.

Every HTTP request to Massive (every page, every retry) takes a slot first. Slots live in
a Redis sliding-window log (`core.ratelimit`: one Lua script, stamped with Redis's own
clock), so gunicorn workers and cron on any host share one quota. Over quota, a caller waits
for the oldest slot to age out — within its deadline; when the wait would overrun the
deadline it gets `ProviderRateLimited` with the wait as `retry_after`.

Redis unreachable (or no REDIS_URL): the same window is kept in process memory, so each
process still stays inside the quota on its own rather than failing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from core.deadline import Deadline
from core.ratelimit import take_slot
from marketdata.clients.retry import MIN_ATTEMPT_SECONDS
from marketdata.exceptions import ProviderRateLimited
from marketdata.metrics import THROTTLE_WAITS

logger = logging.getLogger("marketdata.throttle")

# Redis must answer fast or not at all: a slow Redis must not eat the caller's budget.
REDIS_TIMEOUT_SECONDS = 0.25
# Sleep a hair past the moment a slot frees, so the retry finds it free.
_WAKE_MARGIN_SECONDS = 0.005


class LocalWindow:
    """The sliding window in this process's memory (the fallback)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._taken: deque[float] = deque()
        self._lock = threading.Lock()

    def try_acquire(self) -> float:
        """Take a slot and return 0, or return the seconds until one frees."""
        with self._lock:
            now = time.monotonic()
            while self._taken and self._taken[0] <= now - self.window:
                self._taken.popleft()
            if len(self._taken) < self.limit:
                self._taken.append(now)
                return 0.0
            return max(1e-6, self._taken[0] + self.window - now)


class RedisWindow:
    """The sliding window in Redis, shared by every process that uses the same key."""

    def __init__(self, url: str, key: str, limit: int, window: float) -> None:
        self.key = key
        self.limit = limit
        self.window = window
        self._client = redis.Redis.from_url(
            url,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            # One immediate retry covers a pooled connection a Redis restart closed.
            retry=Retry(NoBackoff(), 1),
        )

    def try_acquire(self) -> float:
        """Take a slot and return 0, or return the seconds until one frees (raises RedisError)."""
        return take_slot(self._client, self.key, limit=self.limit, window=self.window)


class UpstreamThrottle:
    """At most `limit` requests per `window` seconds; `limit=None` means unlimited."""

    def __init__(
        self,
        *,
        provider: str,
        limit: int | None,
        window: float,
        redis_url: str = "",
        key: str | None = None,
    ) -> None:
        self.provider = provider
        self.limit = limit
        self.window = window
        self._local: LocalWindow | None = None
        self._redis: RedisWindow | None = None
        self._redis_failing = False
        if limit is not None:
            self._local = LocalWindow(limit, window)
            if redis_url:
                self._redis = RedisWindow(redis_url, key or f"mojo:throttle:{provider}", limit, window)

    @property
    def enabled(self) -> bool:
        """True when a limit is configured."""
        return self.limit is not None

    def acquire(self, deadline: Deadline | None) -> None:
        """Take a slot, waiting within `deadline`; raise ProviderRateLimited when it cannot."""
        if self._local is None:
            return
        counted = False
        while True:
            wait = self._try_acquire()
            if wait <= 0:
                return
            if deadline is not None and wait + MIN_ATTEMPT_SECONDS > deadline.remaining():
                logger.warning(
                    "%s throttle: quota of %d per %gs used up; not waiting %.2fs",
                    self.provider,
                    self.limit,
                    self.window,
                    wait,
                    extra={"provider": self.provider, "throttle_wait": round(wait, 3)},
                )
                raise ProviderRateLimited(
                    "mojo's request quota for the market-data provider is used up; try again later.",
                    retry_after=wait,
                )
            if not counted:
                THROTTLE_WAITS.labels(self.provider).inc()
                counted = True
            time.sleep(wait + _WAKE_MARGIN_SECONDS)

    def _try_acquire(self) -> float:
        assert self._local is not None
        if self._redis is None:
            return self._local.try_acquire()
        try:
            wait = self._redis.try_acquire()
        except (redis.RedisError, OSError) as exc:
            if not self._redis_failing:
                logger.warning(
                    "%s throttle: Redis unreachable (%s); limiting per process until it is back",
                    self.provider,
                    type(exc).__name__,
                    extra={"provider": self.provider},
                )
                self._redis_failing = True
            return self._local.try_acquire()
        if self._redis_failing:
            logger.info("%s throttle: Redis is back; the quota is shared again", self.provider)
            self._redis_failing = False
        return wait
