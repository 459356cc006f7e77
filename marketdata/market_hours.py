"""NYSE sessions, the cache TTL policy that follows them and the standard monthly expiration
(pure; `now` is always passed in).

Built on exchange_calendars' XNYS with explicit bounds (its default bounds end a year after
today, and later dates would raise). Holidays are closed, early closes end at 13:00 New York.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import exchange_calendars
import numpy as np

NEW_YORK = ZoneInfo("America/New_York")
CALENDAR_START = "2015-01-01"
CALENDAR_END = "2036-12-31"

IN_SESSION_TTL = 600
OFF_HOURS_TTL = 3600
LONG_TTL = 86400  # options chains and earnings


class _Sessions:
    """Session dates, opens and closes as sorted arrays for O(log n) lookups."""

    def __init__(self) -> None:
        calendar = exchange_calendars.get_calendar("XNYS", start=CALENDAR_START, end=CALENDAR_END)
        self.dates: list[date] = [ts.date() for ts in calendar.sessions]
        self.opens = calendar.opens.to_numpy(dtype="datetime64[ns]").astype(np.int64)
        self.closes = calendar.closes.to_numpy(dtype="datetime64[ns]").astype(np.int64)
        self.date_index = {d: i for i, d in enumerate(self.dates)}


@lru_cache(maxsize=1)
def _sessions() -> _Sessions:
    return _Sessions()


def _ns(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("market_hours needs timezone-aware datetimes")
    return int(moment.timestamp() * 1_000_000_000)


def _from_ns(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1_000_000_000, tz=UTC)


def market_date(now: datetime) -> date:
    """Return the New York calendar date at `now`."""
    return now.astimezone(NEW_YORK).date()


def is_open(now: datetime) -> bool:
    """True while the NYSE is in its regular session (open <= now < close)."""
    sessions = _sessions()
    index = sessions.date_index.get(market_date(now))
    if index is None:
        return False
    moment = _ns(now)
    return bool(sessions.opens[index] <= moment < sessions.closes[index])


def next_open(now: datetime) -> datetime:
    """Return the next session open strictly after `now` (UTC)."""
    sessions = _sessions()
    index = int(np.searchsorted(sessions.opens, _ns(now), side="right"))
    return _from_ns(int(sessions.opens[index]))


def seconds_until_open(now: datetime) -> int:
    """Seconds from `now` to the next session open."""
    return max(0, int((next_open(now) - now).total_seconds()))


def quote_ttl(now: datetime) -> int:
    """TTL for stock data and option prices: 600 s in session; else time to open if < 1 h; else 3600 s."""
    if is_open(now):
        return IN_SESSION_TTL
    until_open = seconds_until_open(now)
    if 0 < until_open < OFF_HOURS_TTL:
        return until_open
    return OFF_HOURS_TTL


def long_ttl(now: datetime) -> int:
    """TTL for options chains and earnings: a day, whatever the time (`now` for a uniform policy)."""
    return LONG_TTL


def latest_completed_session(now: datetime) -> date:
    """The most recent session whose close is at or before `now` (a Saturday gives Friday)."""
    sessions = _sessions()
    index = int(np.searchsorted(sessions.closes, _ns(now), side="right")) - 1
    return sessions.dates[index]


def sessions_between(start: date, end: date) -> list[date]:
    """Every session date in [start, end]."""
    return [d for d in _sessions().dates if start <= d <= end]


def completed_sessions(now: datetime, count: int) -> list[date]:
    """The last `count` sessions whose close is at or before `now`, oldest first.

    The session running at `now` is not one of them until it has closed.
    """
    sessions = _sessions()
    end = int(np.searchsorted(sessions.closes, _ns(now), side="right"))
    return sessions.dates[max(0, end - count) : end]


def is_session(day: date) -> bool:
    """True when the NYSE trades on `day` (a weekday that is not a holiday; early closes count)."""
    return day in _sessions().date_index


def standard_monthly_expiration(year: int, month: int) -> date:
    """The month's standard monthly option expiration: its third Friday, or the Thursday before
    when that Friday is an NYSE holiday (Good Friday, Juneteenth)."""
    first = date(year, month, 1)
    third_friday = first + timedelta(days=(4 - first.weekday()) % 7 + 14)
    return third_friday if is_session(third_friday) else third_friday - timedelta(days=1)
