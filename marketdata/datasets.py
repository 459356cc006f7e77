"""The data sets mojo caches: one entry each — name, key, fresh TTL, fetch, and its companions.

Bulk reads (`services.bulk`), the refresh (`--only`) and invalidation loop over DATASETS;
nothing else dispatches on a data set's name. Some fetches write a second entry from the
same download (`companions`): one bars download writes stock data and bars; one chain
fetch writes the chain and its summary, which has no fetch of its own.

Adding a data set is a key function in `cache.keys`, its fetch here and one entry in
DATASETS (with `refreshed=True` to make it a `refresh_market_data --only` choice).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Generic, TypeVar

from django.conf import settings

from core.deadline import Deadline
from core.errors import MojoError
from marketdata import cache, clock, market_hours, payloads, strategies
from marketdata.cache import Cached
from marketdata.clients import get_fmp_client, get_massive_client
from marketdata.domain import DailyBar, bars_to_columns
from marketdata.exceptions import EarningsUnavailable, ProviderError, TickerNotFound
from marketdata.symbols import Symbol

# ≥ 400 sessions, so SMA200 and 52-week figures exist for any listed stock.
BARS_CALENDAR_DAYS = 730

# The failures an `optional` data set turns into "unknown" rather than an error: not
# configured (no key), or its provider failing.
UNAVAILABLE: tuple[type[MojoError], ...] = (EarningsUnavailable, ProviderError)

S = TypeVar("S")  # what an entry is about: a Symbol, or (underlying Symbol, option ticker)


@dataclass(frozen=True, slots=True, eq=False)
class DataSet(Generic[S]):
    """One cached data set; `get` reads it through the cache, fetching when it must."""

    name: str  # the metrics label, the --only choice and the refresh report's word
    key: Callable[[S], str]
    fresh_ttl: Callable[[datetime], int]
    fetch: Callable[[S, Deadline | None], Any] | None  # None: written only as a companion
    companions: tuple[str, ...] = ()  # the data sets this one's fetch writes too
    remember_unknown: bool = False  # remember TickerNotFound for an hour
    per_symbol: bool = True  # keyed by the symbol (invalidation deletes it with the symbol)
    refreshed: bool = False  # a choice of refresh_market_data --only
    optional: bool = False  # its provider failing is an outcome ("unknown"), not the symbol's failure

    def get(
        self,
        subject: S,
        *,
        force: bool = False,
        deadline: Deadline | None = None,
        entry: cache.Entry | None = cache.UNREAD,
    ) -> Cached[Any]:
        """The subject's payload: cached when fresh, else fetched once for everyone and stored."""
        fetch = self.fetch
        if fetch is None:
            raise TypeError(f"{self.name} has no fetch: it is written with {', '.join(self.companions)}")
        return cache.get_or_fetch(
            key=self.key(subject),
            dataset=self.name,
            fetch=lambda: fetch(subject, deadline),
            fresh_ttl=self.fresh_ttl,
            force=force,
            deadline=deadline,
            entry=entry,
            remember_unknown=self.remember_unknown,
        )

    def store(self, subject: S, value: Any) -> None:
        """Write an entry another data set's fetch produced, fresh for this set's TTL from now."""
        at = clock.now()
        ttl = self.fresh_ttl(at)
        cache.write(
            self.key(subject), cache.Entry(value, at.timestamp(), at.timestamp() + ttl), fresh_ttl=ttl
        )


# --- Fetches ---------------------------------------------------------------------------------
def _daily_bars(symbol: Symbol, deadline: Deadline | None) -> list[DailyBar]:
    today = clock.market_today()
    bars = get_massive_client().get_daily_bars(
        symbol, today - timedelta(days=BARS_CALENDAR_DAYS), today, deadline=deadline
    )
    if not bars:
        raise TickerNotFound(details={"symbol": symbol})
    return bars


def _fetch_stock(symbol: Symbol, deadline: Deadline | None) -> dict[str, Any]:
    bars = _daily_bars(symbol, deadline)
    BARS.store(symbol, bars_to_columns(bars))
    return payloads.stock_payload(symbol, bars)


