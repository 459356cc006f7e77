"""The refresh (cron, admin): fetch what is missing or past its fresh TTL for given symbols and contracts.

The caller says what to refresh (the command asks `watchlist.selectors` for every watched
symbol and open contract): this package knows no users.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.deadline import Deadline
from core.errors import MojoError
from core.pool import pooled
from marketdata import cache, clock, datasets
from marketdata.cache import Cached
from marketdata.datasets import DataSet
from marketdata.exceptions import EarningsUnavailable, TickerNotFound
from marketdata.services.earnings import earnings_cached
from marketdata.services.iv_history import iv_snapshot_record
from marketdata.services.option_prices import option_contract
from marketdata.services.options import chain_signal_counts
from marketdata.services.stock_refresh import stocks_refresh
from marketdata.symbols import Symbol, normalize_symbol

logger = logging.getLogger(__name__)

# The --only choices of refresh_market_data: what a refresh can be asked to refresh.
REFRESH_CHOICES = tuple(dataset.name for dataset in datasets.REFRESHED)


@dataclass(slots=True)
class SymbolRefresh:
    """What one symbol's refresh did: per data set "fetched", "fresh", "stale" or an error code."""

    symbol: str
    datasets: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    # Something the user should know that did not fail the refresh (an open position's
    # contract the provider no longer knows: it is valued at its entry price).
    warning: str | None = None
    skipped: bool = False
    atm_iv: float | None = None  # today's ATM IV, for the refresh to record
    signal_counts: dict[str, int] | None = None  # the fetched chain's, for the cycle's record

    @property
    def ok(self) -> bool:
        """True when nothing failed (stale counts as failed: the provider did not answer)."""
        return self.error is None and all(v in ("fetched", "fresh") for v in self.datasets.values())


def _outcome(cached: Cached[Any]) -> str:
    if cached.stale:
        return "stale"
    return "fresh" if cached.cached else "fetched"


def symbol_refresh_lock(symbol: str) -> cache.Lock | None:
    """Take a symbol's refresh lock without waiting (None when another refresh holds it)."""
    return cache.try_lock(f"refresh:{symbol}")


def symbol_refresh(
    symbol: str,
    *,
    force: bool = False,
    only: Collection[DataSet[Any]] = datasets.REFRESHED,
    deadline: Deadline | None = None,
    record_iv: bool = True,
    locked: bool = True,
) -> SymbolRefresh:
    """Refresh what is missing or past its fresh TTL (everything with `force`) for one symbol.

    A per-symbol lock keeps copies started together on several hosts from repeating each
    other's upstream work; the copy that finds the lock taken skips the symbol. A cycle's
    part on the workers passes `locked=False`: the cycle is the unit that is never run twice at
    once, and a part run again after its worker was killed must not find the dead part's lock
    and skip. `deadline` bounds the provider time (admin actions); `record_iv` writes today's
    IV snapshot (a refresh's worker threads leave that write to the refresh's own thread).
    """
    symbol = normalize_symbol(symbol)
    if not locked:
        return _symbol_refresh_held(symbol, force=force, only=only, deadline=deadline, record_iv=record_iv)
    lock = symbol_refresh_lock(symbol)
    if lock is None:
        return SymbolRefresh(symbol=symbol, skipped=True)
    try:
        return _symbol_refresh_held(symbol, force=force, only=only, deadline=deadline, record_iv=record_iv)
    finally:
        lock.release()


def _symbol_refresh_held(
    symbol: str,
    *,
    force: bool,
    only: Collection[DataSet[Any]],
    deadline: Deadline | None = None,
    record_iv: bool = True,
) -> SymbolRefresh:
    """`symbol_refresh` once its lock is held."""
    result = SymbolRefresh(symbol=symbol)
    try:
        for dataset in datasets.REFRESHED:
            if dataset.per_symbol and dataset in only:
                result.datasets[dataset.name], cached = _refresh(
                    dataset, symbol, force=force, deadline=deadline
                )
                if dataset is datasets.OPTIONS and cached is not None and not cached.stale:
                    # The refresh is what records the day's ATM IV, for IV rank.
                    result.atm_iv = cached.value.get("atm_iv")
                    result.signal_counts = chain_signal_counts(
                        cached.value, earnings_cached(Symbol(symbol)), today=clock.market_today()
                    )
                    if record_iv and result.atm_iv:
                        iv_snapshot_record(symbol, atm_iv=result.atm_iv, now=clock.now())
    except MojoError as error:
        result.error = error.code
    return result


