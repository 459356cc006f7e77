"""Earnings of many symbols at once: one FMP calendar for the next 90 days, per-symbol calls for the rest.

The EARNINGS data set's `fetch_many` (bulk reads and the refresh). A symbol with a report in
the window gets its dates from the calendar; only a symbol without one (funds never report,
some companies have not announced yet) costs a per-symbol `stable/earnings` call, and that
answer is kept a week (`cache.earnings_lookup_cache_key`), so a fund costs one call a week
rather than one per cycle. A plan without the calendar (402/403) falls back to per-symbol
calls for every symbol, and `marketdata.entitlements` remembers the lack for a day.

Values are what an EARNINGS entry holds: ISO report dates, ascending. Failures are values
too: the calendar failing gives every symbol its error (the cache then serves stale entries or
"unknown"); a per-symbol call failing gives that symbol its error.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from django.conf import settings

from core.deadline import Deadline
from core.errors import MojoError
from core.pool import pooled
from marketdata import cache, clock, entitlements
from marketdata.clients import FMPClient, get_fmp_client
from marketdata.clients.fmp import CALENDAR_ENTITLEMENT, CALENDAR_MAX_DAYS
from marketdata.exceptions import EarningsUnavailable, ProviderError
from marketdata.symbols import Symbol

# Fewer symbols than this are asked one by one: the market's calendar is thousands of rows
# (several calls past its cap), a waste for the one or two misses of a dashboard.
CALENDAR_FROM_SYMBOLS = 3
# How long a per-symbol answer for a symbol the calendar lacks is reused.
LOOKUP_SECONDS = 7 * 24 * 60 * 60

SymbolEarnings = list[str] | MojoError  # one symbol's ISO report dates, or why there are none


def fetch_earnings_many(symbols: Sequence[Symbol], deadline: Deadline | None) -> dict[Symbol, SymbolEarnings]:
    """Each symbol's upcoming report dates (ISO, ascending) from one calendar call, or its error."""
    wanted = list(dict.fromkeys(symbols))
    if not wanted:
        return {}
    client = get_fmp_client()
    today = clock.market_today()
    try:
        if len(wanted) < CALENDAR_FROM_SYMBOLS:
            return _per_symbol(client, wanted, today, deadline, remember=False)
        return entitlements.entitled_or(
            CALENDAR_ENTITLEMENT,
            lambda: _from_calendar(client, wanted, today, deadline),
            lambda: _per_symbol(client, wanted, today, deadline, remember=False),
        )
    except (EarningsUnavailable, ProviderError) as error:
        return dict.fromkeys(wanted, error)


def _from_calendar(
    client: FMPClient, symbols: list[Symbol], today: date, deadline: Deadline | None
) -> dict[Symbol, SymbolEarnings]:
    """Dates from the calendar; the symbols it lacks from their remembered or per-symbol answer."""
    calendar = client.earnings_calendar(today, today + timedelta(days=CALENDAR_MAX_DAYS), deadline=deadline)
    found: dict[Symbol, SymbolEarnings] = {
        symbol: [d.isoformat() for d in calendar[symbol]] for symbol in symbols if calendar.get(symbol)
    }
    lacking = [symbol for symbol in symbols if symbol not in found]
    asked = []
    for symbol in lacking:
        remembered = cache.get_value(cache.earnings_lookup_cache_key(symbol))
        if isinstance(remembered, list):
            found[symbol] = [day for day in remembered if date.fromisoformat(day) >= today]
        else:
            asked.append(symbol)
    found.update(_per_symbol(client, asked, today, deadline, remember=True))
    return {symbol: found[symbol] for symbol in symbols}


def _per_symbol(
    client: FMPClient, symbols: list[Symbol], today: date, deadline: Deadline | None, *, remember: bool
) -> dict[Symbol, SymbolEarnings]:
    """One `stable/earnings` call per symbol, in the pool; `remember`: keep each answer a week."""

    def ask(symbol: Symbol) -> tuple[Symbol, SymbolEarnings]:
        try:
            dates = [d.isoformat() for d in client.upcoming_earnings(symbol, today, deadline=deadline)]
        except MojoError as error:
            return symbol, error
        if remember:
            cache.set_value(cache.earnings_lookup_cache_key(symbol), dates, timeout=LOOKUP_SECONDS)
        return symbol, dates

    if not symbols:
        return {}
    workers = settings.MARKETDATA_FETCH_CONCURRENCY
    return dict(pooled(ask, symbols, workers=workers, name="earnings"))
