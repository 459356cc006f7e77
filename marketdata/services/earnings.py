"""Earnings: upcoming report dates from FMP, cached as a list; the next one is picked at read time.

FMP failing (or no key) makes earnings "unknown", never an error.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from core.deadline import Deadline
from core.errors import MojoError
from marketdata import cache, clock, datasets
from marketdata.cache import Cached
from marketdata.responses import Earnings, EarningsFields, EarningsStatus
from marketdata.symbols import Symbol, normalize_symbol

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EarningsInfo:
    """Next earnings date picked at read time; status "unknown" when FMP can't tell."""

    symbol: str
    next_date: date | None
    days_to_earnings: int | None
    upcoming: list[date]
    status: EarningsStatus
    as_of: datetime | None
    cached: bool
    stale: bool


def earnings_get(
    ticker: str,
    *,
    force_refresh: bool = False,
    deadline: Deadline | None = None,
    entry: cache.Entry | None = cache.UNREAD,
) -> EarningsInfo:
    """Upcoming earnings dates (cached as a list; the next one is chosen at read time)."""
    return earnings_of(normalize_symbol(ticker), force_refresh=force_refresh, deadline=deadline, entry=entry)


def earnings_of(
    symbol: Symbol,
    *,
    force_refresh: bool = False,
    deadline: Deadline | None = None,
    entry: cache.Entry | None = cache.UNREAD,
) -> EarningsInfo:
    """`earnings_get` for a symbol already normalised (the other services' path)."""
    try:
        cached = datasets.EARNINGS.get(symbol, force=force_refresh, deadline=deadline, entry=entry)
    except datasets.UNAVAILABLE as error:
        return unknown_earnings(symbol, error)
    return earnings_info(symbol, cached, today=clock.market_today())


def earnings_cached(symbol: Symbol) -> EarningsInfo | None:
    """The symbol's earnings as cached, fresh or not, never fetched (None when nothing is cached)."""
    entry = cache.read(cache.earnings_cache_key(symbol))
    if entry is None or entry.missing:
        return None
    cached = Cached(entry.value, entry.as_of, cached=True, stale=not entry.is_fresh(clock.now()))
    return earnings_info(symbol, cached, today=clock.market_today())


def unknown_earnings(symbol: str, error: MojoError) -> EarningsInfo:
    """What is shown when FMP can't tell (no key, FMP failing): earnings "unknown", not an error."""
    logger.info("earnings unknown for %s: %s", symbol, error.code)
    return EarningsInfo(symbol, None, None, [], "unknown", None, cached=False, stale=False)


def earnings_info(symbol: str, cached: Cached[Any], *, today: date) -> EarningsInfo:
    """Pick the next report date at read time from the cached list of upcoming dates."""
    upcoming = sorted(d for d in (date.fromisoformat(s) for s in cached.value) if d >= today)
    next_date = upcoming[0] if upcoming else None
    return EarningsInfo(
        symbol=symbol,
        next_date=next_date,
        days_to_earnings=(next_date - today).days if next_date else None,
        upcoming=upcoming,
        status="scheduled" if next_date else "none",
        as_of=cached.as_of,
        cached=cached.cached,
        stale=cached.stale,
    )


def earnings_fields(earnings: EarningsInfo) -> EarningsFields:
    """The earnings fields of the stock, options and signals responses."""
    return {
        "earnings_date": earnings.next_date.isoformat() if earnings.next_date else None,
        "days_to_earnings": earnings.days_to_earnings,
        "earnings_status": earnings.status,
    }


def earnings_overview(
    ticker: str, *, force_refresh: bool = False, deadline: Deadline | None = None
) -> Earnings:
    """Next earnings date, days to it and every upcoming date known."""
    earnings = earnings_get(ticker, force_refresh=force_refresh, deadline=deadline)
    as_of = earnings.as_of or clock.now()
    return {
        "symbol": earnings.symbol,
        **earnings_fields(earnings),
        "upcoming": [d.isoformat() for d in earnings.upcoming],
        "meta": {"as_of": as_of.isoformat(), "cached": earnings.cached, "stale": earnings.stale},
    }
