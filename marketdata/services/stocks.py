"""Stock data: price, change and indicators from ~2 years of daily bars, and the bars themselves.

One bars fetch writes both entries (stock data and bars), so every hot read decodes a small
entry and only charts read bars. Also: batch reads of many symbols, provider validation of a
new symbol, and the stock and bars API responses.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings

from core.deadline import Deadline
from core.errors import MojoError
from marketdata import cache, clock, indicators, market_hours
from marketdata.cache import Cached
from marketdata.clients import get_massive_client
from marketdata.domain import DailyBar, bars_from_columns, bars_to_columns
from marketdata.exceptions import TickerNotFound
from marketdata.services.earnings import earnings_fields, get_earnings
from marketdata.services.meta import meta_of
from marketdata.services.pool import pooled
from marketdata.symbols import normalize_symbol

# ≥ 400 sessions, so SMA200 and 52-week figures exist for any listed stock.
BARS_CALENDAR_DAYS = 730


def _stock_payload(symbol: str, bars: Sequence[DailyBar]) -> dict[str, Any]:
    latest = bars[-1]
    previous = bars[-2] if len(bars) > 1 else None
    change = latest.close - previous.close if previous else None
    return {
        "symbol": symbol,
        "price": latest.close,
        "change": round(change, 4) if change is not None else None,
        "change_percent": round(100 * change / previous.close, 4)
        if previous and change is not None
        else None,
        "session": latest.session.isoformat(),
        "bars_from": bars[0].session.isoformat(),
        "bars_to": latest.session.isoformat(),
        "indicators": indicators.compute_indicators(bars),
    }


def _fetch_daily_bars(symbol: str, *, deadline: Deadline | None) -> list[DailyBar]:
    today = clock.market_today()
    bars = get_massive_client().get_daily_bars(
        symbol, today - timedelta(days=BARS_CALENDAR_DAYS), today, deadline=deadline
    )
    if not bars:
        raise TickerNotFound(details={"symbol": symbol})
    return bars


def _store_companion(key: str, value: Any) -> None:
    """Write the other half of one bars fetch (stock data or bars) with the same lifetime."""
    at = clock.now()
    ttl = market_hours.quote_ttl(at)
    cache.write(key, cache.Entry(value, at.timestamp(), at.timestamp() + ttl), fresh_ttl=ttl)


def get_stock_data(
    ticker: str,
    *,
    force_refresh: bool = False,
    deadline: Deadline | None = None,
    entry: cache.Entry | None = cache.UNREAD,
) -> Cached[dict[str, Any]]:
    """Return a symbol's price, change and indicators from ~2 years of daily bars.

    The bars themselves go to their own key in the same fetch: every cached read of stock
    data (stock endpoint, dashboard) then decodes a small entry, and only charts read bars.
    """
    symbol = normalize_symbol(ticker)

    def fetch() -> dict[str, Any]:
        bars = _fetch_daily_bars(symbol, deadline=deadline)
        _store_companion(cache.bars_cache_key(symbol), bars_to_columns(bars))
        return _stock_payload(symbol, bars)

    return cache.get_or_fetch(
        key=cache.stock_cache_key(symbol),
        dataset=cache.STOCK,
        fetch=fetch,
        fresh_ttl=market_hours.quote_ttl,
        force=force_refresh,
        deadline=deadline,
        entry=entry,
        remember_unknown=True,
    )


def get_stock_bars(
    ticker: str,
    *,
    force_refresh: bool = False,
    deadline: Deadline | None = None,
    entry: cache.Entry | None = cache.UNREAD,
) -> Cached[dict[str, list[Any]]]:
    """Return the daily bars (column-wise) the stock data was computed from."""
    symbol = normalize_symbol(ticker)

    def fetch() -> dict[str, list[Any]]:
        bars = _fetch_daily_bars(symbol, deadline=deadline)
        _store_companion(cache.stock_cache_key(symbol), _stock_payload(symbol, bars))
        return bars_to_columns(bars)

    return cache.get_or_fetch(
        key=cache.bars_cache_key(symbol),
        dataset=cache.BARS,
        fetch=fetch,
        fresh_ttl=market_hours.quote_ttl,
        force=force_refresh,
        deadline=deadline,
        entry=entry,
        remember_unknown=True,
    )


def stock_bars(columns: Mapping[str, list[Any]], *, days: int | None = None) -> list[DailyBar]:
    """Typed bars from a bars entry, optionally only the last `days` calendar days."""
    bars = bars_from_columns(dict(columns))
    if days is not None and bars:
        start = bars[-1].session - timedelta(days=days)
        bars = [bar for bar in bars if bar.session > start]
    return bars


def close_on_or_before(columns: Mapping[str, list[Any]], day: date) -> float | None:
    """The close of the last session on or before `day` among a bars entry's columns."""
    iso = day.isoformat()
    index = bisect.bisect_right(columns["d"], iso) - 1
    return columns["c"][index] if index >= 0 else None


