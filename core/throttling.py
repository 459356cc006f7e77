"""DRF throttles in one Redis round trip, exact across workers, failing open.

DRF's own throttles keep each client's history as one cached list: a GET and a SET per
request, and two gunicorn workers that read the same history both let their request in.
These keep DRF's rates (DEFAULT_THROTTLE_RATES), keys (`throttle_<scope>_<user id or
client IP>`, from DRF's `get_cache_key`) and scope logic, but take each request's slot with
one EVALSHA of `core.ratelimit`'s sliding window, which Redis runs atomically. A refused
request's Retry-After is the time until the oldest slot leaves the window.

A Redis failure lets the request through: no 500 for a missing counter. When the default
cache is not django-redis (the local-memory cache of a run without REDIS_URL, the tests'
refusing cache), DRF's cache-based throttle runs on that cache, as it always did.
"""

from __future__ import annotations

from typing import Any

from django_redis import get_redis_connection
from redis import Redis
from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle, UserRateThrottle

from core.cache import fail_open
from core.ratelimit import take_slot


def default_redis() -> Redis | None:
    """The default cache's Redis client, or None when that cache is not django-redis."""
    try:
        return get_redis_connection("default")
    except NotImplementedError:  # django-redis's answer for a cache of another backend
        return None


class SlidingWindowRateThrottle(SimpleRateThrottle):
    """SimpleRateThrottle whose history is a sliding window in Redis: one round trip a request."""

    num_requests: int  # set by DRF from the rate (unused when the rate is None)
    duration: int
    # Seconds until a slot frees, from the last `allow_request` (None: DRF's history was used).
    free_in: float | None = None

    @fail_open(default=True)
    def allow_request(self, request: Any, view: Any) -> bool:
        if self.rate is None:
            return True
        client = default_redis()
        if client is None:
            return super().allow_request(request, view)
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.free_in = take_slot(client, self.key, limit=self.num_requests, window=self.duration)
        return self.free_in == 0

    def wait(self) -> float | None:
        """Seconds until the oldest slot leaves the window (DRF's estimate without Redis)."""
        if self.free_in is not None:
            return self.free_in
        return super().wait()


# DRF's classes come first: their key (and, for scoped, the scope and rate picked from the
# view) sit on top of the sliding window, which then replaces SimpleRateThrottle's history.
class FailOpenUserRateThrottle(UserRateThrottle, SlidingWindowRateThrottle):
    """Per user (per client IP when anonymous), at the "user" rate."""


class FailOpenScopedRateThrottle(ScopedRateThrottle, SlidingWindowRateThrottle):
    """Per user or client IP and the view's `throttle_scope`, at that scope's rate."""
