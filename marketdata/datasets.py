"""The data sets mojo caches: one entry each — name, key, fresh TTL, fetch, and its companions.

Bulk reads (`services.bulk`), the refresh (`--only`) and invalidation loop over DATASETS;
nothing else dispatches on a data set's name. Some fetches write a second entry from the
same work (`companions`): stock data and bars are computed together from stored history;
one chain fetch writes the chain and its summary, which has no fetch of its own. Some also
fetch many subjects at once (`fetch_many`), which bulk reads and the refresh use on their own
thread: stock data and bars (one history sync, one stocks snapshot), earnings (one FMP
calendar) and option prices (one universal snapshot per 250 contracts).

Adding a data set is a key function in `cache.keys`, its fetch here and one entry in
DATASETS (with `refreshed=True` to make it a `refresh_market_data --only` choice).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Generic, TypeVar

from django.conf import settings

from core.deadline import Deadline
from core.errors import MojoError
from core.pool import pooled
from marketdata import cache, clock, entitlements, history, market_hours, payloads, reference, strategies
from marketdata.cache import Cached
from marketdata.clients import get_fmp_client, get_massive_client
from marketdata.domain import OptionSnapshot, bars_to_columns
from marketdata.earnings_calendar import fetch_earnings_many
from marketdata.exceptions import EarningsUnavailable, ProviderError
from marketdata.symbols import Symbol

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
    # One fetch for many subjects (each answered with its value or its MojoError), on the
    # caller's thread: bulk reads and the refresh use it instead of one `fetch` per subject.
    fetch_many: Callable[[Sequence[S], Deadline | None], Mapping[S, Any]] | None = None
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

    def get_many(
        self,
        subjects: Sequence[S],
        *,
        force: bool = False,
        deadline: Deadline | None = None,
        entries: Mapping[str, cache.Entry] | None = None,
        fetch_many: Callable[[Sequence[S], Deadline | None], Mapping[S, Any]] | None = None,
    ) -> dict[S, Cached[Any] | MojoError]:
        """Each subject's payload as `get` gives it, the misses fetched together (`fetch_many`).

        Errors are returned beside the results, never raised. A caller that has done part of
        the fetch's work may pass its own `fetch_many` (the refresh, which syncs history first).
        """
        fetch_many = fetch_many or self.fetch_many
        if fetch_many is None:
            raise TypeError(f"{self.name} has no fetch_many")
        return cache.get_or_fetch_many(
            keys={subject: self.key(subject) for subject in subjects},
            dataset=self.name,
            fetch_many=lambda wanted: fetch_many(wanted, deadline),
            fresh_ttl=self.fresh_ttl,
            force=force,
            deadline=deadline,
            entries=entries,
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
def fetch_stocks(
    symbols: Sequence[Symbol],
    deadline: Deadline | None,
    *,
    sync_errors: Mapping[str, MojoError] | None = None,
) -> dict[Symbol, Any]:
    """Stock data of many symbols (bars stored beside); with `sync_errors` their history was just synced."""
    return _fetch_stock_entries(symbols, deadline, companion=BARS, sync_errors=sync_errors)


def _fetch_bars_many(symbols: Sequence[Symbol], deadline: Deadline | None) -> dict[Symbol, Any]:
    return _fetch_stock_entries(symbols, deadline, companion=STOCK)


def _fetch_stock_entries(
    symbols: Sequence[Symbol],
    deadline: Deadline | None,
    *,
    companion: DataSet[Symbol],
    sync_errors: Mapping[str, MojoError] | None = None,
) -> dict[Symbol, Any]:
    """Stock data and bars from stored history plus today's bar so far; one is stored, one returned.

    The stock data carries the stored ticker details and upcoming dividends too (two queries).
    """
    found: dict[Symbol, Any] = {}
    now = clock.now()
    histories = history.history_with_today(symbols, now=now, deadline=deadline, sync_errors=sync_errors)
    details = reference.ticker_details_many(symbols)
    today = market_hours.market_date(now)
    dividends = reference.dividends_upcoming_many(symbols, today=today)
    # What the option models expect, as far out as the chain's longest window reaches.
    schedules = reference.dividend_schedules_many(
        symbols, today=today, until=today + timedelta(days=payloads.LONG_WINDOW_DAYS[1])
    )
    for symbol, bars in histories.items():
        if isinstance(bars, MojoError):
            found[Symbol(symbol)] = bars
            continue
        stock = payloads.stock_payload(
            symbol,
            bars,
            details=details.get(symbol),
            dividends=dividends.get(symbol, ()),
            dividend_schedule=schedules.get(symbol, ()),
        )
        entries = {STOCK: stock, BARS: bars_to_columns(bars)}
        companion.store(Symbol(symbol), entries.pop(companion))
        (found[Symbol(symbol)],) = entries.values()
    return found


def _one(
    fetch_many: Callable[[Sequence[Symbol], Deadline | None], Mapping[Symbol, Any]],
) -> Callable[[Symbol, Deadline | None], Any]:
    """A single-subject fetch from a batch fetch: its value, or its error raised."""

    def fetch(symbol: Symbol, deadline: Deadline | None) -> Any:
        value = fetch_many([symbol], deadline)[symbol]
        if isinstance(value, MojoError):
            raise value
        return value

    return fetch


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
        dividends=_expected_dividends(symbol),
    )
    OPTIONS_SUMMARY.store(symbol, {name: payload[name] for name in payloads.SUMMARY_KEYS})
    return payload


def _expected_dividends(symbol: Symbol) -> list[tuple[date, float]]:
    """The dividends the cached stock data expects (declared, then projected); none without it.

    Read from the stock entry (a refresh fetches it before the chain), neither fetched here nor
    queried: chains are fetched on pooled threads, which keep off the database.
    """
    entry = cache.read(STOCK.key(symbol))
    if entry is None or entry.missing or not isinstance(entry.value, dict):
        return []
    return payloads.dividend_pairs(entry.value.get("dividend_schedule"))


def _fetch_option_price(contract: tuple[Symbol, str], deadline: Deadline | None) -> dict[str, Any]:
    underlying, option_ticker = contract
    client = get_massive_client()
    return client.get_option_contract_snapshot(underlying, option_ticker, deadline=deadline).to_payload()


def _fetch_option_prices(
    contracts: Sequence[tuple[Symbol, str]], deadline: Deadline | None
) -> dict[tuple[Symbol, str], Any]:
    """Many contracts' snapshots: one universal-snapshot call per 250, or one call each without it.

    A contract the provider cannot answer gets its error (an unknown one, TickerNotFound)
    and the others their snapshots; a plan without the universal snapshot asks per contract.
    """
    client = get_massive_client()

    def batched() -> dict[tuple[Symbol, str], Any]:
        tickers = {option_ticker: underlying for underlying, option_ticker in contracts}
        snapshots = client.get_option_snapshots(tickers, deadline=deadline)
        return {contract: _payload_or_error(snapshots[contract[1]]) for contract in contracts}

    def one_by_one() -> dict[tuple[Symbol, str], Any]:
        def fetch(contract: tuple[Symbol, str]) -> tuple[tuple[Symbol, str], Any]:
            try:
                return contract, _fetch_option_price(contract, deadline)
            except MojoError as error:
                return contract, error

        workers = settings.MARKETDATA_FETCH_CONCURRENCY
        return dict(pooled(fetch, list(contracts), workers=workers, name="option_prices"))

    return entitlements.entitled_or("universal_snapshot", batched, one_by_one)


def _payload_or_error(snapshot: OptionSnapshot | MojoError) -> Any:
    return snapshot if isinstance(snapshot, MojoError) else snapshot.to_payload()


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
    _one(fetch_stocks),
    fetch_many=fetch_stocks,
    companions=(cache.BARS,),
    remember_unknown=True,
    refreshed=True,
)
BARS: DataSet[Symbol] = DataSet(
    cache.BARS,
    cache.bars_cache_key,
    market_hours.quote_ttl,
    _one(_fetch_bars_many),
    fetch_many=_fetch_bars_many,
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
    fetch_many=fetch_earnings_many,  # one calendar call for all; per-symbol only for the rest
    refreshed=True,
    optional=True,
)
OPTION_PRICE: DataSet[tuple[Symbol, str]] = DataSet(
    cache.OPTION_PRICE,
    _option_price_key,
    market_hours.quote_ttl,
    _fetch_option_price,
    fetch_many=_fetch_option_prices,
    remember_unknown=True,
    per_symbol=False,
    refreshed=True,
)

DATASETS: tuple[DataSet[Any], ...] = (STOCK, BARS, OPTIONS, OPTIONS_SUMMARY, EARNINGS, OPTION_PRICE)
BY_NAME: dict[str, DataSet[Any]] = {dataset.name: dataset for dataset in DATASETS}
REFRESHED: tuple[DataSet[Any], ...] = tuple(dataset for dataset in DATASETS if dataset.refreshed)
