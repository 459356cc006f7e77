"""Refresh cycles on the workers: a record per cycle, the market-wide step, the per-symbol parts, the finish.

A cycle is recorded (`RefreshCycle`) when it is asked for; one asked while another is queued
or running is recorded as skipped. On the workers (`marketdata.tasks`) it runs as:

1. the market-wide step, one task: the day's splits check, the history sync, reference data,
   every symbol's stock data and earnings (`refresh.batched_refresh`: one stocks snapshot, one
   earnings calendar), on one worker because it writes stored history;
2. the parts, one task each, in parallel across workers: a chain per symbol (and its IV
   snapshot), option prices per batch of up to 250 contracts (one universal-snapshot call);
3. the finish: every part's results merged per symbol, `finance:last_refresh`, the record.

Each step returns its results and its upstream calls by endpoint as plain JSON (Celery's
serializer); every step is idempotent, so a task a killed worker held runs again elsewhere.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import timedelta
from typing import Any, TypedDict

from django.conf import settings
from django.db import transaction

from marketdata import cache, clock, datasets
from marketdata.metrics import UPSTREAM_CALLS
from marketdata.models import RefreshCycle
from marketdata.services.refresh import (
    SymbolRefresh,
    batched_refresh,
    last_refresh_record,
    option_prices_refresh,
    symbol_refresh,
    symbol_refresh_after_batches,
)
from marketdata.symbols import normalize_symbol

logger = logging.getLogger(__name__)

# Contracts priced by one part: the universal snapshot's limit per call.
OPTION_BATCH = 250
ACTIVE = (RefreshCycle.Status.QUEUED, RefreshCycle.Status.RUNNING)


class Part(TypedDict):
    """What one step of a cycle did: its per-symbol results and its upstream calls by endpoint."""

    results: list[dict[str, Any]]
    calls: dict[str, int]


class Plan(TypedDict):
    """The market-wide step's part, and the parts it leaves to the workers."""

    done: Part
    force: bool
    chains: list[str]
    contract_batches: list[list[list[str]]]


def upstream_calls_by_endpoint() -> Counter[str]:
    """This process's upstream calls so far, by endpoint (every outcome counted)."""
    calls: Counter[str] = Counter()
    for metric in UPSTREAM_CALLS.collect():
        for sample in metric.samples:
            if sample.name.endswith("_total"):
                calls[sample.labels["endpoint"]] += int(sample.value)
    return calls


def _calls_since(before: Counter[str]) -> dict[str, int]:
    return {name: n for name, n in (upstream_calls_by_endpoint() - before).items() if n}


def refresh_cycle_begin(
    *,
    symbols: Sequence[str],
    contracts: Sequence[tuple[str, str]],
    history_also: Sequence[str],
    force: bool,
    only: Sequence[str],
    mode: str,
) -> RefreshCycle:
    """Record a cycle asked for; SKIPPED (and logged) when another is queued or running.

    A cycle older than twice the broker's visibility timeout no longer counts as running: its
    tasks would have been handed out again long since, so it is taken to have died.
    """
    alive_since = clock.now() - timedelta(seconds=2 * settings.CELERY_VISIBILITY_TIMEOUT)
    with transaction.atomic():
        running = RefreshCycle.objects.filter(status__in=ACTIVE, created_at__gte=alive_since).first()
        cycle = RefreshCycle.objects.create(
            status=RefreshCycle.Status.SKIPPED if running else RefreshCycle.Status.QUEUED,
            mode=mode,
            force=force,
            only=list(only),
            symbols=list(dict.fromkeys(normalize_symbol(symbol) for symbol in symbols)),
            contracts=[list(contract) for contract in contracts],
            history_also=list(history_also),
        )
    if running is not None:
        logger.warning("refresh cycle %s skipped: cycle %s is %s", cycle.pk, running.pk, running.status)
    return cycle


def refresh_cycle_market_wide(cycle_id: int) -> Plan:
    """Step 1 of a cycle: market-wide work and stock data; the parts it leaves for the workers."""
    cycle = RefreshCycle.objects.get(pk=cycle_id)
    running = RefreshCycle.objects.filter(pk=cycle_id)
    running.update(status=RefreshCycle.Status.RUNNING, started_at=cycle.started_at or clock.now())
    before = upstream_calls_by_endpoint()
    only = [datasets.BY_NAME[name] for name in cycle.only]
    per_symbol = [dataset for dataset in only if dataset.per_symbol]
    batched = batched_refresh(
        cycle.symbols, only=per_symbol, history_also=cycle.history_also, force=cycle.force, concurrency=4
    )
    done = [symbol_refresh_after_batches(s, batched, force=cycle.force, only=()) for s in cycle.symbols]
    chains = [r.symbol for r in done if r.error is None] if datasets.OPTIONS in only else []
    contracts = cycle.contracts if datasets.OPTION_PRICE in only else []
    return {
        "done": {"results": [asdict(r) for r in done], "calls": _calls_since(before)},
        "force": cycle.force,
        "chains": chains,
        "contract_batches": [contracts[i : i + OPTION_BATCH] for i in range(0, len(contracts), OPTION_BATCH)],
    }