def _refresh(
    dataset: DataSet[Any], symbol: str, *, force: bool, deadline: Deadline | None
) -> tuple[str, Cached[Any] | None]:
    """One data set of a symbol's refresh: its outcome, and what it read (None when unknown)."""
    try:
        cached = dataset.get(symbol, force=force, deadline=deadline)
    except MojoError as error:
        return _failed_outcome(dataset, symbol, error), None
    return _outcome(cached), cached


def _failed_outcome(dataset: DataSet[Any], symbol: str, error: MojoError) -> str:
    """The outcome of a data set that could not be had: "unknown" for optional ones, else raised."""
    if not dataset.optional or not isinstance(error, datasets.UNAVAILABLE):
        raise error
    logger.info("%s unknown for %s: %s", dataset.name, symbol, error.code)
    # Not configured (no key) is a choice; a configured provider that fails is a failure.
    return "fresh" if isinstance(error, EarningsUnavailable) else "provider_unavailable"


def option_prices_refresh(
    contracts: Sequence[tuple[str, str]], *, force: bool = False
) -> list[SymbolRefresh]:
    """Refresh open positions' contract prices together: one universal-snapshot call per 250.

    A contract the provider does not know is a warning, not a failure: its position is
    valued at its entry price. A malformed option ticker is that contract's failure.
    """
    results: dict[tuple[str, str], SymbolRefresh] = {}
    canonical: dict[tuple[Symbol, str], tuple[str, str]] = {}
    for underlying, option_ticker in contracts:
        try:
            canonical.setdefault(option_contract(underlying, option_ticker), (underlying, option_ticker))
        except MojoError as error:
            results[(underlying, option_ticker)] = SymbolRefresh(symbol=option_ticker, error=error.code)
    found = datasets.OPTION_PRICE.get_many(list(canonical), force=force)
    for contract, asked in canonical.items():
        outcome = found[contract]
        result = SymbolRefresh(symbol=asked[1])
        if isinstance(outcome, TickerNotFound):
            result.warning = outcome.code
        elif isinstance(outcome, MojoError):
            result.error = outcome.code
        else:
            result.datasets[datasets.OPTION_PRICE.name] = _outcome(outcome)
        results[asked] = result
    return [results[contract] for contract in dict.fromkeys(contracts)]


@dataclass(slots=True)
class RefreshReport:
    """A refresh run: per-symbol results, upstream calls made and time taken."""

    results: list[SymbolRefresh]
    upstream_calls: int
    elapsed: float
    last_refresh: str

    @property
    def failed(self) -> list[SymbolRefresh]:
        """Symbols (or contracts) whose refresh failed."""
        return [r for r in self.results if not r.ok and not r.skipped]


def _upstream_calls_so_far() -> int:
    from marketdata.metrics import UPSTREAM_CALLS

    return int(
        sum(
            sample.value
            for metric in UPSTREAM_CALLS.collect()
            for sample in metric.samples
            if sample.name.endswith("_total")
        )
    )


def market_data_refresh(
    *,
    symbols: Sequence[str],
    contracts: Sequence[tuple[str, str]] = (),
    history_also: Sequence[str] = (),
    force: bool = False,
    only: Collection[DataSet[Any]] = datasets.REFRESHED,
    concurrency: int = 4,
    on_start: Callable[[int], None] | None = None,
    on_result: Callable[[SymbolRefresh], None] | None = None,
) -> RefreshReport:
    """Refresh `symbols` and the option prices of `contracts` ((underlying, option ticker) pairs).

    `only` limits it to some of the refreshed data sets (`--only`): per-symbol ones are
    refreshed for each symbol, the option price for each contract. With stock data, the
    stored history of `history_also` (open positions' underlyings, the benchmark) is brought
    up to date too. Each symbol's refresh lock is taken first: a symbol another copy holds is
    skipped. Stock data, earnings (one calendar) and option prices (one universal snapshot
    per 250 contracts) are refreshed for all at once on this thread, chains per symbol in a pool.

    Writes today's IV snapshot per symbol and `finance:last_refresh`. `on_start` gets the
    number of jobs; `on_result` each SymbolRefresh as it completes (progress display).
    """
    started = time.monotonic()
    calls_before = _upstream_calls_so_far()
    symbols = list(dict.fromkeys(normalize_symbol(symbol) for symbol in symbols))
    per_symbol = [dataset for dataset in only if dataset.per_symbol]
    jobs = symbols if per_symbol else []
    priced = list(contracts) if datasets.OPTION_PRICE in only else []
    if on_start is not None:
        on_start(len(jobs) + len(priced))
    locks = {symbol: symbol_refresh_lock(symbol) for symbol in jobs}
    held = [symbol for symbol, lock in locks.items() if lock is not None]
    try:
        batched = batched_refresh(
            held, only=per_symbol, history_also=history_also, force=force, concurrency=concurrency
        )
        results = option_prices_refresh(priced, force=force) if priced else []
        if on_result is not None:
            for result in results:
                on_result(result)
        rest = [dataset for dataset in per_symbol if dataset not in batched]

        def run(symbol: str) -> SymbolRefresh:
            if locks[symbol] is None:
                return SymbolRefresh(symbol=symbol, skipped=True)
            return symbol_refresh_after_batches(symbol, batched, force=force, only=rest)

        results += _run_pooled(run, jobs, concurrency=concurrency, on_result=on_result)
    finally:
        for lock in locks.values():
            if lock is not None:
                lock.release()
    stamp = last_refresh_record()
    return RefreshReport(
        results=results,
        upstream_calls=_upstream_calls_so_far() - calls_before,
        elapsed=time.monotonic() - started,
        last_refresh=stamp,
    )


