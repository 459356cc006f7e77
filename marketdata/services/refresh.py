"""The refresh (cron, admin): fetch what is missing or past its fresh TTL for given symbols and contracts.

The caller says what to refresh (the command asks `watchlist.selectors` for every watched
symbol and open contract): this package knows no users.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings

from core.deadline import Deadline
from core.errors import MojoError
from marketdata import cache, clock
from marketdata.cache import Cached
from marketdata.services.earnings import get_earnings
from marketdata.services.iv_history import record_iv_snapshot
from marketdata.services.option_prices import get_option_price
from marketdata.services.options import get_options_chain
from marketdata.services.pool import pooled
from marketdata.services.stocks import get_stock_data
from marketdata.symbols import normalize_symbol

DATASETS = ("stock", "options", "earnings")


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


def refresh_lock(symbol: str) -> cache.Lock | None:
    """Take a symbol's refresh lock without waiting (None when another refresh holds it)."""
    return cache.try_lock(f"refresh:{symbol}")


def refresh_symbol(
    symbol: str,
    *,
    force: bool = False,
    only: Sequence[str] = DATASETS,
    deadline: Deadline | None = None,
    record_iv: bool = True,
) -> SymbolRefresh:
    """Refresh what is missing or past its fresh TTL (everything with `force`) for one symbol.

    A per-symbol lock keeps copies started together on several hosts from repeating each
    other's upstream work; the copy that finds the lock taken skips the symbol. `deadline`
    bounds the provider time (admin actions); `record_iv` writes today's IV snapshot (a
    refresh's worker threads leave that database write to the refresh's own thread).
    """
    result = SymbolRefresh(symbol=symbol)
    lock = refresh_lock(symbol)
    if lock is None:
        result.skipped = True
        return result
    try:
        if "stock" in only:
            result.datasets["stock"] = _outcome(
                get_stock_data(symbol, force_refresh=force, deadline=deadline)
            )
        if "options" in only:
            chain = get_options_chain(symbol, force_refresh=force, deadline=deadline, record_iv=False)
            result.datasets["options"] = _outcome(chain)
            if not chain.stale:
                result.atm_iv = chain.value.get("atm_iv")
                if record_iv and result.atm_iv:
                    record_iv_snapshot(symbol, atm_iv=result.atm_iv, now=clock.now())
        if "earnings" in only:
            earnings = get_earnings(symbol, force_refresh=force, deadline=deadline)
            if earnings.status == "unknown":
                # No FMP key is a configuration choice; a configured FMP that fails is a failure.
                result.datasets["earnings"] = "provider_unavailable" if settings.FMP_API_KEY else "fresh"
            else:
                result.datasets["earnings"] = (
                    "stale" if earnings.stale else ("fresh" if earnings.cached else "fetched")
                )
    except MojoError as error:
        result.error = error.code
    finally:
        lock.release()
    return result


def refresh_option_price(underlying: str, option_ticker: str, *, force: bool = False) -> SymbolRefresh:
    """Refresh one open position's contract price."""
    result = SymbolRefresh(symbol=option_ticker)
    try:
        result.datasets["option_price"] = _outcome(
            get_option_price(underlying, option_ticker, force_refresh=force)
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


def refresh_market_data(
    *,
    symbols: Sequence[str],
    contracts: Sequence[tuple[str, str]] = (),
    force: bool = False,
    only: Sequence[str] = (*DATASETS, "option_price"),
    concurrency: int = 4,
    on_start: Callable[[int], None] | None = None,
    on_result: Callable[[SymbolRefresh], None] | None = None,
) -> RefreshReport:
    """Refresh `symbols` and the option prices of `contracts` ((underlying, option ticker) pairs).

    Writes today's IV snapshot per symbol and `finance:last_refresh`. `on_start` gets the
    number of jobs; `on_result` each SymbolRefresh as it completes (progress display).
    """
    started = time.monotonic()
    calls_before = _upstream_calls_so_far()
    symbols = [normalize_symbol(symbol) for symbol in symbols]

    def run(job: Any) -> SymbolRefresh:
        if isinstance(job, str):
            return refresh_symbol(job, force=force, only=only, record_iv=False)
        return refresh_option_price(*job, force=force)

    jobs: list[Any] = list(dict.fromkeys(symbols)) if set(only) & set(DATASETS) else []
    if "option_price" in only:
        jobs += list(contracts)
    if on_start is not None:
        on_start(len(jobs))
    results: list[SymbolRefresh] = []
    for outcome in pooled(run, jobs, workers=concurrency, name="refresh"):
        results.append(outcome)
        if outcome.atm_iv:
            # Database writes stay on this thread (SQLite: one writer; tests: one connection).
            record_iv_snapshot(outcome.symbol, atm_iv=outcome.atm_iv, now=clock.now())
        if on_result is not None:
            on_result(outcome)
    stamp = record_last_refresh()
    return RefreshReport(
        results=results,
        upstream_calls=_upstream_calls_so_far() - calls_before,
        elapsed=time.monotonic() - started,
        last_refresh=stamp,
    )


def record_last_refresh(at: datetime | None = None) -> str:
    """Write `finance:last_refresh` (ISO UTC) and return it."""
    stamp = (at or clock.now()).isoformat()
    cache.set_value(cache.last_refresh_key(), stamp)
    return stamp


def last_refresh() -> str | None:
    """The time of the last refresh run (ISO UTC), if known."""
    value = cache.get_value(cache.last_refresh_key())
    return value if isinstance(value, str) else None