@dataclass(frozen=True, slots=True)
class BatchResult:
    """Per-symbol results and errors of a batch read; errors never fail the batch."""

    results: dict[str, Cached[dict[str, Any]]] = field(default_factory=dict)
    errors: dict[str, MojoError] = field(default_factory=dict)


def get_many_stock_data(
    tickers: Iterable[str], *, deadline: Deadline | None = None, concurrency: int | None = None
) -> BatchResult:
    """Stock data for many symbols: one cache round trip for hits, a bounded pool for misses."""
    batch = BatchResult()
    symbols: list[str] = []
    for raw in tickers:
        try:
            symbols.append(normalize_symbol(raw))
        except MojoError as error:
            batch.errors[str(raw)] = error
    symbols = list(dict.fromkeys(symbols))
    entries = cache.read_many(cache.stock_cache_key(symbol) for symbol in symbols)
    now = clock.now()
    misses: list[str] = []
    for symbol in symbols:
        found = entries.get(cache.stock_cache_key(symbol))
        if found is not None and found.is_fresh(now):
            try:
                batch.results[symbol] = get_stock_data(symbol, deadline=deadline, entry=found)
            except MojoError as error:
                batch.errors[symbol] = error
        else:
            misses.append(symbol)

    def fetch(symbol: str) -> tuple[str, Cached[dict[str, Any]] | MojoError]:
        try:
            found = entries.get(cache.stock_cache_key(symbol))
            return symbol, get_stock_data(symbol, deadline=deadline, entry=found)
        except MojoError as error:
            return symbol, error

    workers = concurrency or settings.MARKETDATA_FETCH_CONCURRENCY
    for symbol, outcome in pooled(fetch, misses, workers=workers, name="stockdata"):
        if isinstance(outcome, MojoError):
            batch.errors[symbol] = outcome
        else:
            batch.results[symbol] = outcome
    return batch


def validate_ticker(ticker: str, *, deadline: Deadline | None = None) -> bool:
    """Ask the provider whether a well-formed symbol exists (7 days of bars); raises if it can't tell."""
    symbol = normalize_symbol(ticker)
    return get_massive_client().validate_ticker(symbol, today=clock.market_today(), deadline=deadline)


def stock_overview(
    ticker: str, *, force_refresh: bool = False, deadline: Deadline | None = None
) -> dict[str, Any]:
    """Price, change, indicators and next earnings of a symbol (one cache round trip when warm)."""
    symbol = normalize_symbol(ticker)
    stock_key, earnings_key = cache.stock_cache_key(symbol), cache.earnings_cache_key(symbol)
    entries = cache.read_many([stock_key, earnings_key])
    stock = get_stock_data(
        symbol, force_refresh=force_refresh, deadline=deadline, entry=entries.get(stock_key)
    )
    earnings = get_earnings(
        symbol, force_refresh=force_refresh, deadline=deadline, entry=entries.get(earnings_key)
    )
    payload = stock.value
    return {
        "symbol": symbol,
        "price": payload["price"],
        "change": payload["change"],
        "change_percent": payload["change_percent"],
        **payload["indicators"],
        **earnings_fields(earnings),
        "meta": meta_of(stock),
    }


def stock_bar_history(
    ticker: str, *, days: int | None = None, force_refresh: bool = False, deadline: Deadline | None = None
) -> dict[str, Any]:
    """The daily bars the indicators were computed from (for charts)."""
    symbol = normalize_symbol(ticker)
    stock = get_stock_bars(symbol, force_refresh=force_refresh, deadline=deadline)
    bars = stock_bars(stock.value, days=days)
    return {
        "symbol": symbol,
        "bars": [
            {
                "date": bar.session.isoformat(),
                "open": bar.open,
                "high": bar.high,
                "low": bar.low,
                "close": bar.close,
                "volume": bar.volume,
                "vwap": bar.vwap,
            }
            for bar in bars
        ],
        "meta": meta_of(stock),
    }