def batched_refresh(
    symbols: Sequence[str],
    *,
    only: Collection[DataSet[Any]],
    history_also: Sequence[str],
    force: bool,
    concurrency: int,
) -> dict[DataSet[Any], dict[str, Cached[Any] | MojoError]]:
    """The data sets refreshed for all symbols at once, on this thread: stock data, then the rest.

    Stock data goes through `stocks_refresh` (splits, history, snapshot); every other data set
    with a fetch for many (earnings: one calendar) through its `get_many`.
    """
    batched: dict[DataSet[Any], dict[str, Cached[Any] | MojoError]] = {}
    if datasets.STOCK in only:
        batched[datasets.STOCK] = stocks_refresh(
            symbols, history_also=history_also, force=force, concurrency=concurrency
        )
    for dataset in only:
        if dataset.fetch_many is not None and dataset not in batched:
            found = dataset.get_many([Symbol(symbol) for symbol in symbols], force=force)
            batched[dataset] = dict(found.items())
    return batched


def symbol_refresh_after_batches(
    symbol: str,
    batched: dict[DataSet[Any], dict[str, Cached[Any] | MojoError]],
    *,
    force: bool,
    only: Collection[DataSet[Any]],
) -> SymbolRefresh:
    """A symbol's refresh: what the batches found for it, then its own data sets.

    A symbol whose stock data failed refreshes nothing else (its chain needs the price).
    """
    stock = batched.get(datasets.STOCK, {}).get(symbol)
    if isinstance(stock, MojoError):
        return SymbolRefresh(symbol=symbol, error=stock.code)
    result = _symbol_refresh_held(symbol, force=force, only=only, record_iv=False)
    outcomes = dict(result.datasets)
    for dataset, found in batched.items():
        outcome = found.get(symbol)
        if isinstance(outcome, MojoError):
            try:
                outcomes[dataset.name] = _failed_outcome(dataset, symbol, outcome)
            except MojoError as error:
                result.error = result.error or error.code
        elif outcome is not None:
            outcomes[dataset.name] = _outcome(outcome)
    result.datasets = {d.name: outcomes[d.name] for d in datasets.REFRESHED if d.name in outcomes}
    return result


def batched_outcome(symbol: str, dataset: DataSet[Any], outcome: Cached[Any] | MojoError) -> SymbolRefresh:
    """One symbol's result of a data set fetched for many at once (a cycle's market-wide task)."""
    result = SymbolRefresh(symbol=symbol)
    if isinstance(outcome, MojoError):
        try:
            result.datasets[dataset.name] = _failed_outcome(dataset, symbol, outcome)
        except MojoError as error:
            result.error = error.code
    else:
        result.datasets[dataset.name] = _outcome(outcome)
    return result


def _run_pooled(
    run: Callable[[Any], SymbolRefresh],
    jobs: Sequence[Any],
    *,
    concurrency: int,
    on_result: Callable[[SymbolRefresh], None] | None,
) -> Iterator[SymbolRefresh]:
    for outcome in pooled(run, jobs, workers=concurrency, name="refresh"):
        if outcome.atm_iv:
            # Database writes stay on this thread (SQLite: one writer; tests: one connection).
            iv_snapshot_record(outcome.symbol, atm_iv=outcome.atm_iv, now=clock.now())
        if on_result is not None:
            on_result(outcome)
        yield outcome


def last_refresh_record(at: datetime | None = None) -> str:
    """Write `finance:last_refresh` (ISO UTC) and return it."""
    stamp = (at or clock.now()).isoformat()
    cache.set_value(cache.last_refresh_key(), stamp)
    return stamp


def last_refresh_get() -> str | None:
    """The time of the last refresh run (ISO UTC), if known."""
    value = cache.get_value(cache.last_refresh_key())
    return value if isinstance(value, str) else None
