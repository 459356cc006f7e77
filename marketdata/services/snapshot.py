"""What the cache holds for many symbols and contracts, in one round trip (admin, dashboard).

Misses are fetched with bounded concurrency when asked (never chains: they are cron's job);
per-item errors are returned beside results, never raised.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from core.deadline import Deadline
from core.errors import MojoError
from marketdata import cache, clock, market_hours
from marketdata.cache import Cached
from marketdata.services.earnings import EarningsInfo, earnings_info, get_earnings
from marketdata.services.meta import meta_of
from marketdata.services.option_prices import get_option_price, with_price
from marketdata.services.pool import pooled
from marketdata.services.stocks import get_stock_bars, get_stock_data
from marketdata.symbols import normalize_symbol

SUMMARY_FIELDS = ("sma_20", "sma_50", "sma_200", "rsi_14", "hv_20", "high_52w", "low_52w")


@dataclass(frozen=True, slots=True)
class MarketSnapshot:
    """What the cache holds for a set of symbols and contracts, read in one round trip."""

    stocks: dict[str, Cached[dict[str, Any]]] = field(default_factory=dict)
    bars: dict[str, Cached[dict[str, list[Any]]]] = field(default_factory=dict)
    earnings: dict[str, EarningsInfo] = field(default_factory=dict)
    chains: dict[str, dict[str, Any]] = field(default_factory=dict)
    option_prices: dict[str, Cached[dict[str, Any]]] = field(default_factory=dict)
    errors: dict[str, MojoError] = field(default_factory=dict)


def market_snapshot(
    *,
    symbols: Iterable[str],
    option_contracts: Iterable[tuple[str, str]] = (),
    bar_symbols: Iterable[str] = (),
    fetch_missing: bool = False,
    deadline: Deadline | None = None,
    concurrency: int | None = None,
) -> MarketSnapshot:
    """Stock data, earnings, chain summaries and option prices in one cache round trip.

    With `fetch_missing`, stock data and option prices that are missing or past their
    fresh TTL are fetched with bounded concurrency (chains never: they are cron's job);
    per-item errors are returned, never raised. Without it, only the cache is read.
    """
    normalized = list(dict.fromkeys(normalize_symbol(s) for s in symbols))
    contracts = list(dict.fromkeys((normalize_symbol(u), o) for u, o in option_contracts))
    with_bars = list(dict.fromkeys(normalize_symbol(s) for s in bar_symbols))
    keys = [
        *(cache.stock_cache_key(s) for s in normalized),
        *(cache.earnings_cache_key(s) for s in normalized),
        *(cache.options_summary_cache_key(s) for s in normalized),
        *(cache.bars_cache_key(s) for s in with_bars),
        *(cache.option_price_cache_key(o) for _, o in contracts),
    ]
    entries = cache.read_many(keys)
    now = clock.now()
    snapshot = MarketSnapshot()
    jobs: list[tuple[str, Any]] = []
    for symbol in normalized:
        stock_entry = entries.get(cache.stock_cache_key(symbol))
        if (
            stock_entry is not None
            and not stock_entry.missing
            and (stock_entry.is_fresh(now) or not fetch_missing)
        ):
            snapshot.stocks[symbol] = Cached(
                stock_entry.value, stock_entry.as_of, cached=True, stale=not stock_entry.is_fresh(now)
            )
        elif fetch_missing:
            jobs.append(("stock", symbol))
        earnings_entry = entries.get(cache.earnings_cache_key(symbol))
        if earnings_entry is not None and (earnings_entry.is_fresh(now) or not fetch_missing):
            snapshot.earnings[symbol] = earnings_info(
                symbol,
                Cached(
                    earnings_entry.value,
                    earnings_entry.as_of,
                    cached=True,
                    stale=not earnings_entry.is_fresh(now),
                ),
                today=market_hours.market_date(now),
            )
        elif fetch_missing:
            jobs.append(("earnings", symbol))
        summary_entry = entries.get(cache.options_summary_cache_key(symbol))
        if summary_entry is not None and not summary_entry.missing:
            snapshot.chains[symbol] = summary_entry.value
    for symbol in with_bars:
        bars_entry = entries.get(cache.bars_cache_key(symbol))
        if bars_entry is not None and not bars_entry.missing:
            snapshot.bars[symbol] = Cached(bars_entry.value, bars_entry.as_of, cached=True, stale=False)
        elif fetch_missing:
            jobs.append(("bars", symbol))
    for underlying, option_ticker in contracts:
        price_entry = entries.get(cache.option_price_cache_key(option_ticker))
        if (
            price_entry is not None
            and not price_entry.missing
            and (price_entry.is_fresh(now) or not fetch_missing)
        ):
            snapshot.option_prices[option_ticker] = with_price(
                Cached(price_entry.value, price_entry.as_of, cached=True, stale=not price_entry.is_fresh(now))
            )
        elif fetch_missing:
            jobs.append(("option_price", (underlying, option_ticker)))
    if fetch_missing and jobs:
        _fetch_snapshot_misses(snapshot, jobs, entries, deadline=deadline, concurrency=concurrency)
    return snapshot


def _fetch_snapshot_misses(
    snapshot: MarketSnapshot,
    jobs: list[tuple[str, Any]],
    entries: Mapping[str, cache.Entry],
    *,
    deadline: Deadline | None,
    concurrency: int | None,
) -> None:
    def run(job: tuple[str, Any]) -> tuple[tuple[str, Any], Any]:
        kind, target = job
        try:
            if kind == "stock":
                found = entries.get(cache.stock_cache_key(target))
                return job, get_stock_data(target, deadline=deadline, entry=found)
            if kind == "earnings":
                found = entries.get(cache.earnings_cache_key(target))
                return job, get_earnings(target, deadline=deadline, entry=found)
            if kind == "bars":
                found = entries.get(cache.bars_cache_key(target))
                return job, get_stock_bars(target, deadline=deadline, entry=found)
            return job, get_option_price(*target, deadline=deadline)
        except MojoError as error:
            return job, error

    workers = concurrency or settings.MARKETDATA_FETCH_CONCURRENCY
    for (kind, target), outcome in pooled(run, jobs, workers=workers, name="snapshot"):
        name = target if isinstance(target, str) else target[1]
        if isinstance(outcome, MojoError):
            snapshot.errors[name] = outcome
        elif kind == "stock":
            snapshot.stocks[name] = outcome
        elif kind == "earnings":
            snapshot.earnings[name] = outcome
        elif kind == "bars":
            snapshot.bars[name] = outcome
        else:
            snapshot.option_prices[name] = outcome


def stock_summary(symbol: str, snapshot: MarketSnapshot) -> dict[str, Any] | None:
    """Price, change % and headline indicators of a symbol from a snapshot (None when absent)."""
    stock = snapshot.stocks.get(symbol)
    if stock is None:
        return None
    indicators_ = stock.value["indicators"]
    return {
        "price": stock.value["price"],
        "change_percent": stock.value["change_percent"],
        **{name: indicators_.get(name) for name in SUMMARY_FIELDS},
        "meta": meta_of(stock),
    }