def refresh_cycle_chain(symbol: str, *, force: bool) -> Part:
    """A part: one symbol's chain (and today's IV snapshot)."""
    before = upstream_calls_by_endpoint()
    result = symbol_refresh(symbol, force=force, only=(datasets.OPTIONS,), locked=False)
    return {"results": [asdict(result)], "calls": _calls_since(before)}


def refresh_cycle_option_prices(contracts: Sequence[Sequence[str]], *, force: bool) -> Part:
    """A part: one batch of open positions' option prices (one universal-snapshot call)."""
    before = upstream_calls_by_endpoint()
    results = option_prices_refresh([(underlying, ticker) for underlying, ticker in contracts], force=force)
    return {"results": [asdict(r) for r in results], "calls": _calls_since(before)}


def refresh_cycle_finish(cycle_id: int, parts: Sequence[Part]) -> RefreshCycle:
    """Step 3: merge every part per symbol, record the cycle and `finance:last_refresh`."""
    merged: dict[str, SymbolRefresh] = {}
    calls: Counter[str] = Counter()
    for part in parts:
        calls.update(part["calls"])
        for raw in part["results"]:
            _merge(merged, SymbolRefresh(**raw))
    failed = {r.symbol: r.error or "stale" for r in merged.values() if not r.ok and not r.skipped}
    warned = {r.symbol: r.warning for r in merged.values() if r.warning and not r.error}
    last_refresh_record()
    RefreshCycle.objects.filter(pk=cycle_id).update(
        status=RefreshCycle.Status.FAILED if failed else RefreshCycle.Status.SUCCEEDED,
        finished_at=clock.now(),
        symbols_ok=len(merged) - len(failed) - sum(1 for r in merged.values() if r.skipped),
        symbols_failed=len(failed),
        failures=failed,
        warnings=warned,
        upstream_calls=dict(sorted(calls.items())),
    )
    return RefreshCycle.objects.get(pk=cycle_id)


def refresh_cycle_wait(cycle_id: int, *, timeout: float, poll: float = 0.5) -> RefreshCycle:
    """The cycle once it has finished (succeeded or failed), or as it stands after `timeout` seconds."""
    give_up = time.monotonic() + timeout
    while True:
        cycle = RefreshCycle.objects.get(pk=cycle_id)
        if cycle.status not in ACTIVE or time.monotonic() >= give_up:
            return cycle
        time.sleep(poll)


def refresh_cycle_fail(cycle_id: int, why: str) -> None:
    """Mark a cycle failed as a whole (its market-wide step could not run)."""
    RefreshCycle.objects.filter(pk=cycle_id, status__in=ACTIVE).update(
        status=RefreshCycle.Status.FAILED, finished_at=clock.now(), failures={"cycle": why}
    )


# --- Workers' heartbeats ---------------------------------------------------------------------
HEARTBEAT_SECONDS = 20  # how often a worker says it is alive
HEARTBEAT_TTL = 60  # a worker silent this long is taken for gone


def worker_heartbeat_record(worker: str) -> None:
    """Say that `worker` (its node name) is alive, for HEARTBEAT_TTL seconds."""
    cache.set_value(cache.worker_heartbeat_key(worker), clock.now().isoformat(), timeout=HEARTBEAT_TTL)


def worker_heartbeat_clear(worker: str) -> None:
    """Say that `worker` stopped (a clean shutdown)."""
    cache.delete_keys([cache.worker_heartbeat_key(worker)])


def workers_alive() -> list[str]:
    """The node names of the workers whose heartbeat has not expired, sorted (none without Redis)."""
    prefix = cache.worker_heartbeat_key("")
    return sorted(key.removeprefix(prefix) for key in cache.keys_matching(f"{prefix}*"))


def refresh_cycle_last_finished() -> RefreshCycle | None:
    """The latest cycle that finished (succeeded or failed)."""
    finished = RefreshCycle.objects.filter(finished_at__isnull=False)
    return finished.order_by("-finished_at").first()


def _merge(merged: dict[str, SymbolRefresh], result: SymbolRefresh) -> None:
    """Add one part's result for a symbol to what the other parts found for it."""
    seen = merged.get(result.symbol)
    if seen is None:
        merged[result.symbol] = result
        return
    outcomes: Mapping[str, str] = {**seen.datasets, **result.datasets}
    seen.datasets = {d.name: outcomes[d.name] for d in datasets.REFRESHED if d.name in outcomes}
    seen.error = seen.error or result.error
    seen.warning = seen.warning or result.warning
    seen.skipped = seen.skipped and result.skipped
