"""The stock data of a refresh, for every symbol at once: splits, history, reference data, quotes.

Inline (`refresh.market_data_refresh`) these run one after the other on the caller's thread
(`stocks_refresh`: they write stored history); on the workers each is a task of its own
(`services.cycle_steps`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from core.errors import MojoError
from marketdata import clock, datasets, history
from marketdata.cache import Cached
from marketdata.services.invalidation import symbol_invalidate
from marketdata.services.reference import reference_refresh
from marketdata.symbols import Symbol, normalize_symbol

logger = logging.getLogger(__name__)


def stocks_refresh(
    symbols: Sequence[str],
    *,
    history_also: Sequence[str] = (),
    force: bool = False,
    concurrency: int | None = None,
) -> dict[str, Cached[Any] | MojoError]:
    """The stock data of every symbol in one go: the cycle's splits check, history sync and snapshot.

    Runs on the caller's thread (it writes stored history): `splits_refresh` first (a symbol
    with a new split is fetched again, adjusted), then one sync for `symbols` and
    `history_also` (grouped daily when that is fewer calls), the reference data
    (`reference_refresh`: new symbols' ticker details, the day's dividends), and
    `stock_quotes_refresh`. `concurrency` bounds the calls. On the workers these are tasks of
    their own (`services.cycles`).
    """
    now = clock.now()
    splits_refresh(now=now)
    kept = list(dict.fromkeys([*symbols, *(normalize_symbol(symbol) for symbol in history_also)]))
    synced = history_refresh(kept, now=now, concurrency=concurrency)
    # Stock data shows the symbol's name, type and next dividend: whose changed is computed again.
    changed = reference_refresh(symbols, now=now, concurrency=concurrency)
    return stock_quotes_refresh(symbols, changed=changed, history_errors=synced.errors, force=force)


def splits_refresh(*, now: datetime) -> list[str]:
    """The day's market-wide splits check: a symbol with a new split loses its history and cache.

    Its stored history is deleted (the next sync fetches it again, adjusted) and every cached
    figure of it (chain and option prices too: strikes and contracts change). Returns those
    symbols; a failed check is logged, and the next refresh asks again.
    """
    try:
        split = history.history_splits_check(now=now)
    except MojoError as error:
        logger.warning("splits check failed (%s); the next refresh asks again", error.code)
        return []
    if split:
        logger.info("splits since the last check: %s; their history is fetched again", ", ".join(split))
        for symbol in split:  # every cached figure of theirs is on the old price level
            symbol_invalidate(symbol)
    return split


def history_refresh(
    symbols: Sequence[str], *, now: datetime, concurrency: int | None = None
) -> history.HistorySync:
    """Bring the stored history of `symbols` up to date (grouped daily when that is fewer calls)."""
    synced = history.history_sync(symbols, now=now, concurrency=concurrency)
    for symbol, failure in synced.errors.items():
        logger.info("history of %s not brought up to date: %s", symbol, failure.code)
    return synced


def stock_quotes_refresh(
    symbols: Sequence[str],
    *,
    changed: Collection[str] = (),
    history_errors: Mapping[str, MojoError],
    force: bool = False,
) -> dict[str, Cached[Any] | MojoError]:
    """Stock data of `symbols` past their TTL (all with `force`; `changed` always), from stored history.

    The history was just synced: `history_errors` are the symbols it failed for (no symbol is
    asked twice). In session one stocks-snapshot call gives every symbol's bar so far.
    """
    fetch = functools.partial(datasets.fetch_stocks, sync_errors=history_errors)
    found: dict[str, Cached[Any] | MojoError] = {}
    for subset, forced in (
        ([s for s in symbols if s in changed], True),
        ([s for s in symbols if s not in changed], force),
    ):
        if subset:
            found.update(
                datasets.STOCK.get_many([Symbol(s) for s in subset], force=forced, fetch_many=fetch).items()
            )
    return {symbol: found[symbol] for symbol in symbols}
