"""The one source of "now" for mojo; tests and demos pin it.

Pure modules never read the clock: services call `now()` here and pass the value down.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

from marketdata.market_hours import market_date

_lock = threading.Lock()
_pinned: datetime | None = None


def _from_settings() -> datetime | None:
    from django.conf import settings

    raw = getattr(settings, "MOJO_FROZEN_NOW", "")
    if not raw:
        return None
    parsed = datetime.fromisoformat(raw)
    if parsed.tzinfo is None:
        raise ValueError("MOJO_FROZEN_NOW must carry a UTC offset")
    return parsed.astimezone(UTC)


def now() -> datetime:
    """Return the current time, timezone-aware in UTC (pinned when a test pins it)."""
    pinned = _pinned
    if pinned is not None:
        return pinned
    return _from_settings() or datetime.now(tz=UTC)


def market_today(at: datetime | None = None) -> date:
    """Return the New York calendar date at `at` (default: now) — never the UTC date."""
    return market_date(at if at is not None else now())


def pin(at: datetime | None) -> None:
    """Pin the clock to `at` (aware), or unpin it with None."""
    global _pinned
    if at is not None and at.tzinfo is None:
        raise ValueError("pin() needs a timezone-aware datetime")
    with _lock:
        _pinned = at.astimezone(UTC) if at is not None else None


@contextmanager
def pinned(at: datetime) -> Iterator[datetime]:
    """Pin the clock to `at` for the duration of a block."""
    previous = _pinned
    pin(at)
    try:
        yield at
    finally:
        pin(previous)
