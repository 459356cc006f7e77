"""The shared upstream throttle: a quota of N Massive requests per window, and one shared pause.

Every HTTP request to Massive (every page, every retry) goes through `acquire` first. Slots live in
a Redis sliding-window log (`core.ratelimit`: one Lua script, stamped with Redis's own
clock), so gunicorn workers and Celery workers on any host share one quota. Over quota, a caller
waits for the oldest slot to age out — within its deadline; when the wait would overrun the
deadline it gets `ProviderRateLimited` with the wait as `retry_after`.

A slot is held until the request's answer is back (`answered`, after every attempt): it is
stamped again then, so it leaves the window a whole window after the answer, not after the
moment it was taken. The provider counts a request when it arrives, somewhere between the two;
a slot that aged from the moment it was taken would let the next request go a whole window
after it, yet arrive less than a window after it whenever its own trip was quicker — over the
provider's limit by the jitter of the trips. Held to the answer, no window of the provider's
sees more than the quota, as long as an attempt ends within a window (timeouts of seconds,
a window of a minute).

The shared pause (a shared backoff): when Massive answers 429 or 503 with Retry-After, the retry
policy calls `pause` and every process using the same Redis stops sending until Redis's now +
Retry-After (capped by the policy's `retry_after_cap`) — not just the caller that got it. The end
is one key (`mojo:throttle:massive:paused_until`), moved only later and expiring when the pause
ends; `acquire` waits it out before taking a slot, within the deadline as for the window, and
applies with or without a quota. A 429 without Retry-After pauses nobody else (the policy's own
backoff still applies to its caller). Each pause is counted and logged once, by the process
that set it.

Redis unreachable (or no REDIS_URL): the window and the pause are kept in process memory, so
each process still stays inside the quota and honours the pauses it saw, rather than failing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import partial
from typing import TypeVar

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from core.deadline import Deadline
from core.ratelimit import extend_pause, new_member, pause_left, stamp_slot, take_slot
from marketdata.clients.retry import MIN_ATTEMPT_SECONDS
from marketdata.exceptions import ProviderRateLimited
from marketdata.metrics import THROTTLE_PAUSES, THROTTLE_WAITS

logger = logging.getLogger("marketdata.throttle")

T = TypeVar("T")

# Redis must answer fast or not at all: a slow Redis must not eat the caller's budget.
REDIS_TIMEOUT_SECONDS = 0.25
# Sleep a hair past the moment a slot frees, so the retry finds it free.
_WAKE_MARGIN_SECONDS = 0.005


class LocalWindow:
    """The sliding window in this process's memory (the fallback)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._taken: OrderedDict[str, float] = OrderedDict()  # member: when, oldest first
        self._lock = threading.Lock()

    def try_acquire(self, member: str) -> float:
        """Take a slot named `member` and return 0, or return the seconds until one frees."""
        with self._lock:
            now = time.monotonic()
            while self._taken and next(iter(self._taken.values())) <= now - self.window:
                self._taken.popitem(last=False)
            if len(self._taken) < self.limit:
                self._taken[member] = now
                return 0.0
            return max(1e-6, next(iter(self._taken.values())) + self.window - now)

    def stamp(self, member: str) -> None:
        """Move slot `member` to now (the newest), back into the window if it had left."""
        with self._lock:
            self._taken.pop(member, None)
            self._taken[member] = time.monotonic()


class LocalPause:
    """The shared pause in this process's memory (the fallback)."""

    def __init__(self) -> None:
        self._until = 0.0  # time.monotonic()
        self._lock = threading.Lock()

    def extend(self, seconds: float) -> bool:
        """Pause until now + `seconds` unless paused longer; return True when it moved later."""
        with self._lock:
            until = time.monotonic() + seconds
            if until <= self._until:
                return False
            self._until = until
            return True

    def left(self) -> float:
        """Return the seconds left in the pause (0 when not paused)."""
        with self._lock:
            return max(0.0, self._until - time.monotonic())


def redis_client(url: str) -> redis.Redis:
    """Return a client that answers fast or fails fast."""
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        # One immediate retry covers a pooled connection a Redis restart closed.
        retry=Retry(NoBackoff(), 1),
    )


class RedisWindow:
    """The sliding window in Redis, shared by every process that uses the same key."""

    def __init__(self, client: redis.Redis, key: str, limit: int, window: float) -> None:
        self.key = key
        self.limit = limit
        self.window = window
        self._client = client

    def try_acquire(self, member: str) -> float:
        """Take a slot named `member` and return 0, or the seconds until one frees (raises RedisError)."""
        return take_slot(self._client, self.key, limit=self.limit, window=self.window, member=member)

    def stamp(self, member: str) -> None:
        """Move slot `member` to Redis's now, back into the window if it had left (raises RedisError)."""
        stamp_slot(self._client, self.key, member=member, window=self.window)


