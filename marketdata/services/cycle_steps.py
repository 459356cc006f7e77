"""The steps of a refresh cycle on the workers, each a task of its own (`marketdata.tasks`).

A cycle (`services.cycles` records it) runs in four stages; each stage's tasks run in
parallel across workers, and the next stage starts when all of them are done:

1. `cycle_start`: the cycle is marked running and the day's market-wide splits check is made
   (a split symbol's history and cache are forgotten before anything is fetched for it);
2. the market-wide tasks: the history sync (grouped daily), the reference data (ticker
   details, dividends), each batched data set (earnings: one calendar), and the open
   positions' option prices in batches of 250 contracts (one universal-snapshot call each);
3. the stock quotes, in batches of up to 250 symbols, from the synced history (one stocks
   snapshot per batch in session);
4. one chain task per symbol whose stock data was had (and today's IV snapshot); then the
   finish (`cycles.refresh_cycle_finish`).

Every step returns a `Part`: its per-symbol results and its upstream calls by endpoint, as
plain JSON (Celery's serializer). Every step is idempotent (a fresh entry is not fetched
again), so a task a killed worker held runs again elsewhere without harm.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NotRequired, TypedDict

from core.errors import error_for_code
from marketdata import clock, datasets
from marketdata.models import RefreshCycle
from marketdata.services import refresh, stock_refresh
from marketdata.services.cycles import Part, calls_since, encoded, upstream_calls_by_endpoint
from marketdata.services.reference import reference_refresh
from marketdata.symbols import Symbol, normalize_symbol

# Symbols or contracts per quote task: the universal snapshot's limit per call, and a stocks
# snapshot's URL comfortably short.
BATCH = 250


class Plan(TypedDict):
    """What `cycle_start` leaves to the market-wide tasks."""

    start: Part  # the splits check's calls
    force: bool
    history: bool  # stock data asked for: history, reference data and quotes are refreshed
    batched: list[str]  # the other per-symbol data sets fetched for all symbols at once
    contract_batches: list[list[list[str]]]


class QuoteBatch(TypedDict):
    """One quote task's symbols, which of them to refetch whatever their TTL, and whose history failed."""

    symbols: list[str]
    changed: list[str]
    history_errors: dict[str, str]
    force: bool


class ChainPlan(TypedDict):
    """The chain tasks: the symbols and the per-symbol data sets each refreshes."""

    symbols: list[str]
    only: list[str]
    force: bool


class MarketWide(Part):
    """A market-wide task's part; the history's and the reference data's carry what the quotes need."""

    history_errors: NotRequired[dict[str, str]]
    changed: NotRequired[list[str]]


def _asked(cycle: RefreshCycle) -> list[datasets.DataSet[Any]]:
    return [datasets.BY_NAME[name] for name in cycle.only]


def _per_symbol_rest(cycle: RefreshCycle) -> list[datasets.DataSet[Any]]:
    """The per-symbol data sets refreshed one symbol at a time (the chain)."""
    return [d for d in _asked(cycle) if d.per_symbol and d.fetch_many is None and d is not datasets.STOCK]


def cycle_start(cycle_id: int) -> Plan:
    """Stage 1: mark the cycle running, make the splits check; what the market-wide tasks do."""
    cycle = RefreshCycle.objects.get(pk=cycle_id)
    RefreshCycle.objects.filter(pk=cycle_id).update(
        status=RefreshCycle.Status.RUNNING, started_at=cycle.started_at or clock.now()
    )
    before = upstream_calls_by_endpoint()
    asked = _asked(cycle)
    if datasets.STOCK in asked:
        stock_refresh.splits_refresh(now=clock.now())
    contracts = cycle.contracts if datasets.OPTION_PRICE in asked else []
    return {
        "start": {"results": [], "calls": calls_since(before)},
        "force": cycle.force,
        "history": datasets.STOCK in asked,
        "batched": [
            d.name for d in asked if d.per_symbol and d.fetch_many is not None and d is not datasets.STOCK
        ],
        "contract_batches": [contracts[i : i + BATCH] for i in range(0, len(contracts), BATCH)],
    }


