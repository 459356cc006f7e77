"""Time budgets for provider calls, on the monotonic clock.

A request path (an API view, an admin page) passes `Deadline.for_request()`: every attempt,
retry wait and throttle wait of the call fits inside it. `None` as a deadline means a cron
refresh: the full retry policy, no total budget.
"""

from __future__ import annotations

import time

from django.conf import settings


class Deadline:
    """A budget of seconds that started when it was made."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._ends_at = time.monotonic() + seconds

    def remaining(self) -> float:
        """Return the seconds left (never negative)."""
        return max(0.0, self._ends_at - time.monotonic())

    @property
    def expired(self) -> bool:
        """True once no time is left."""
        return self.remaining() <= 0.0

    @classmethod
    def for_request(cls) -> Deadline:
        """Return the budget a request path gets (settings.PROVIDER_REQUEST_BUDGET)."""
        return cls(float(settings.PROVIDER_REQUEST_BUDGET))

    def __repr__(self) -> str:
        return f"Deadline({self.seconds:g}s, {self.remaining():.3f}s left)"