def _fetch_bars(symbol: Symbol, deadline: Deadline | None) -> dict[str, list[Any]]:
    bars = _daily_bars(symbol, deadline)
    STOCK.store(symbol, payloads.stock_payload(symbol, bars))
    return bars_to_columns(bars)


def _fetch_chain(symbol: Symbol, deadline: Deadline | None) -> dict[str, Any]:
    """The spec's two filtered chain calls; a failure of either raises before anything is stored."""
    client = get_massive_client()
    today = clock.market_today()
    short_window, long_window = payloads.chain_windows(today)
    contracts = client.get_options_chain_snapshot(
        symbol,
        date.fromisoformat(short_window["from"]),
        date.fromisoformat(short_window["to"]),
        deadline=deadline,
    ) + client.get_options_chain_snapshot(
        symbol,
        date.fromisoformat(long_window["from"]),
        date.fromisoformat(long_window["to"]),
        contract_type="call",
        deadline=deadline,
    )
    spot = next((c.underlying_price for c in contracts if c.underlying_price), None)
    if spot is None and contracts:
        spot = STOCK.get(symbol, deadline=deadline).value["price"]
    payload = payloads.chain_payload(
        symbol,
        contracts,
        spot=spot,
        today=today,
        rate=settings.RISK_FREE_RATE,
        thresholds=strategies.THRESHOLDS,
    )
    OPTIONS_SUMMARY.store(symbol, {name: payload[name] for name in payloads.SUMMARY_KEYS})
    return payload


def _fetch_option_price(contract: tuple[Symbol, str], deadline: Deadline | None) -> dict[str, Any]:
    underlying, option_ticker = contract
    client = get_massive_client()
    return client.get_option_contract_snapshot(underlying, option_ticker, deadline=deadline).to_payload()


def _fetch_earnings(symbol: Symbol, deadline: Deadline | None) -> list[str]:
    today = clock.market_today()
    return [d.isoformat() for d in get_fmp_client().upcoming_earnings(symbol, today, deadline=deadline)]


def _option_price_key(contract: tuple[Symbol, str]) -> str:
    return cache.option_price_cache_key(contract[1])


# --- The table -------------------------------------------------------------------------------
STOCK: DataSet[Symbol] = DataSet(
    cache.STOCK,
    cache.stock_cache_key,
    market_hours.quote_ttl,
    _fetch_stock,
    companions=(cache.BARS,),
    remember_unknown=True,
    refreshed=True,
)
BARS: DataSet[Symbol] = DataSet(
    cache.BARS,
    cache.bars_cache_key,
    market_hours.quote_ttl,
    _fetch_bars,
    companions=(cache.STOCK,),
    remember_unknown=True,
)
OPTIONS: DataSet[Symbol] = DataSet(
    cache.OPTIONS,
    cache.options_cache_key,
    market_hours.long_ttl,
    _fetch_chain,
    companions=(cache.OPTIONS_SUMMARY,),
    refreshed=True,
)
OPTIONS_SUMMARY: DataSet[Symbol] = DataSet(
    cache.OPTIONS_SUMMARY,
    cache.options_summary_cache_key,
    market_hours.long_ttl,
    None,
    companions=(cache.OPTIONS,),
)
EARNINGS: DataSet[Symbol] = DataSet(
    cache.EARNINGS,
    cache.earnings_cache_key,
    market_hours.long_ttl,
    _fetch_earnings,
    refreshed=True,
    optional=True,
)
OPTION_PRICE: DataSet[tuple[Symbol, str]] = DataSet(
    cache.OPTION_PRICE,
    _option_price_key,
    market_hours.quote_ttl,
    _fetch_option_price,
    remember_unknown=True,
    per_symbol=False,
    refreshed=True,
)

DATASETS: tuple[DataSet[Any], ...] = (STOCK, BARS, OPTIONS, OPTIONS_SUMMARY, EARNINGS, OPTION_PRICE)
BY_NAME: dict[str, DataSet[Any]] = {dataset.name: dataset for dataset in DATASETS}
REFRESHED: tuple[DataSet[Any], ...] = tuple(dataset for dataset in DATASETS if dataset.refreshed)