def cycle_history(cycle_id: int) -> MarketWide:
    """Stage 2: the stored history of the cycle's symbols and its `history_also`, brought up to date."""
    cycle = RefreshCycle.objects.get(pk=cycle_id)
    before = upstream_calls_by_endpoint()
    kept = list(dict.fromkeys([*cycle.symbols, *(normalize_symbol(s) for s in cycle.history_also)]))
    synced = stock_refresh.history_refresh(kept, now=clock.now())
    errors = {symbol: error.code for symbol, error in synced.errors.items()}
    return {"results": [], "calls": calls_since(before), "history_errors": errors}


def cycle_reference(cycle_id: int) -> MarketWide:
    """Stage 2: new symbols' ticker details and the day's dividends; whose stock data changed."""
    cycle = RefreshCycle.objects.get(pk=cycle_id)
    before = upstream_calls_by_endpoint()
    changed = reference_refresh(cycle.symbols, now=clock.now())
    return {"results": [], "calls": calls_since(before), "changed": sorted(changed)}


def cycle_batched(cycle_id: int, dataset_name: str) -> MarketWide:
    """Stage 2: a per-symbol data set fetched for every symbol at once (earnings: one calendar)."""
    cycle = RefreshCycle.objects.get(pk=cycle_id)
    dataset = datasets.BY_NAME[dataset_name]
    before = upstream_calls_by_endpoint()
    found = dataset.get_many([Symbol(s) for s in cycle.symbols], force=cycle.force)
    results = [refresh.batched_outcome(symbol, dataset, found[Symbol(symbol)]) for symbol in cycle.symbols]
    return {"results": [encoded(r) for r in results], "calls": calls_since(before)}


def cycle_option_prices(contracts: Sequence[Sequence[str]], *, force: bool) -> Part:
    """Stage 2: one batch of open positions' option prices (one universal-snapshot call)."""
    before = upstream_calls_by_endpoint()
    pairs = [(underlying, ticker) for underlying, ticker in contracts]
    results = refresh.option_prices_refresh(pairs, force=force)
    return {"results": [encoded(r) for r in results], "calls": calls_since(before)}


def cycle_quote_batches(cycle_id: int, parts: Sequence[MarketWide]) -> list[QuoteBatch]:
    """Stage 3's tasks: the cycle's symbols in batches, with what the history and reference found."""
    cycle = RefreshCycle.objects.get(pk=cycle_id)
    if datasets.STOCK not in _asked(cycle):
        return []
    changed = {symbol for part in parts for symbol in part.get("changed", ())}
    failed = {symbol: code for part in parts for symbol, code in part.get("history_errors", {}).items()}
    batches: list[QuoteBatch] = []
    for i in range(0, len(cycle.symbols), BATCH):
        symbols = cycle.symbols[i : i + BATCH]
        batches.append(
            {
                "symbols": symbols,
                "changed": [s for s in symbols if s in changed],
                "history_errors": {s: failed[s] for s in symbols if s in failed},
                "force": cycle.force,
            }
        )
    return batches


def cycle_quotes(batch: QuoteBatch) -> Part:
    """Stage 3: one batch's stock data, computed from the stored history."""
    before = upstream_calls_by_endpoint()
    found = stock_refresh.stock_quotes_refresh(
        batch["symbols"],
        changed=batch["changed"],
        history_errors={s: error_for_code(code) for s, code in batch["history_errors"].items()},
        force=batch["force"],
    )
    results = [refresh.batched_outcome(symbol, datasets.STOCK, outcome) for symbol, outcome in found.items()]
    return {"results": [encoded(r) for r in results], "calls": calls_since(before)}


def cycle_chain_plan(cycle_id: int, quotes: Sequence[Part]) -> ChainPlan:
    """Stage 4's tasks: a chain per symbol, but for those whose stock data failed in `quotes` (no spot)."""
    cycle = RefreshCycle.objects.get(pk=cycle_id)
    rest = _per_symbol_rest(cycle)
    stock_failed = {raw["symbol"] for part in quotes for raw in part["results"] if raw.get("error")}
    return {
        "symbols": [s for s in cycle.symbols if s not in stock_failed] if rest else [],
        "only": [d.name for d in rest],
        "force": cycle.force,
    }


def cycle_chain(symbol: str, *, only: Sequence[str], force: bool) -> Part:
    """Stage 4: one symbol's per-symbol data sets (its chain, and today's IV snapshot)."""
    before = upstream_calls_by_endpoint()
    result = refresh.symbol_refresh(
        symbol, force=force, only=[datasets.BY_NAME[name] for name in only], locked=False
    )
    return {"results": [encoded(result)], "calls": calls_since(before)}
