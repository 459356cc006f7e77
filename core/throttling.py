"""DRF throttles that fail open when their cache (Redis) is down: no 500 for a missing counter."""

from __future__ import annotations

from typing import Any

from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle, UserRateThrottle

from core.cache import fail_open


class FailOpenMixin(SimpleRateThrottle):
    """Allow the request when the throttle's history cannot be read or written."""

    @fail_open(default=True)
    def allow_request(self, request: Any, view: Any) -> bool:
        return super().allow_request(request, view)


class FailOpenUserRateThrottle(FailOpenMixin, UserRateThrottle):
    """UserRateThrottle that lets requests through while Redis is down."""


class FailOpenScopedRateThrottle(FailOpenMixin, ScopedRateThrottle):
    """ScopedRateThrottle that lets requests through while Redis is down."""
