"""The refresh (cron, admin): fetch what is missing or past its fresh TTL for given symbols and contracts.

The caller says what to refresh (the command asks `watchlist.selectors` for every watched
symbol and open contract): this package knows no users.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.deadline import Deadline
from core.errors import MojoError
from marketdata import cache, clock, datasets
from marketdata.cache import Cached
from marketdata.datasets import DataSet
from marketdata.exceptions import EarningsUnavailable
from marketdata.services.iv_history import iv_snapshot_record
from marketdata.services.option_prices import option_price_get
from marketdata.services.pool import pooled
from marketdata.symbols import normalize_symbol

logger = logging.getLogger(__name__)

# The --only choices of refresh_market_data: what a refresh can be asked to refresh.
REFRESH_CHOICES = tuple(dataset.name for dataset in datasets.REFRESHED)


@dataclass(slots=True)
class SymbolRefresh:
    """What one symbol's refresh did: per data set "fetched", "fresh", "stale" or an error code."""

    symbol: str
    datasets: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    skipped: bool = False
    atm_iv: float | None = None  # today's ATM IV, for the refresh to record

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
) -> SymbolRefresh:
    """Refresh what is missing or past its fresh TTL (everything with `force`) for one symbol.

    A per-symbol lock keeps copies started together on several hosts from repeating each
    other's upstream work; the copy that finds the lock taken skips the symbol. `deadline`
    bounds the provider time (admin actions); `record_iv` writes today's IV snapshot (a
    refresh's worker threads leave that database write to the refresh's own thread).
    """
    symbol = normalize_symbol(symbol)
    result = SymbolRefresh(symbol=symbol)
    lock = symbol_refresh_lock(symbol)
    if lock is None:
        result.skipped = True
        return result
    try:
        for dataset in datasets.REFRESHED:
            if dataset.per_symbol and dataset in only:
                result.datasets[dataset.name], cached = _refresh(
                    dataset, symbol, force=force, deadline=deadline
                )
                if dataset is datasets.OPTIONS and cached is not None and not cached.stale:
                    # The refresh is what records the day's ATM IV, for IV rank.
                    result.atm_iv = cached.value.get("atm_iv")
                    if record_iv and result.atm_iv:
                        iv_snapshot_record(symbol, atm_iv=result.atm_iv, now=clock.now())
    except MojoError as error:
        result.error = error.code
    finally:
        lock.release()
    return result


def _refresh(
    dataset: DataSet[Any], symbol: str, *, force: bool, deadline: Deadline | None
) -> tuple[str, Cached[Any] | None]:
    """One data set of a symbol's refresh: its outcome, and what it read (None when unknown)."""
    try:
        cached = dataset.get(symbol, force=force, deadline=deadline)
    except datasets.UNAVAILABLE as error:
        if not dataset.optional:
            raise
        logger.info("%s unknown for %s: %s", dataset.name, symbol, error.code)
        # Not configured (no key) is a choice; a configured provider that fails is a failure.
        return ("fresh" if isinstance(error, EarningsUnavailable) else "provider_unavailable"), None
    return _outcome(cached), cached


def option_price_refresh(underlying: str, option_ticker: str, *, force: bool = False) -> SymbolRefresh:
    """Refresh one open position's contract price."""
    result = SymbolRefresh(symbol=option_ticker)
    try:
        result.datasets[datasets.OPTION_PRICE.name] = _outcome(
            option_price_get(underlying, option_ticker, force_refresh=force)
        )
    except MojoError as error:
        result.error = error.code
    return result


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
    force: bool = False,
    only: Collection[DataSet[Any]] = datasets.REFRESHED,
    concurrency: int = 4,
    on_start: Callable[[int], None] | None = None,
    on_result: Callable[[SymbolRefresh], None] | None = None,
) -> RefreshReport:
    """Refresh `symbols` and the option prices of `contracts` ((underlying, option ticker) pairs).

    `only` limits it to some of the refreshed data sets (`--only`): per-symbol ones are
    refreshed for each symbol, the option price for each contract.

    Writes today's IV snapshot per symbol and `finance:last_refresh`. `on_start` gets the
    number of jobs; `on_result` each SymbolRefresh as it completes (progress display).
    """
    started = time.monotonic()
    calls_before = _upstream_calls_so_far()
    symbols = [normalize_symbol(symbol) for symbol in symbols]

    def run(job: Any) -> SymbolRefresh:
        if isinstance(job, str):
            return symbol_refresh(job, force=force, only=only, record_iv=False)
        return option_price_refresh(*job, force=force)

    jobs: list[Any] = list(dict.fromkeys(symbols)) if any(d.per_symbol for d in only) else []
    if datasets.OPTION_PRICE in only:
        jobs += list(contracts)
    if on_start is not None:
        on_start(len(jobs))
    results: list[SymbolRefresh] = []
    for outcome in pooled(run, jobs, workers=concurrency, name="refresh"):
        results.append(outcome)
        if outcome.atm_iv:
            # Database writes stay on this thread (SQLite: one writer; tests: one connection).
            iv_snapshot_record(outcome.symbol, atm_iv=outcome.atm_iv, now=clock.now())
        if on_result is not None:
            on_result(outcome)
    stamp = last_refresh_record()
    return RefreshReport(
        results=results,
        upstream_calls=_upstream_calls_so_far() - calls_before,
        elapsed=time.monotonic() - started,
        last_refresh=stamp,
    )


def last_refresh_record(at: datetime | None = None) -> str:
    """Write `finance:last_refresh` (ISO UTC) and return it."""
    stamp = (at or clock.now()).isoformat()
    cache.set_value(cache.last_refresh_key(), stamp)
    return stamp


def last_refresh_get() -> str | None:
    """The time of the last refresh run (ISO UTC), if known."""
    value = cache.get_value(cache.last_refresh_key())
    return value if isinstance(value, str) else None
