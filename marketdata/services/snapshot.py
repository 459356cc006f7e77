"""What the cache holds for many symbols and contracts, in one bulk read (admin, dashboard).

Misses are fetched with bounded concurrency when asked (never chains: they are cron's job);
per-item errors are returned beside results, never raised.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from core.deadline import Deadline
from core.errors import MojoError
from marketdata import clock, datasets
from marketdata.cache import Cached
from marketdata.indicators import Indicators
from marketdata.responses import StockSummary
from marketdata.services.bulk import cached_many
from marketdata.services.earnings import EarningsInfo, earnings_info, unknown_earnings
from marketdata.services.meta import meta_of
from marketdata.services.option_prices import option_contract, with_price
from marketdata.services.spot import spot_of
from marketdata.symbols import normalize_symbol

# A symbol with no stock data cached (or fetched) yet.
NO_STOCK_SUMMARY = StockSummary(
    price=None,
    change_percent=None,
    sma_20=None,
    sma_50=None,
    sma_200=None,
    rsi_14=None,
    hv_20=None,
    high_52w=None,
    low_52w=None,
    spot_as_of=None,
    spot_source=None,
    meta=None,
)


@dataclass(frozen=True, slots=True)
class MarketSnapshot:
    """What the cache holds for a set of symbols and contracts, read in one round trip."""

    stocks: dict[str, Cached[dict[str, Any]]] = field(default_factory=dict)
    bars: dict[str, Cached[dict[str, list[Any]]]] = field(default_factory=dict)
    earnings: dict[str, EarningsInfo] = field(default_factory=dict)
    chains: dict[str, dict[str, Any]] = field(default_factory=dict)
    option_prices: dict[str, Cached[dict[str, Any]]] = field(default_factory=dict)
    errors: dict[str, MojoError] = field(default_factory=dict)


def market_snapshot_get(
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
    with_bars = list(dict.fromkeys(normalize_symbol(s) for s in bar_symbols))
    snapshot = MarketSnapshot()
    asked: dict[tuple[str, str], str] = {}  # validated contract -> the option ticker asked for
    for underlying, option_ticker in option_contracts:
        try:
            asked.setdefault(option_contract(underlying, option_ticker), option_ticker)
        except MojoError as invalid:
            if fetch_missing:  # what a fetch of it would have answered
                snapshot.errors[option_ticker] = invalid
    read = cached_many(
        [
            *((datasets.STOCK, s) for s in normalized),
            *((datasets.EARNINGS, s) for s in normalized),
            *((datasets.OPTIONS_SUMMARY, s) for s in normalized),
            *((datasets.BARS, s) for s in with_bars),
            *((datasets.OPTION_PRICE, contract) for contract in asked),
        ],
        fetch_missing=fetch_missing,
        deadline=deadline,
        concurrency=concurrency,
        # Bars are read for closes at past expirations: any stored history answers that.
        stale_ok=(datasets.BARS,),
    )
    today = clock.market_today()
    for (dataset, subject), cached in read.found.items():
        if dataset is datasets.STOCK:
            snapshot.stocks[subject] = cached
        elif dataset is datasets.EARNINGS:
            snapshot.earnings[subject] = earnings_info(subject, cached, today=today)
        elif dataset is datasets.OPTIONS_SUMMARY:
            snapshot.chains[subject] = cached.value
        elif dataset is datasets.BARS:
            snapshot.bars[subject] = cached
        else:
            snapshot.option_prices[asked[subject]] = with_price(cached)
    for (dataset, subject), error in read.errors.items():
        if dataset.optional and isinstance(error, datasets.UNAVAILABLE):
            snapshot.earnings[subject] = unknown_earnings(subject, error)
        else:
            snapshot.errors[asked[subject] if dataset is datasets.OPTION_PRICE else subject] = error
    return snapshot


def stock_summary(symbol: str, snapshot: MarketSnapshot) -> StockSummary | None:
    """Price, change % and headline indicators of a symbol from a snapshot (None when absent)."""
    stock = snapshot.stocks.get(symbol)
    if stock is None:
        return None
    figures: Indicators = stock.value["indicators"]
    spot = spot_of(stock)
    return {
        "price": stock.value["price"],
        "change_percent": stock.value["change_percent"],
        "sma_20": figures["sma_20"],
        "sma_50": figures["sma_50"],
        "sma_200": figures["sma_200"],
        "rsi_14": figures["rsi_14"],
        "hv_20": figures["hv_20"],
        "high_52w": figures["high_52w"],
        "low_52w": figures["low_52w"],
        "spot_as_of": spot["spot_as_of"],
        "spot_source": spot["spot_source"],
        "meta": meta_of(stock),
    }
