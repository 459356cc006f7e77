"""Refresh cycles on the workers: a record per cycle, the merge of its parts, the workers' heartbeats.

A cycle is recorded (`RefreshCycle`) when it is asked for; one asked while another is queued
or running is recorded as skipped. Its steps (`services.cycle_steps`) run as tasks across the
workers (`marketdata.tasks`); each returns a `Part` (its per-symbol results and upstream calls
by endpoint, plain JSON), and the finish merges them per symbol into the record, with the
signal counts of the chains fetched and `finance:last_refresh`.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict
from datetime import timedelta
from typing import Any, TypedDict

from django.conf import settings
from django.db import transaction

from marketdata import cache, clock, datasets
from marketdata.metrics import UPSTREAM_CALLS
from marketdata.models import RefreshCycle
from marketdata.services.refresh import RefreshReport, SymbolRefresh, last_refresh_record, market_data_refresh
from marketdata.signals import refresh_cycle_finished
from marketdata.symbols import normalize_symbol

logger = logging.getLogger(__name__)

ACTIVE = (RefreshCycle.Status.QUEUED, RefreshCycle.Status.RUNNING)


class Part(TypedDict):
    """What one step of a cycle did: its per-symbol results and its upstream calls by endpoint."""

    results: list[dict[str, Any]]
    calls: dict[str, int]


def upstream_calls_by_endpoint() -> Counter[str]:
    """This process's upstream calls so far, by endpoint (every outcome counted)."""
    calls: Counter[str] = Counter()
    for metric in UPSTREAM_CALLS.collect():
        for sample in metric.samples:
            if sample.name.endswith("_total"):
                calls[sample.labels["endpoint"]] += int(sample.value)
    return calls


def calls_since(before: Counter[str]) -> dict[str, int]:
    """This process's upstream calls by endpoint since `before` (an `upstream_calls_by_endpoint`)."""
    return {name: n for name, n in (upstream_calls_by_endpoint() - before).items() if n}


def encoded(result: SymbolRefresh) -> dict[str, Any]:
    """A result as a part carries it: its fields but those at their defaults (messages stay small)."""
    return {name: value for name, value in asdict(result).items() if value not in (None, False, {})}


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


def refresh_cycle_carry(cycle_id: int, parts: Sequence[Part]) -> None:
    """Keep a finished stage's parts with the cycle, for its finish."""
    with transaction.atomic():
        cycle = RefreshCycle.objects.select_for_update().get(pk=cycle_id)
        cycle.parts = [*cycle.parts, *parts]
        cycle.save(update_fields=["parts"])


def refresh_cycle_finish(cycle_id: int, last: Sequence[Part]) -> RefreshCycle:
    """The finish: merge the kept parts and the `last` stage's per symbol, record the cycle and
    `finance:last_refresh`."""
    kept: list[Part] = RefreshCycle.objects.values_list("parts", flat=True).get(pk=cycle_id)
    parts = [*kept, *last]
    merged: dict[str, SymbolRefresh] = {}
    calls: Counter[str] = Counter()
    for part in parts:
        calls.update(part["calls"])
        for raw in part["results"]:
            _merge(merged, SymbolRefresh(**raw))
    last_refresh_record()
    RefreshCycle.objects.filter(pk=cycle_id).update(**_outcome(merged.values(), calls), parts=[])
    cycle = RefreshCycle.objects.get(pk=cycle_id)
    refresh_cycle_finished.send(sender=RefreshCycle, cycle=cycle)
    return cycle


def refresh_cycle_inline(
    *,
    symbols: Sequence[str],
    contracts: Sequence[tuple[str, str]],
    history_also: Sequence[str],
    force: bool,
    only: Sequence[datasets.DataSet[Any]],
    concurrency: int,
    on_start: Callable[[int], None] | None = None,
    on_result: Callable[[SymbolRefresh], None] | None = None,
) -> RefreshReport:
    """The refresh in this process (`market_data_refresh`, cron's), recorded as an inline cycle once done.

    Recorded when it has ended, never as running: a killed cron run leaves no cycle that
    would hold the workers' next one back.
    """
    started = clock.now()
    before = upstream_calls_by_endpoint()
    report = market_data_refresh(
        symbols=symbols,
        contracts=contracts,
        history_also=history_also,
        force=force,
        only=only,
        concurrency=concurrency,
        on_start=on_start,
        on_result=on_result,
    )
    merged: dict[str, SymbolRefresh] = {}
    for result in report.results:
        _merge(merged, result)
    cycle = RefreshCycle.objects.create(
        mode=RefreshCycle.Mode.INLINE,
        force=force,
        only=[dataset.name for dataset in only],
        symbols=list(dict.fromkeys(normalize_symbol(symbol) for symbol in symbols)),
        contracts=[list(contract) for contract in contracts],
        history_also=list(history_also),
        started_at=started,
        **_outcome(merged.values(), Counter(calls_since(before))),
    )
    refresh_cycle_finished.send(sender=RefreshCycle, cycle=cycle)
    return report


def _outcome(results: Iterable[SymbolRefresh], calls: Counter[str]) -> dict[str, Any]:
    """A finished cycle's fields from its results (one per symbol or contract) and its calls."""
    results = list(results)
    failed = {r.symbol: r.error or "stale" for r in results if not r.ok and not r.skipped}
    signals: Counter[str] = Counter()
    for result in results:
        signals.update(result.signal_counts or {})
    return {
        "status": RefreshCycle.Status.FAILED if failed else RefreshCycle.Status.SUCCEEDED,
        "finished_at": clock.now(),
        "symbols_ok": len(results) - len(failed) - sum(1 for r in results if r.skipped),
        "symbols_failed": len(failed),
        "failures": failed,
        "warnings": {r.symbol: r.warning for r in results if r.warning and not r.error},
        "upstream_calls": dict(sorted(calls.items())),
        "signal_counts": dict(sorted(signals.items())),
    }


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
    seen.signal_counts = seen.signal_counts or result.signal_counts