class RedisPause:
    """The shared pause in Redis, seen by every process that uses the same key."""

    def __init__(self, client: redis.Redis, key: str) -> None:
        self.key = key
        self._client = client

    def extend(self, seconds: float) -> bool:
        """Pause until Redis's now + `seconds` unless paused longer; True when it moved later."""
        return extend_pause(self._client, self.key, seconds=seconds)

    def left(self) -> float:
        """Return the seconds left in the pause, by Redis's clock (raises RedisError)."""
        return pause_left(self._client, self.key)


class UpstreamThrottle:
    """At most `limit` requests per `window` seconds (`limit=None`: no quota), and the shared pause."""

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
        key = key or f"mojo:throttle:{provider}"
        self._local = LocalWindow(limit, window) if limit is not None else None
        self._local_pause = LocalPause()
        self._redis: RedisWindow | None = None
        self._redis_pause: RedisPause | None = None
        self._redis_failing = False
        self._held = threading.local()  # the slot this thread's request holds: `member`
        if redis_url:
            client = redis_client(redis_url)
            self._redis_pause = RedisPause(client, f"{key}:paused_until")
            if limit is not None:
                self._redis = RedisWindow(client, key, limit, window)

    @property
    def enabled(self) -> bool:
        """True when a quota is configured (the shared pause applies either way)."""
        return self.limit is not None

    def acquire(self, deadline: Deadline | None) -> None:
        """Wait out a pause, then take a slot, within `deadline`; raise ProviderRateLimited when it cannot.

        The slot is this thread's until `answered()`, which the caller runs once the request is over.
        """
        counted = False
        while True:
            wait, paused = self._next_wait()
            if wait <= 0:
                return
            if deadline is not None and wait + MIN_ATTEMPT_SECONDS > deadline.remaining():
                raise self._refusal(wait, paused=paused)
            if not counted:
                THROTTLE_WAITS.labels(self.provider).inc()
                counted = True
            time.sleep(wait + _WAKE_MARGIN_SECONDS)

    def answered(self) -> None:
        """Say that this thread's request is over (answered, or failed): its slot ages from now."""
        member: str | None = getattr(self._held, "member", None)
        if member is None or self._local is None:
            return
        self._held.member = None
        shared = partial(self._redis.stamp, member) if self._redis is not None else None
        self._shared(shared, partial(self._local.stamp, member))

    def pause(self, seconds: float) -> None:
        """Pause every process's requests for `seconds` (a Retry-After), unless paused longer."""
        if seconds <= 0:
            return
        shared = partial(self._redis_pause.extend, seconds) if self._redis_pause is not None else None
        if not self._shared(shared, partial(self._local_pause.extend, seconds)):
            return  # already paused as long: counted and logged by whoever set it
        THROTTLE_PAUSES.labels(self.provider).inc()
        logger.warning(
            "%s throttle: the provider asked to retry after %.2fs; pausing every worker's requests",
            self.provider,
            seconds,
            extra={"provider": self.provider, "throttle_pause": round(seconds, 3)},
        )

    def _next_wait(self) -> tuple[float, bool]:
        """Return (seconds to wait, whether for a pause); a slot was taken when the wait is 0."""
        shared_pause = self._redis_pause.left if self._redis_pause is not None else None
        paused = self._shared(shared_pause, self._local_pause.left)
        if paused > 0:
            return paused, True
        if self._local is None:
            return 0.0, False
        member = new_member()
        shared_slot = partial(self._redis.try_acquire, member) if self._redis is not None else None
        wait = self._shared(shared_slot, partial(self._local.try_acquire, member))
        if wait <= 0:
            self._held.member = member
        return wait, False

    def _refusal(self, wait: float, *, paused: bool) -> ProviderRateLimited:
        """Log why a caller is not waiting `wait` seconds and return its error."""
        if paused:
            why, message = "paused by the provider", "the market-data provider asked mojo to slow down"
        else:
            why = f"quota of {self.limit} per {self.window:g}s used up"
            message = "mojo's request quota for the market-data provider is used up"
        logger.warning(
            "%s throttle: %s; not waiting %.2fs",
            self.provider,
            why,
            wait,
            extra={"provider": self.provider, "throttle_wait": round(wait, 3)},
        )
        return ProviderRateLimited(f"{message}; try again later.", retry_after=wait)

    def _shared(self, shared: Callable[[], T] | None, local: Callable[[], T]) -> T:
        """Run the Redis operation; without Redis, or while it is unreachable, the local one."""
        if shared is None:
            return local()
        try:
            result = shared()
        except (redis.RedisError, OSError) as exc:
            if not self._redis_failing:
                logger.warning(
                    "%s throttle: Redis unreachable (%s); limiting per process until it is back",
                    self.provider,
                    type(exc).__name__,
                    extra={"provider": self.provider},
                )
                self._redis_failing = True
            return local()
        if self._redis_failing:
            logger.info("%s throttle: Redis is back; the quota is shared again", self.provider)
            self._redis_failing = False
        return result
