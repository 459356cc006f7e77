"""Stock data: price, change and indicators from ~2 years of daily bars, and the bars themselves.

One bars fetch writes both entries (stock data and bars; see `marketdata.datasets`), so every
hot read decodes a small entry and only charts read bars. Also: batch reads of many symbols,
and the stock and bars API responses.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from core.deadline import Deadline
from core.errors import MojoError
from marketdata import cache, clock, datasets
from marketdata.cache import Cached
from marketdata.domain import DailyBar, bars_from_columns
from marketdata.indicators import Indicators
from marketdata.responses import Bars, NextDividend, Stock
from marketdata.services.bulk import cached_many
from marketdata.services.earnings import earnings_fields, earnings_of
from marketdata.services.meta import meta_of
from marketdata.services.spot import spot_of
from marketdata.symbols import normalize_symbol


def stock_data_get(
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
    return datasets.STOCK.get(symbol, force=force_refresh, deadline=deadline, entry=entry)


def stock_bars_get(
    ticker: str,
    *,
    force_refresh: bool = False,
    deadline: Deadline | None = None,
    entry: cache.Entry | None = cache.UNREAD,
) -> Cached[dict[str, list[Any]]]:
    """Return the daily bars (column-wise) the stock data was computed from."""
    symbol = normalize_symbol(ticker)
    return datasets.BARS.get(symbol, force=force_refresh, deadline=deadline, entry=entry)


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


def stock_data_get_many(
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
    read = cached_many(
        ((datasets.STOCK, symbol) for symbol in symbols),
        fetch_missing=True,
        deadline=deadline,
        concurrency=concurrency,
    )
    batch.results.update({subject: cached for (_, subject), cached in read.found.items()})
    batch.errors.update({subject: error for (_, subject), error in read.errors.items()})
    return batch


def stock_overview(ticker: str, *, force_refresh: bool = False, deadline: Deadline | None = None) -> Stock:
    """Price, change, indicators and next earnings of a symbol (one cache round trip when warm)."""
    symbol = normalize_symbol(ticker)
    stock_key, earnings_key = cache.stock_cache_key(symbol), cache.earnings_cache_key(symbol)
    entries = cache.read_many([stock_key, earnings_key])
    stock = datasets.STOCK.get(symbol, force=force_refresh, deadline=deadline, entry=entries.get(stock_key))
    earnings = earnings_of(
        symbol, force_refresh=force_refresh, deadline=deadline, entry=entries.get(earnings_key)
    )
    payload = stock.value
    figures: Indicators = payload["indicators"]
    spot = spot_of(stock)
    return {
        "symbol": symbol,
        "price": payload["price"],
        "change": payload["change"],
        "change_percent": payload["change_percent"],
        "spot_as_of": spot["spot_as_of"],
        "spot_source": spot["spot_source"],
        "name": payload.get("name"),  # entries stored before ticker details have none
        "type": payload.get("type"),
        "next_dividend": next_dividend(payload.get("dividends", ()), today=clock.market_today()),
        **figures,
        **earnings_fields(earnings),
        "meta": meta_of(stock),
    }


def next_dividend(dividends: Iterable[Sequence[Any]], *, today: date) -> NextDividend | None:
    """The first of a stock entry's dividends ([ex-date, cash amount], ascending) going ex today or later."""
    iso = today.isoformat()
    for ex_date, amount in dividends:
        if ex_date >= iso:
            return {"ex_dividend_date": ex_date, "cash_amount": amount}
    return None


def stock_bar_history(
    ticker: str, *, days: int | None = None, force_refresh: bool = False, deadline: Deadline | None = None
) -> Bars:
    """The daily bars the indicators were computed from (for charts)."""
    symbol = normalize_symbol(ticker)
    stock = stock_bars_get(symbol, force_refresh=force_refresh, deadline=deadline)
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
